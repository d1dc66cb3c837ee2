// register_onednn_kernels: every oneDNN-backed kernel group, explicitly.
#include "kernels/builtin.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/onednn_layout.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt {

namespace onednn {

std::unique_ptr<OpKernel> empty_output_kernel() {
  return std::make_unique<kern::FnKernel>([](RunContext&) {});
}

}  // namespace onednn

void register_onednn_kernels(KernelRegistry& r) {
  onednn::register_conv(r);
  onednn::register_conv_transpose(r);
  onednn::register_matmul(r);
  onednn::register_pool(r);
  onednn::register_softmax(r);
  onednn::register_resize(r);
  onednn::register_layout(r);
}

}  // namespace normrt::rt
