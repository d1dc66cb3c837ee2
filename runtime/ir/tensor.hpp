#pragma once
// Tensors of the graph runtime: element types, shapes, owned constant data
// (initializers, folded constants) and non-owning views used by kernels.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace normrt::rt {

// Element types the runtime stores; compute kernels are fp32, shape
// arithmetic is int64. Values match onnx::TensorProto::DataType.
enum class DType : int32_t {
  undefined = 0, f32 = 1, u8 = 2, i8 = 3, i32 = 6, i64 = 7, boolean = 9, f16 = 10, f64 = 11,
};

const char* dtype_name(DType t);
// Bytes per element; throws normrt::Error for types normrt cannot store.
std::size_t dtype_size(DType t);

using Dims = std::vector<int64_t>;

// Product of dims with overflow checks; throws normrt::Error naming `what`.
int64_t element_count(const Dims& dims, const std::string& what);
std::string dims_string(const Dims& dims);  // "[1,3,224,224]"

// A dense, row-major, 64-byte-aligned tensor that owns its bytes.
class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Dims dims);  // zero-filled

  DType dtype() const { return dtype_; }
  const Dims& dims() const { return dims_; }
  int64_t size() const { return count_; }
  std::size_t bytes() const { return std::size_t(count_) * dtype_size(dtype_); }
  void* data() { return data_.get(); }
  const void* data() const { return data_.get(); }
  template <class T> T* as() { return static_cast<T*>(data()); }
  template <class T> const T* as() const { return static_cast<const T*>(data()); }

 private:
  struct Free { void operator()(void* p) const; };
  DType dtype_ = DType::undefined;
  Dims dims_;
  int64_t count_ = 0;
  std::shared_ptr<void> data_;  // shared: copies of a Tensor alias (constants are immutable)
};

// What a kernel sees: pointer + type + shape, no ownership.
struct TensorView {
  void* data = nullptr;
  DType dtype = DType::undefined;
  Dims dims;
  int64_t size() const;
  template <class T> T* as() const { return static_cast<T*>(data); }
};

}  // namespace normrt::rt
