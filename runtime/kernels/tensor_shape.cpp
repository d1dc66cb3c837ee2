// Shape kernels: ops whose output is the input's bytes under a new shape
// (Identity, Reshape, Flatten, Squeeze, Unsqueeze), constants (Constant,
// ConstantOfShape, Range) and shape queries (Shape, Size).
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/tensor_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::kern {
namespace {

// Output 0 is input 0's bytes: a copy, or nothing when planned in place.
std::unique_ptr<OpKernel> alias_kernel() {
  return std::make_unique<FnKernel>(
      [](RunContext& rc) {
        copy_bytes(rc.outputs[0].data, rc.inputs[0].data, view_bytes(rc.inputs[0]));
      },
      /*in_place=*/0);
}

// A kernel that writes a tensor computed at prepare time.
std::unique_ptr<OpKernel> constant_kernel(Tensor value) {
  return std::make_unique<FnKernel>([value](RunContext& rc) {
    copy_bytes(rc.outputs[0].data, value.data(), value.bytes());
  });
}

std::unique_ptr<OpKernel> create_identity(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  out[0] = input(ctx, 0, "input");
  return alias_kernel();
}

Tensor constant_value(const PrepareContext& ctx) {
  const Node& n = ctx.node;
  if (n.attrs.size() != 1) fail(ctx, "needs exactly one value attribute");
  if (const Tensor* t = n.attr_tensor("value")) return *t;
  if (n.has("value_float")) {
    Tensor t(DType::f32, {});
    t.as<float>()[0] = n.attr_float("value_float", 0.0f);
    return t;
  }
  if (n.has("value_int")) {
    Tensor t(DType::i64, {});
    t.as<int64_t>()[0] = n.attr_int("value_int", 0);
    return t;
  }
  if (n.has("value_floats")) {
    const auto v = n.attr_floats("value_floats");
    Tensor t(DType::f32, {int64_t(v.size())});
    std::copy(v.begin(), v.end(), t.as<float>());
    return t;
  }
  if (n.has("value_ints")) {
    const auto v = n.attr_ints("value_ints");
    Tensor t(DType::i64, {int64_t(v.size())});
    std::copy(v.begin(), v.end(), t.as<int64_t>());
    return t;
  }
  fail(ctx, "unsupported value attribute '" + n.attrs.begin()->first + "'");
}

std::unique_ptr<OpKernel> create_constant(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 0, 0);
  Tensor value = constant_value(ctx);
  out[0] = {value.dtype(), value.dims()};
  return constant_kernel(std::move(value));
}

std::unique_ptr<OpKernel> create_shape(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  const Dims& dims = input(ctx, 0, "data").dims;
  const auto rank = int64_t(dims.size());
  auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t(0), rank); };
  const int64_t start = clamp(ctx.node.attr_int("start", 0));
  const int64_t end = std::max(start, clamp(ctx.node.attr_int("end", rank)));
  Tensor value(DType::i64, {end - start});
  std::copy(dims.begin() + start, dims.begin() + end, value.as<int64_t>());
  out[0] = {DType::i64, value.dims()};
  return constant_kernel(std::move(value));
}

std::unique_ptr<OpKernel> create_size(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  Tensor value(DType::i64, {});
  value.as<int64_t>()[0] = count_of(ctx, input(ctx, 0, "data").dims);
  out[0] = {DType::i64, {}};
  return constant_kernel(std::move(value));
}

