#pragma once
// The groups of built-in kernels; KernelRegistry::builtin() calls each once.
#include "kernels/kernel.hpp"

namespace normrt::rt {

void register_norm_kernels(KernelRegistry& r);    // kernels/norm_*.cpp: normrt ops adapters
void register_tensor_kernels(KernelRegistry& r);  // kernels/tensor_*.cpp: data movement, shape, unary/binary
void register_onednn_kernels(KernelRegistry& r);  // kernels/onednn_*.cpp: conv, gemm, pool, softmax...

}  // namespace normrt::rt
