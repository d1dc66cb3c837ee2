#pragma once
// Tensors in ONNX TensorProto `.pb` files: the format of the ONNX backend
// test data sets and of `normrt run --input/--save-outputs`.
#include <string>

#include "ir/tensor.hpp"

namespace normrt::rt {

struct NamedTensor {
  std::string name;  // may be empty
  Tensor tensor;
};

NamedTensor read_tensor_file(const std::string& path);
NamedTensor parse_tensor(const void* data, std::size_t size, const std::string& what);
void write_tensor_file(const std::string& path, const Tensor& t, const std::string& name);

}  // namespace normrt::rt
