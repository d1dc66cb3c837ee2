#include "exec/run_step.hpp"

#include <exception>
#include <new>

#include "normrt/error.hpp"

namespace normrt::rt {

void rethrow_naming(const Node& node) {
  const std::string who = node.describe();
  try {
    throw;
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.find(who) != std::string::npos) throw;
    throw Error(who + ": " + msg);
  } catch (const std::bad_alloc&) {
    throw Error(who + ": out of memory");
  } catch (const std::exception& e) {
    throw Error(who + ": " + e.what());
  }
}

std::string unsupported_op_message(const Node& node) {
  return node.describe() + ": op '" + node.op_type + "' of domain '" +
         (node.domain.empty() ? "ai.onnx" : node.domain) + "' opset " +
         std::to_string(node.opset) + " is not supported by normrt";
}

void run_kernel(const OpKernel& kernel, const Node& node, RunContext& ctx) {
  try {
    kernel.run(ctx);
  } catch (...) {
    rethrow_naming(node);
  }
}

}  // namespace normrt::rt
