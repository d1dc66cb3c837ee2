#pragma once
// Helpers shared by the runtime's own kernels (tensor_*.cpp, norm_*.cpp):
// argument checks that name the node, axis/broadcast arithmetic with
// overflow checks, values known at prepare time, and a strided loop nest
// that turns broadcasting, transposes, slices and tiles into rows of
// contiguous-or-constant-stride element runs.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernel.hpp"
#include "normrt/error.hpp"

namespace normrt::rt::kern {

// ---- errors and argument checks ---------------------------------------------

[[noreturn]] void fail(const Node& node, const std::string& msg);
[[noreturn]] inline void fail(const PrepareContext& ctx, const std::string& msg) {
  fail(ctx.node, msg);
}

// Input count in [min, max] (omitted optional inputs count by position).
void require_inputs(const PrepareContext& ctx, std::size_t min, std::size_t max);
// Output count in [min, max] (positions, like inputs).
void require_outputs(const PrepareContext& ctx, std::size_t min, std::size_t max);
bool has_input(const PrepareContext& ctx, std::size_t i);
bool has_output(const PrepareContext& ctx, std::size_t i);
// The input's info; fails when it is omitted or not one of `allowed` (empty: any).
const TensorInfo& input(const PrepareContext& ctx, std::size_t i, const char* what,
                        std::initializer_list<DType> allowed = {});
void require_rank_at_least(const PrepareContext& ctx, const TensorInfo& t, std::size_t rank,
                           const char* what);

// Number of elements of `dims`, overflow checked, naming the node.
int64_t count_of(const PrepareContext& ctx, const Dims& dims);
int64_t checked_mul(const PrepareContext& ctx, int64_t a, int64_t b);
int64_t checked_add(const PrepareContext& ctx, int64_t a, int64_t b);
// Product of dims[begin, end), overflow checked.
int64_t product(const PrepareContext& ctx, const Dims& dims, std::size_t begin, std::size_t end);

// Maps axis in [-rank, rank) (or [-rank, rank] when `inclusive`) to [0, rank).
int64_t normalize_axis(const PrepareContext& ctx, int64_t axis, int64_t rank, const char* what,
                       bool inclusive = false);
// Normalizes each axis and rejects duplicates.
std::vector<int64_t> normalize_axes(const PrepareContext& ctx, std::vector<int64_t> axes,
                                    int64_t rank, const char* what);

// Numpy-style multidirectional broadcast of two shapes; fails naming the node.
Dims broadcast_dims(const PrepareContext& ctx, const Dims& a, const Dims& b);
// True when `from` broadcasts to exactly `to` (unidirectional).
bool broadcasts_to(const Dims& from, const Dims& to);

// Values known at prepare time.
const Tensor* known(const PrepareContext& ctx, std::size_t i);
// An int32/int64 input as int64s; fails when unknown at prepare time.
std::vector<int64_t> known_ints(const PrepareContext& ctx, std::size_t i, const char* what);
// The `axes` of Squeeze/Unsqueeze/Reduce*: an attribute before opset
// `input_since`, the optional input 1 since; checks the input count for the
// node's opset. Empty when absent, an error when `required` and absent.
std::vector<int64_t> axes_attr_or_input(const PrepareContext& ctx, int input_since,
                                        bool required);
// Reads element i of an int or float view as int64 / double (scalars at run time).
int64_t view_int(const TensorView& v, int64_t i = 0);
double view_double(const TensorView& v, int64_t i = 0);

// ---- kernel objects -----------------------------------------------------------

// A kernel whose run is a closure over immutable, prepared state.
class FnKernel final : public OpKernel {
 public:
  using Fn = std::function<void(RunContext&)>;
  explicit FnKernel(Fn fn, int in_place = -1, std::size_t scratch = 0)
      : fn_(std::move(fn)), in_place_(in_place), scratch_(scratch) {}
  void run(RunContext& ctx) const override { fn_(ctx); }
  int in_place_input(int out) const override { return out == 0 ? in_place_ : -1; }
  std::size_t scratch_bytes() const override { return scratch_; }

