#pragma once
// Registration of the oneDNN-backed kernel groups (one file per op family)
// and small pieces they share.
#include <memory>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"

namespace normrt::rt::onednn {

void register_conv(KernelRegistry& r);            // Conv, normrt.Conv
void register_conv_transpose(KernelRegistry& r);  // ConvTranspose
void register_matmul(KernelRegistry& r);          // Gemm, MatMul
void register_pool(KernelRegistry& r);            // Max/AveragePool, GlobalMax/AveragePool
void register_softmax(KernelRegistry& r);         // Softmax, LogSoftmax
void register_resize(KernelRegistry& r);          // Resize (plain loops)

// A kernel for an output with zero elements: nothing to compute (oneDNN
// primitives are not created for empty shapes).
std::unique_ptr<OpKernel> empty_output_kernel();

inline dnnl::memory::dims to_dnnl(const Dims& d) { return dnnl::memory::dims(d.begin(), d.end()); }

}  // namespace normrt::rt::onednn
