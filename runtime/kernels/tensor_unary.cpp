// Elementwise unary kernels: plain loops over contiguous data that the
// compiler vectorizes, all in place capable. fp32 math (Neg/Abs/Relu/Clip
// also on integers), Not on bool.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/tensor_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::kern {
namespace {

template <class T, class F>
std::unique_ptr<OpKernel> map_kernel(F f) {
  return std::make_unique<FnKernel>(
      [f](RunContext& rc) {
        const T* x = rc.inputs[0].as<const T>();
        T* y = rc.outputs[0].as<T>();
        const int64_t n = rc.inputs[0].size();
        for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
      },
      /*in_place=*/0);
}

// Integer negation without signed-overflow UB (INT_MIN maps to itself).
template <class T>
T negate(T v) {
  if constexpr (std::is_integral_v<T>) return T(std::make_unsigned_t<T>(0) - std::make_unsigned_t<T>(v));
  else return -v;
}

// Calls f(Tag<T>{}) for the numeric types the integer-capable ops accept.
template <class F>
auto dispatch_numeric(DType t, F&& f) {
  switch (t) {
    case DType::i64: return f(Tag<int64_t>{});
    case DType::i32: return f(Tag<int32_t>{});
    default: return f(Tag<float>{});
  }
}

// X -> Y of the same type and shape; X must be one of `types`.
const TensorInfo& unary_signature(const PrepareContext& ctx, std::vector<TensorInfo>& out,
                                  std::initializer_list<DType> types, std::size_t max_inputs = 1) {
  require_inputs(ctx, 1, max_inputs);
  const TensorInfo& x = input(ctx, 0, "X", types);
  out[0] = x;
  return x;
}

// A float op whose function is fixed, or built from the node's attributes by `make`.
template <class Make>
void add_float(KernelRegistry& r, const char* domain, const char* op, int since, Make make) {
  add(r, domain, op, since, 10000, [make](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    unary_signature(ctx, out, {DType::f32});
    return map_kernel<float>(make(ctx));
  });
}

template <class F>
void add_float_fixed(KernelRegistry& r, const char* op, int since, F f) {
  add_float(r, "", op, since, [f](const PrepareContext&) { return f; });
}

// Ops defined for signed integers too; `f` is a generic lambda.
template <class F>
void add_signed(KernelRegistry& r, const char* op, int since, F f) {
  add(r, "", op, since, 10000, [f](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    const TensorInfo& x = unary_signature(ctx, out, {DType::f32, DType::i64, DType::i32});
    return dispatch_numeric(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return map_kernel<T>([f](T v) { return T(f(v)); });
    });
  });
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

std::unique_ptr<OpKernel> create_clip(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  if (ctx.node.opset < 11) {
    unary_signature(ctx, out, {DType::f32});
    const float lo = ctx.node.attr_float("min", -std::numeric_limits<float>::infinity());
    const float hi = ctx.node.attr_float("max", std::numeric_limits<float>::infinity());
    return map_kernel<float>([lo, hi](float v) { return std::min(std::max(v, lo), hi); });
  }
  const TensorInfo& x = unary_signature(ctx, out, {DType::f32, DType::i64, DType::i32}, 3);
  for (std::size_t i = 1; i < 3; ++i) {
    if (!has_input(ctx, i)) continue;
    const TensorInfo& b = input(ctx, i, i == 1 ? "min" : "max");
    if (b.dtype != x.dtype || count_of(ctx, b.dims) != 1)
      fail(ctx, "min and max must be scalars of the input's type");
  }
  // Bounds are read when the kernel runs: they need not be constants.
  return dispatch_numeric(x.dtype, [&](auto tag) -> std::unique_ptr<OpKernel> {
    using T = typename decltype(tag)::type;
    return std::make_unique<FnKernel>(
        [](RunContext& rc) {
          auto bound = [&](std::size_t i, T fallback) {
            return i < rc.inputs.size() && rc.inputs[i].dtype != DType::undefined
                       ? *rc.inputs[i].as<const T>()
                       : fallback;
          };
          const T lo = bound(1, std::numeric_limits<T>::lowest());
          const T hi = bound(2, std::numeric_limits<T>::max());
          const T* x_data = rc.inputs[0].as<const T>();
          T* y = rc.outputs[0].as<T>();
          const int64_t n = rc.inputs[0].size();
          for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x_data[i], lo), hi);
        },
        /*in_place=*/0);
  });
}