 private:
  Fn fn_;
  int in_place_;
  std::size_t scratch_;
};

using CreateFn = std::function<std::unique_ptr<OpKernel>(const PrepareContext&,
                                                         std::vector<TensorInfo>&)>;
void add(KernelRegistry& r, const std::string& domain, const std::string& op, int since,
         int until, CreateFn create);

// Copies `bytes` between views unless they alias (in-place planning).
inline void copy_bytes(void* dst, const void* src, std::size_t bytes) {
  if (bytes != 0 && dst != src) std::memmove(dst, src, bytes);
}
inline std::size_t view_bytes(const TensorView& v) {
  return std::size_t(v.size()) * dtype_size(v.dtype);
}

// ---- type dispatch --------------------------------------------------------------

template <class T> struct Tag { using type = T; };

// Calls f(Tag<T>{}) for the storage type of an element of `bytes` size: data
// movement is type-blind.
template <class F>
void dispatch_by_size(std::size_t bytes, F&& f) {
  switch (bytes) {
    case 1: f(Tag<uint8_t>{}); return;
    case 2: f(Tag<uint16_t>{}); return;
    case 4: f(Tag<uint32_t>{}); return;
    case 8: f(Tag<uint64_t>{}); return;
    default: throw Error("unsupported element size " + std::to_string(bytes));
  }
}

// ---- strided loop nest ------------------------------------------------------------

// Loop extents (outermost first) with one element stride per operand per
// dim. simplify() drops unit dims and merges dims that are contiguous for
// every operand, so a same-shape op is one long row, a scalar broadcast one
// row with stride 0, an NCHW channel broadcast rows of H*W with stride 0.
template <std::size_t N>
struct StridedLoop {
  Dims dims;
  std::array<std::vector<int64_t>, N> strides;
  std::array<int64_t, N> base{};  // element offset of each operand at index 0

  void push_dim(int64_t extent, const std::array<int64_t, N>& s) {
    dims.push_back(extent);
    for (std::size_t k = 0; k < N; ++k) strides[k].push_back(s[k]);
  }

  void simplify() {
    StridedLoop out;
    out.base = base;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] == 1) continue;
      std::array<int64_t, N> s{};
      for (std::size_t k = 0; k < N; ++k) s[k] = strides[k][d];
      if (!out.dims.empty()) {
        bool mergeable = true;
        for (std::size_t k = 0; k < N; ++k)
          mergeable = mergeable && out.strides[k].back() == s[k] * dims[d];
        if (mergeable) {
          out.dims.back() *= dims[d];
          for (std::size_t k = 0; k < N; ++k) out.strides[k].back() = s[k];
          continue;
        }
      }
      out.push_dim(dims[d], s);
    }
    *this = std::move(out);
  }

  int64_t total() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }

  // f(offsets, n, inner_strides): a row of n elements; operand k's elements
  // sit at offsets[k] + i * inner_strides[k].
  template <class F>
  void for_each_row(F&& f) const {
    if (dims.empty()) {
      std::array<int64_t, N> zero{};
      f(base, int64_t(1), zero);
      return;
    }
    for (int64_t d : dims)
      if (d == 0) return;
    const std::size_t inner = dims.size() - 1;
    std::array<int64_t, N> inner_strides{};
    for (std::size_t k = 0; k < N; ++k) inner_strides[k] = strides[k][inner];
    std::vector<int64_t> index(inner, 0);
    std::array<int64_t, N> off = base;
    while (true) {
      f(off, dims[inner], inner_strides);
      std::size_t d = inner;
      while (d > 0) {
        --d;
        ++index[d];
        for (std::size_t k = 0; k < N; ++k) off[k] += strides[k][d];
        if (index[d] < dims[d]) break;
        for (std::size_t k = 0; k < N; ++k) off[k] -= strides[k][d] * dims[d];
        index[d] = 0;
        if (d == 0) return;
      }
      if (inner == 0) return;
    }
  }
};

// Row-major element strides of a shape.
std::vector<int64_t> contiguous_strides(const Dims& dims);
// Strides of `in` read as if broadcast to `out` (right-aligned, 0 where
// broadcast).
std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out);

// Loop over `out` (contiguous, operand 0) reading each input broadcast to it.
template <std::size_t N>
StridedLoop<N> broadcast_loop(const Dims& out, const std::array<const Dims*, N - 1>& ins) {
  StridedLoop<N> loop;
  const auto os = contiguous_strides(out);
  std::array<std::vector<int64_t>, N - 1> is;
  for (std::size_t k = 0; k + 1 < N; ++k) is[k] = broadcast_strides(*ins[k], out);
  for (std::size_t d = 0; d < out.size(); ++d) {
    std::array<int64_t, N> s{};
    s[0] = os[d];
    for (std::size_t k = 0; k + 1 < N; ++k) s[k + 1] = is[k][d];
    loop.push_dim(out[d], s);
  }
  loop.simplify();
  return loop;
}

// Element copy along a loop: operand 0 is dst, operand 1 src.
void copy_loop(const StridedLoop<2>& loop, void* dst, const void* src, std::size_t elem_bytes);
// Copies `src` (shape in_dims) broadcast to out_dims into contiguous `dst`.
void broadcast_copy(void* dst, const void* src, std::size_t elem_bytes, const Dims& in_dims,
                    const Dims& out_dims);

}  // namespace normrt::rt::kern
