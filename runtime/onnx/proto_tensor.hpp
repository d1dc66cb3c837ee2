#pragma once
// Conversions between ONNX protobuf messages and the runtime's tensors and
// types. Every malformed message is a normrt::Error naming the tensor.
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace normrt::rt {

// The DType for an onnx::TensorProto::DataType value; nullopt when normrt
// cannot store that type (strings, bfloat16, uint16, ...).
std::optional<DType> dtype_from_onnx(int32_t elem_type);
// The name ONNX gives an element type ("FLOAT", "STRING", ...).
std::string onnx_type_name(int32_t elem_type);

// Decodes a TensorProto: raw_data, the typed fields, or external data in a
// file under `model_dir` (empty: external data is an error). `what` names
// the tensor in errors ("initializer 'conv1.weight'").
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& what,
                         const std::string& model_dir);

// Encodes `t` as a TensorProto with raw_data.
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto);

// Declared shape of a tensor type (dim_value, dim_param or unknown).
std::vector<Dim> dims_from_proto(const onnx::TensorShapeProto& shape);
void dims_to_proto(const std::vector<Dim>& dims, onnx::TensorShapeProto* shape);

}  // namespace normrt::rt