std::unique_ptr<OpKernel> create_not(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  out[0] = input(ctx, 0, "X", {DType::boolean});
  return map_kernel<uint8_t>([](uint8_t v) { return uint8_t(v == 0); });
}

}  // namespace

void register_unary_kernels(KernelRegistry& r) {
  add_signed(r, "Neg", 6, [](auto v) { return negate(v); });
  add_signed(r, "Abs", 6, [](auto v) { return v < 0 ? negate(v) : v; });
  add_signed(r, "Relu", 6, [](auto v) { return v < 0 ? decltype(v)(0) : v; });
  add_float_fixed(r, "Sigmoid", 6, sigmoid);
  add_float_fixed(r, "Tanh", 6, [](float v) { return std::tanh(v); });
  add_float_fixed(r, "Exp", 6, [](float v) { return std::exp(v); });
  add_float_fixed(r, "Log", 6, [](float v) { return std::log(v); });
  add_float_fixed(r, "Sqrt", 6, [](float v) { return std::sqrt(v); });
  add_float_fixed(r, "Reciprocal", 6, [](float v) { return 1.0f / v; });
  add_float_fixed(r, "Erf", 9, [](float v) { return std::erf(v); });
  add_float_fixed(r, "Floor", 6, [](float v) { return std::floor(v); });
  add_float_fixed(r, "Ceil", 6, [](float v) { return std::ceil(v); });
  add_float_fixed(r, "Round", 11, [](float v) { return std::nearbyint(v); });  // half to even
  add_float_fixed(r, "HardSwish", 14, [](float v) {
    return v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f));
  });
  add_float_fixed(r, "Softplus", 1, [](float v) {
    // log(1 + e^v) without overflow for large v.
    return v > 0.0f ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
  });
  add_float(r, "", "LeakyRelu", 6, [](const PrepareContext& ctx) {
    const float alpha = ctx.node.attr_float("alpha", 0.01f);
    return [alpha](float v) { return v < 0.0f ? v * alpha : v; };
  });
  add_float(r, "", "Elu", 6, [](const PrepareContext& ctx) {
    const float alpha = ctx.node.attr_float("alpha", 1.0f);
    return [alpha](float v) { return v < 0.0f ? alpha * std::expm1(v) : v; };
  });
  add_float(r, "", "HardSigmoid", 6, [](const PrepareContext& ctx) {
    const float alpha = ctx.node.attr_float("alpha", 0.2f);
    const float beta = ctx.node.attr_float("beta", 0.5f);
    return [alpha, beta](float v) { return std::min(1.0f, std::max(0.0f, alpha * v + beta)); };
  });
  // Gelu: ONNX opset 20 (approximate none|tanh) and com.microsoft (exact).
  auto gelu = [](const PrepareContext& ctx) {
    const std::string approximate = ctx.node.attr_string("approximate", "none");
    if (approximate != "none" && approximate != "tanh")
      fail(ctx, "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + approximate + "\"");
    const bool tanh_form = approximate == "tanh";
    return [tanh_form](float v) {
      if (tanh_form) {
        const float k = 0.7978845608028654f;  // sqrt(2 / pi)
        return 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
      }
      return 0.5f * v * (1.0f + std::erf(v * 0.7071067811865476f));
    };
  };
  add_float(r, "", "Gelu", 20, gelu);
  add_float(r, "com.microsoft", "Gelu", 1, gelu);
  add(r, "", "Clip", 6, 10000, create_clip);
  add(r, "", "Not", 1, 10000, create_not);
}

}  // namespace normrt::rt::kern