// Reshape's target: 0 copies the input dim (unless allowzero), one -1 is inferred.
Dims reshape_dims(const PrepareContext& ctx, const Dims& in, std::vector<int64_t> shape,
                  bool allowzero) {
  const int64_t count = count_of(ctx, in);
  int64_t infer = -1;
  int64_t known_count = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) fail(ctx, "shape " + dims_string(shape) + " has more than one -1");
      infer = int64_t(i);
      continue;
    }
    if (shape[i] == 0 && !allowzero) {
      if (i >= in.size()) {
        fail(ctx, "shape " + dims_string(shape) + ": 0 at position " + std::to_string(i) +
                      " has no input dim to copy (input " + dims_string(in) + ")");
      }
      shape[i] = in[i];
    }
    if (shape[i] < 0) fail(ctx, "shape " + dims_string(shape) + " has a negative dimension");
    known_count = checked_mul(ctx, known_count, shape[i]);
  }
  if (infer >= 0) {
    if (known_count == 0 || count % known_count != 0) {
      fail(ctx, "cannot reshape " + dims_string(in) + " to " + dims_string(shape));
    }
    shape[std::size_t(infer)] = count / known_count;
    known_count = count;
  }
  if (known_count != count) {
    fail(ctx, "cannot reshape " + dims_string(in) + " (" + std::to_string(count) +
                  " elements) to " + dims_string(shape));
  }
  return shape;
}

std::unique_ptr<OpKernel> create_reshape(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  const bool shape_as_input = ctx.node.opset >= 5;
  require_inputs(ctx, shape_as_input ? 2 : 1, shape_as_input ? 2 : 1);
  const TensorInfo& data = input(ctx, 0, "data");
  const auto shape = shape_as_input ? known_ints(ctx, 1, "shape") : ctx.node.attr_ints("shape");
  const bool allowzero = ctx.node.attr_int("allowzero", 0) != 0;
  out[0] = {data.dtype, reshape_dims(ctx, data.dims, shape, allowzero)};
  return alias_kernel();
}

std::unique_ptr<OpKernel> create_flatten(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  const TensorInfo& data = input(ctx, 0, "input");
  const auto rank = int64_t(data.dims.size());
  const auto axis = std::size_t(normalize_axis(ctx, ctx.node.attr_int("axis", 1), rank, "axis",
                                               /*inclusive=*/true));
  out[0] = {data.dtype,
            {product(ctx, data.dims, 0, axis), product(ctx, data.dims, axis, data.dims.size())}};
  return alias_kernel();
}

// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input since.
constexpr int kAxesInputSince = 13;

std::unique_ptr<OpKernel> create_squeeze(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  const auto raw_axes = axes_attr_or_input(ctx, kAxesInputSince, /*required=*/false);
  const TensorInfo& data = input(ctx, 0, "data");
  const auto rank = int64_t(data.dims.size());
  const auto axes = normalize_axes(ctx, raw_axes, rank, "axes");
  Dims dims;
  for (int64_t d = 0; d < rank; ++d) {
    const bool listed = std::find(axes.begin(), axes.end(), d) != axes.end();
    const int64_t extent = data.dims[std::size_t(d)];
    if (listed && extent != 1) {
      fail(ctx, "cannot squeeze axis " + std::to_string(d) + " of extent " +
                    std::to_string(extent) + " (shape " + dims_string(data.dims) + ")");
    }
    if (listed || (axes.empty() && extent == 1)) continue;
    dims.push_back(extent);
  }
  out[0] = {data.dtype, dims};
  return alias_kernel();
}

std::unique_ptr<OpKernel> create_unsqueeze(const PrepareContext& ctx,
                                           std::vector<TensorInfo>& out) {
  const auto raw_axes = axes_attr_or_input(ctx, kAxesInputSince, /*required=*/true);
  const TensorInfo& data = input(ctx, 0, "data");
  const auto rank = int64_t(data.dims.size() + raw_axes.size());
  const auto axes = normalize_axes(ctx, raw_axes, rank, "axes");
  Dims dims;
  std::size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
      dims.push_back(1);
    } else {
      dims.push_back(data.dims[next++]);
    }
  }
  out[0] = {data.dtype, dims};
  return alias_kernel();
}

std::unique_ptr<OpKernel> create_constant_of_shape(const PrepareContext& ctx,
                                                   std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  const Dims dims = known_ints(ctx, 0, "input");
  for (int64_t d : dims)
    if (d < 0) fail(ctx, "negative dimension in shape " + dims_string(dims));
  count_of(ctx, dims);
  Tensor value(DType::f32, {1});
  if (const Tensor* v = ctx.node.attr_tensor("value")) {
    if (v->size() != 1) fail(ctx, "attribute 'value' must have one element");
    value = *v;
  }
  out[0] = {value.dtype(), dims};
  return std::make_unique<FnKernel>([value](RunContext& rc) {
    dispatch_by_size(dtype_size(value.dtype()), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* o = rc.outputs[0].as<T>();
      std::fill(o, o + rc.outputs[0].size(), *value.as<T>());
    });
  });
}

