#include "kernels/tensor_util.hpp"

#include <algorithm>
#include <limits>

namespace normrt::rt::kern {

void fail(const Node& node, const std::string& msg) {
  throw Error(node.describe() + ": " + msg);
}

void require_inputs(const PrepareContext& ctx, std::size_t min, std::size_t max) {
  const std::size_t n = ctx.inputs.size();
  if (n < min || n > max) {
    fail(ctx, "expects " + (min == max ? std::to_string(min)
                                       : std::to_string(min) + " to " + std::to_string(max)) +
                  " inputs, got " + std::to_string(n));
  }
}

void require_outputs(const PrepareContext& ctx, std::size_t min, std::size_t max) {
  const std::size_t n = ctx.node.outputs.size();
  if (n < min || n > max) {
    fail(ctx, "expects " + (min == max ? std::to_string(min)
                                       : std::to_string(min) + " to " + std::to_string(max)) +
                  " outputs, got " + std::to_string(n));
  }
}

bool has_input(const PrepareContext& ctx, std::size_t i) {
  return i < ctx.inputs.size() && ctx.inputs[i].dtype != DType::undefined;
}

bool has_output(const PrepareContext& ctx, std::size_t i) {
  return i < ctx.node.outputs.size() && ctx.node.outputs[i] != nullptr;
}

const TensorInfo& input(const PrepareContext& ctx, std::size_t i, const char* what,
                        std::initializer_list<DType> allowed) {
  if (!has_input(ctx, i)) fail(ctx, std::string("input '") + what + "' is missing");
  const TensorInfo& t = ctx.inputs[i];
  if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), t.dtype) == allowed.end()) {
    std::string want;
    for (DType d : allowed) want += std::string(want.empty() ? "" : "/") + dtype_name(d);
    fail(ctx, std::string("input '") + what + "' has type " + dtype_name(t.dtype) +
                  ", expected " + want);
  }
  return t;
}

void require_rank_at_least(const PrepareContext& ctx, const TensorInfo& t, std::size_t rank,
                           const char* what) {
  if (t.dims.size() < rank) {
    fail(ctx, std::string("input '") + what + "' must have rank >= " + std::to_string(rank) +
                  ", got shape " + dims_string(t.dims));
  }
}

int64_t count_of(const PrepareContext& ctx, const Dims& dims) {
  return element_count(dims, ctx.node.describe());
}

int64_t checked_mul(const PrepareContext& ctx, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    fail(ctx, "integer overflow in " + std::to_string(a) + " * " + std::to_string(b));
  return r;
}

int64_t checked_add(const PrepareContext& ctx, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    fail(ctx, "integer overflow in " + std::to_string(a) + " + " + std::to_string(b));
  return r;
}

int64_t product(const PrepareContext& ctx, const Dims& dims, std::size_t begin, std::size_t end) {
  int64_t n = 1;
  for (std::size_t i = begin; i < end; ++i) {
    if (dims[i] < 0) fail(ctx, "negative dimension in shape " + dims_string(dims));
    n = checked_mul(ctx, n, dims[i]);
  }
  return n;
}

