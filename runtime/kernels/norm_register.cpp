// Adapters from ONNX / com.microsoft / normrt norm ops to the normrt kernels.
#include "kernels/builtin.hpp"
#include "kernels/norm_kernels.hpp"

namespace normrt::rt {

void register_norm_kernels(KernelRegistry& r) {
  kern::register_batch_norm_kernels(r);
  kern::register_row_norm_kernels(r);
  kern::register_group_norm_kernels(r);
  kern::register_lrn_kernels(r);
}

}  // namespace normrt::rt
