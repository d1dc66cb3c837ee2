// Data movement, shape, cast, elementwise and reduction kernels.
#include "kernels/builtin.hpp"
#include "kernels/tensor_kernels.hpp"

namespace normrt::rt {

void register_tensor_kernels(KernelRegistry& r) {
  kern::register_shape_kernels(r);
  kern::register_movement_kernels(r);
  kern::register_cast_kernels(r);
  kern::register_unary_kernels(r);
  kern::register_binary_kernels(r);
  kern::register_reduce_kernels(r);
}

}  // namespace normrt::rt