int64_t normalize_axis(const PrepareContext& ctx, int64_t axis, int64_t rank, const char* what,
                       bool inclusive) {
  const int64_t hi = inclusive ? rank : rank - 1;
  if (axis < -rank || axis > hi) {
    fail(ctx, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                  std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normalize_axes(const PrepareContext& ctx, std::vector<int64_t> axes,
                                    int64_t rank, const char* what) {
  for (int64_t& a : axes) a = normalize_axis(ctx, a, rank, what);
  std::vector<int64_t> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    fail(ctx, std::string(what) + " contain a duplicate axis");
  return axes;
}

Dims broadcast_dims(const PrepareContext& ctx, const Dims& a, const Dims& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Dims out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      fail(ctx, "shapes " + dims_string(a) + " and " + dims_string(b) +
                    " cannot be broadcast together");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

bool broadcasts_to(const Dims& from, const Dims& to) {
  if (from.size() > to.size()) return false;
  const std::size_t lead = to.size() - from.size();
  for (std::size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

const Tensor* known(const PrepareContext& ctx, std::size_t i) {
  return i < ctx.known_values.size() ? ctx.known_values[i] : nullptr;
}

std::vector<int64_t> known_ints(const PrepareContext& ctx, std::size_t i, const char* what) {
  const TensorInfo& info = input(ctx, i, what, {DType::i64, DType::i32});
  const Tensor* t = known(ctx, i);
  if (!t) {
    fail(ctx, std::string("input '") + what +
                  "' must be known when the model is prepared (a constant or a folded "
                  "shape computation)");
  }
  if (info.dims.size() > 1) fail(ctx, std::string("input '") + what + "' must be 1-D");
  std::vector<int64_t> v(std::size_t(t->size()));
  for (std::size_t k = 0; k < v.size(); ++k)
    v[k] = t->dtype() == DType::i64 ? t->as<int64_t>()[k] : int64_t(t->as<int32_t>()[k]);
  return v;
}

std::vector<int64_t> axes_attr_or_input(const PrepareContext& ctx, int input_since,
                                        bool required) {
  if (ctx.node.opset < input_since) {
    require_inputs(ctx, 1, 1);
    if (required && !ctx.node.has("axes")) fail(ctx, "attribute 'axes' is required");
    return ctx.node.attr_ints("axes");
  }
  require_inputs(ctx, required ? 2 : 1, 2);
  return has_input(ctx, 1) ? known_ints(ctx, 1, "axes") : std::vector<int64_t>{};
}

int64_t view_int(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::i64: return v.as<const int64_t>()[i];
    case DType::i32: return v.as<const int32_t>()[i];
    default: throw Error(std::string("expected an integer tensor, got ") + dtype_name(v.dtype));
  }
}

double view_double(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::f32: return v.as<const float>()[i];
    case DType::f64: return v.as<const double>()[i];
    case DType::i64: return double(v.as<const int64_t>()[i]);
    case DType::i32: return v.as<const int32_t>()[i];
    default: throw Error(std::string("expected a numeric tensor, got ") + dtype_name(v.dtype));
  }
}

void add(KernelRegistry& r, const std::string& domain, const std::string& op, int since,
         int until, CreateFn create) {
  KernelDef def;
  def.domain = domain;
  def.op_type = op;
  def.since_version = since;
  def.until_version = until;
  // Kernels fill outputs by position: hand them one slot per node output.
  def.create = [create = std::move(create)](const PrepareContext& ctx,
                                            std::vector<TensorInfo>& outputs) {
    outputs.resize(ctx.node.outputs.size());
    return create(ctx, outputs);
  };
  r.add(std::move(def));
}

std::vector<int64_t> contiguous_strides(const Dims& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (std::size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out) {
  const auto cs = contiguous_strides(in);
  std::vector<int64_t> s(out.size(), 0);
  const std::size_t lead = out.size() - in.size();
  for (std::size_t i = 0; i < in.size(); ++i) s[lead + i] = in[i] == 1 ? 0 : cs[i];
  return s;
}

void copy_loop(const StridedLoop<2>& loop, void* dst, const void* src, std::size_t elem_bytes) {
  dispatch_by_size(elem_bytes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    loop.for_each_row([&](const auto& off, int64_t n, const auto& st) {
      T* o = d + off[0];
      const T* i = s + off[1];
      if (st[0] == 1 && st[1] == 1) {
        std::copy(i, i + n, o);
      } else if (st[0] == 1 && st[1] == 0) {
        std::fill(o, o + n, *i);
      } else {
        for (int64_t k = 0; k < n; ++k) o[k * st[0]] = i[k * st[1]];
      }
    });
  });
}

void broadcast_copy(void* dst, const void* src, std::size_t elem_bytes, const Dims& in_dims,
                    const Dims& out_dims) {
  copy_loop(broadcast_loop<2>(out_dims, {&in_dims}), dst, src, elem_bytes);
}

}  // namespace normrt::rt::kern
