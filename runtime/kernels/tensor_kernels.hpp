#pragma once
// The families of the runtime's own tensor kernels, one file each;
// register_tensor_kernels (tensor_register.cpp) adds them all.
#include "kernels/kernel.hpp"

namespace normrt::rt::kern {

void register_shape_kernels(KernelRegistry& r);     // tensor_shape.cpp
void register_movement_kernels(KernelRegistry& r);  // tensor_movement.cpp
void register_cast_kernels(KernelRegistry& r);      // tensor_cast.cpp
void register_unary_kernels(KernelRegistry& r);     // tensor_unary.cpp
void register_binary_kernels(KernelRegistry& r);    // tensor_binary.cpp
void register_reduce_kernels(KernelRegistry& r);    // tensor_reduce.cpp

}  // namespace normrt::rt::kern
