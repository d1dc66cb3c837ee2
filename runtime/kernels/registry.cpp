// The kernel registry: lookup by (domain, op_type, opset). Built-in kernels are
// registered explicitly, once, on first use (no static self-registration).
#include "kernels/builtin.hpp"
#include "normrt/error.hpp"

namespace normrt::rt {

void PrepareContext::fail(const std::string& msg) const { throw Error(node.describe() + ": " + msg); }

void KernelRegistry::add(KernelDef def) { defs_.push_back(std::move(def)); }

const KernelDef* KernelRegistry::find(const std::string& domain, const std::string& op_type,
                                      int opset) const {
  // "ai.onnx" is the default domain spelled out.
  const std::string& dom = domain == "ai.onnx" ? std::string() : domain;
  // Later registrations win, so a specialised kernel can override a generic one.
  for (auto it = defs_.rbegin(); it != defs_.rend(); ++it)
    if (it->op_type == op_type && it->domain == dom && it->since_version <= opset &&
        opset <= it->until_version)
      return &*it;
  return nullptr;
}

const KernelRegistry& KernelRegistry::builtin() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_norm_kernels(r);
    register_tensor_kernels(r);
    register_onednn_kernels(r);
    return r;
  }();
  return registry;
}

}  // namespace normrt::rt