std::unique_ptr<OpKernel> create_range(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 3, 3);
  const DType t = input(ctx, 0, "start", {DType::f32, DType::f64, DType::i32, DType::i64}).dtype;
  for (std::size_t i = 1; i < 3; ++i) {
    const char* what = i == 1 ? "limit" : "delta";
    if (input(ctx, i, what).dtype != t) fail(ctx, std::string("input '") + what + "' type differs from start");
  }
  for (std::size_t i = 0; i < 3; ++i) {
    const Tensor* k = known(ctx, i);
    if (!k || k->size() != 1) fail(ctx, "start, limit and delta must be known scalars");
  }
  auto scalar = [&](std::size_t i) {
    const Tensor* k = known(ctx, i);
    return TensorView{const_cast<void*>(k->data()), k->dtype(), k->dims()};
  };
  int64_t count = 0;
  if (t == DType::f32 || t == DType::f64) {
    const double start = view_double(scalar(0)), limit = view_double(scalar(1));
    const double delta = view_double(scalar(2));
    const double n = std::ceil((limit - start) / delta);
    if (!std::isfinite(n) || delta == 0.0) fail(ctx, "range has no finite length");
    if (n > double(int64_t(1) << 40)) fail(ctx, "range is too long");
    count = std::max<int64_t>(0, int64_t(n));
  } else {
    const int64_t start = view_int(scalar(0)), limit = view_int(scalar(1));
    const int64_t delta = view_int(scalar(2));
    if (delta == 0) fail(ctx, "delta must not be 0");
    int64_t span = 0;
    if (__builtin_sub_overflow(limit, start, &span)) fail(ctx, "range length overflows");
    // ceil(span / delta) without overflow: span and delta of the same sign.
    if ((span > 0) == (delta > 0) && span != 0) {
      count = span / delta + (span % delta != 0 ? 1 : 0);
    }
  }
  out[0] = {t, {count}};
  return std::make_unique<FnKernel>([t](RunContext& rc) {
    const int64_t n = rc.outputs[0].size();
    if (t == DType::f32 || t == DType::f64) {
      const double start = view_double(rc.inputs[0]), delta = view_double(rc.inputs[2]);
      for (int64_t i = 0; i < n; ++i) {
        const double v = start + double(i) * delta;
        if (t == DType::f32) rc.outputs[0].as<float>()[i] = float(v);
        else rc.outputs[0].as<double>()[i] = v;
      }
    } else {
      // start + i * delta stays within [start, limit): no overflow.
      const int64_t start = view_int(rc.inputs[0]), delta = view_int(rc.inputs[2]);
      for (int64_t i = 0; i < n; ++i) {
        if (t == DType::i64) rc.outputs[0].as<int64_t>()[i] = start + i * delta;
        else rc.outputs[0].as<int32_t>()[i] = int32_t(start + i * delta);
      }
    }
  });
}

}  // namespace

void register_shape_kernels(KernelRegistry& r) {
  add(r, "", "Identity", 1, 10000, create_identity);
  add(r, "", "Constant", 1, 10000, create_constant);
  add(r, "", "Shape", 1, 10000, create_shape);
  add(r, "", "Size", 1, 10000, create_size);
  add(r, "", "Reshape", 1, 10000, create_reshape);
  add(r, "", "Flatten", 1, 10000, create_flatten);
  add(r, "", "Squeeze", 1, 10000, create_squeeze);
  add(r, "", "Unsqueeze", 1, 10000, create_unsqueeze);
  add(r, "", "ConstantOfShape", 9, 10000, create_constant_of_shape);
  add(r, "", "Range", 11, 10000, create_range);
}

}  // namespace normrt::rt::kern
