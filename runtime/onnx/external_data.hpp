#pragma once
// Tensors stored outside the model file (TensorProto.data_location =
// EXTERNAL). The location must stay inside the model's folder: absolute
// paths, `..` escapes and symlinks leading out are rejected.
#include <onnx/onnx_pb.h>

#include <string>

#include "ir/tensor.hpp"

namespace normrt::rt {

// The file `location` names, checked to lie inside `model_dir`; `what`
// names the tensor in errors.
std::string resolve_external_path(const std::string& model_dir, const std::string& location,
                                  const std::string& what);

// Reads the external bytes of `proto` as a tensor of `dtype` and `dims`;
// checks offset/length against the file before allocating anything.
Tensor read_external_data(const onnx::TensorProto& proto, DType dtype, const Dims& dims,
                          const std::string& model_dir, const std::string& what);

}  // namespace normrt::rt
