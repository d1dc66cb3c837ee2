#include "ir/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "normrt/error.hpp"

namespace normrt::rt {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::undefined: return "undefined";
    case DType::f32: return "float32";
    case DType::u8: return "uint8";
    case DType::i8: return "int8";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::boolean: return "bool";
    case DType::f16: return "float16";
    case DType::f64: return "float64";
  }
  return "unknown";
}

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: case DType::i32: return 4;
    case DType::u8: case DType::i8: case DType::boolean: return 1;
    case DType::i64: case DType::f64: return 8;
    case DType::f16: return 2;
    case DType::undefined: break;
  }
  throw Error("unsupported element type " + std::to_string(int(t)));
}

int64_t element_count(const Dims& dims, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) throw Error(what + ": negative dimension in shape " + dims_string(dims));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw Error(what + ": element count of shape " + dims_string(dims) + " overflows");
    n *= d;
  }
  return n;
}

std::string dims_string(const Dims& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

void Tensor::Free::operator()(void* p) const { std::free(p); }

// Refuses allocations no machine could satisfy before asking for them, so a
// hostile shape is an Error, not std::bad_alloc from deep inside a kernel.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 40;

Tensor::Tensor(DType dtype, Dims dims) : dtype_(dtype), dims_(std::move(dims)) {
  count_ = element_count(dims_, "tensor");
  const std::size_t elem = dtype_size(dtype_);
  if (count_ > kMaxTensorBytes / int64_t(elem))
    throw Error("tensor of shape " + dims_string(dims_) + " is too large to allocate");
  std::size_t bytes = std::size_t(count_) * elem;
  // aligned_alloc needs a size that is a multiple of the alignment (and > 0).
  bytes = (bytes + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw Error("out of memory allocating a tensor of shape " + dims_string(dims_));
  std::memset(p, 0, bytes);
  data_ = std::shared_ptr<void>(p, Free{});
}

int64_t TensorView::size() const { return element_count(dims, "tensor view"); }

}  // namespace normrt::rt
