#include "onnx/proto_tensor.hpp"

#include <cstring>

#include "normrt/error.hpp"
#include "onnx/external_data.hpp"

namespace normrt::rt {

std::optional<DType> dtype_from_onnx(int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return DType::f32;
    case onnx::TensorProto::UINT8: return DType::u8;
    case onnx::TensorProto::INT8: return DType::i8;
    case onnx::TensorProto::INT32: return DType::i32;
    case onnx::TensorProto::INT64: return DType::i64;
    case onnx::TensorProto::BOOL: return DType::boolean;
    case onnx::TensorProto::FLOAT16: return DType::f16;
    case onnx::TensorProto::DOUBLE: return DType::f64;
    default: return std::nullopt;
  }
}

std::string onnx_type_name(int32_t elem_type) {
  if (onnx::TensorProto::DataType_IsValid(elem_type))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem_type));
  return "type " + std::to_string(elem_type);
}

namespace {

// Copies a repeated proto field into the tensor, converting each element.
template <class Dst, class Field>
void copy_field(const Field& field, Tensor& t) {
  Dst* dst = t.as<Dst>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

// Elements a typed field of `p` holds for `dtype`, and the field's name.
std::pair<int64_t, const char*> typed_field_size(const onnx::TensorProto& p, DType dtype) {
  switch (dtype) {
    case DType::f32: return {p.float_data_size(), "float_data"};
    case DType::f64: return {p.double_data_size(), "double_data"};
    case DType::i64: return {p.int64_data_size(), "int64_data"};
    default: return {p.int32_data_size(), "int32_data"};
  }
}

void decode_typed_fields(const onnx::TensorProto& p, Tensor& t) {
  switch (t.dtype()) {
    case DType::f32: copy_field<float>(p.float_data(), t); break;
    case DType::f64: copy_field<double>(p.double_data(), t); break;
    case DType::i64: copy_field<int64_t>(p.int64_data(), t); break;
    case DType::i32: copy_field<int32_t>(p.int32_data(), t); break;
    case DType::u8: copy_field<uint8_t>(p.int32_data(), t); break;
    case DType::i8: copy_field<int8_t>(p.int32_data(), t); break;
    case DType::f16: copy_field<uint16_t>(p.int32_data(), t); break;  // the bits
    case DType::boolean:
      for (int i = 0; i < p.int32_data_size(); ++i) t.as<uint8_t>()[i] = p.int32_data(i) != 0;
      break;
    case DType::undefined: break;
  }
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& p, const std::string& what,
                         const std::string& model_dir) {
  const auto dtype = dtype_from_onnx(p.data_type());
  if (!dtype)
    throw Error(what + ": element type " + onnx_type_name(p.data_type()) + " is not supported");
  if (p.has_segment()) throw Error(what + ": segmented tensors are not supported");
  const Dims dims(p.dims().begin(), p.dims().end());
  const int64_t count = element_count(dims, what);
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    return read_external_data(p, *dtype, dims, model_dir, what);
  // Check the data is there before allocating what a hostile shape asks for.
  if (p.has_raw_data()) {
    const std::size_t elem = dtype_size(*dtype);
    if (count > int64_t(p.raw_data().size()) || std::size_t(count) * elem != p.raw_data().size())
      throw Error(what + ": raw_data holds " + std::to_string(p.raw_data().size()) +
                  " bytes but shape " + dims_string(dims) + " of " + dtype_name(*dtype) +
                  " needs " + std::to_string(count) + " elements");
    Tensor t(*dtype, dims);
    std::memcpy(t.data(), p.raw_data().data(), t.bytes());
    return t;
  }
  const auto [held, field] = typed_field_size(p, *dtype);
  if (held != count)
    throw Error(what + ": " + field + " holds " + std::to_string(held) + " values but shape " +
                dims_string(dims) + " needs " + std::to_string(count));
  Tensor t(*dtype, dims);
  decode_typed_fields(p, t);
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* p) {
  p->Clear();
  p->set_name(name);
  p->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) p->add_dims(d);
  p->set_raw_data(t.data(), t.bytes());
}

std::vector<Dim> dims_from_proto(const onnx::TensorShapeProto& shape) {
  std::vector<Dim> dims;
  dims.reserve(std::size_t(shape.dim_size()));
  for (const auto& d : shape.dim()) {
    Dim dim;
    if (d.has_dim_value() && d.dim_value() >= 0) dim.value = d.dim_value();
    else if (d.has_dim_param()) dim.symbol = d.dim_param();
    dims.push_back(dim);
  }
  return dims;
}

void dims_to_proto(const std::vector<Dim>& dims, onnx::TensorShapeProto* shape) {
  shape->clear_dim();
  for (const Dim& d : dims) {
    auto* out = shape->add_dim();
    if (d.value >= 0) out->set_dim_value(d.value);
    else if (!d.symbol.empty()) out->set_dim_param(d.symbol);
  }
}

}  // namespace normrt::rt
