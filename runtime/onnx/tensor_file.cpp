#include "onnx/tensor_file.hpp"

#include <climits>
#include <fstream>
#include <iterator>

#include "normrt/error.hpp"
#include "onnx/proto_tensor.hpp"

namespace normrt::rt {

NamedTensor parse_tensor(const void* data, std::size_t size, const std::string& what) {
  onnx::TensorProto p;
  if (size > std::size_t(INT_MAX) || !p.ParseFromArray(data, int(size)))
    throw Error(what + ": not a valid TensorProto (truncated or corrupt)");
  // External data is not allowed in a standalone tensor file.
  return {p.name(), tensor_from_proto(p, what, {})};
}

NamedTensor read_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open tensor file '" + path + "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_tensor(bytes.data(), bytes.size(), "tensor file '" + path + "'");
}

void write_tensor_file(const std::string& path, const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  tensor_to_proto(t, name, &p);
  std::string bytes;
  if (!p.SerializeToString(&bytes)) throw Error("cannot serialize tensor '" + name + "'");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) throw Error("cannot write tensor file '" + path + "'");
}

}  // namespace normrt::rt
