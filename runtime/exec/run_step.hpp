#pragma once
// Runs one prepared kernel, turning any failure into a normrt::Error that
// names the node (shared by prepare-time folding and the executor).
#include "kernels/kernel.hpp"

namespace normrt::rt {

void run_kernel(const OpKernel& kernel, const Node& node, RunContext& ctx);

// Rethrows the exception in flight as a normrt::Error naming `node` (unless
// its message already does). Call only from a catch block.
[[noreturn]] void rethrow_naming(const Node& node);

// "node 'x' (Foo): op 'Foo' of domain 'ai.onnx' opset 13 is not supported by normrt"
std::string unsupported_op_message(const Node& node);

}  // namespace normrt::rt
