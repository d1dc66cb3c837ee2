// Elementwise binary and variadic kernels with numpy broadcasting:
// arithmetic (Add Sub Mul Div Mod Pow Max Min Sum Mean) on f32/i64/i32,
// comparisons (Equal Less Greater LessOrEqual GreaterOrEqual) -> bool and
// logic (And Or Xor) on bool. Integer arithmetic is checked: overflow and
// division by zero are errors naming the node, never undefined behaviour.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/tensor_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::kern {
namespace {

// out = f(a, b) along a 3-operand loop (out, a, b); the contiguous,
// scalar-a and scalar-b row shapes get their own loops so they vectorize.
template <class R, class A, class B, class F>
void binary_loop(const StridedLoop<3>& loop, R* out, const A* a, const B* b, const F& f) {
  loop.for_each_row([&](const auto& off, int64_t n, const auto& st) {
    R* o = out + off[0];
    const A* x = a + off[1];
    const B* y = b + off[2];
    if (st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (st[1] == 1 && st[2] == 0) {
      const B s = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], s);
    } else if (st[1] == 0 && st[2] == 1) {
      const A s = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(s, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i * st[1]], y[i * st[2]]);
    }
  });
}

// Shapes of a (variadic) elementwise op: the broadcast output shape, and for
// step k (k >= 1) the loop out = f(k == 1 ? in0 : out, in_k).
struct Plan {
  Dims out;
  std::vector<StridedLoop<3>> steps;
  StridedLoop<2> copy;  // single-input variadic: out = broadcast(in0)
  int in_place = -1;
};

Plan plan_elementwise(const PrepareContext& ctx, bool same_type_out) {
  if (ctx.inputs.empty()) fail(ctx, "needs at least one input");
  Plan p;
  p.out = input(ctx, 0, "A").dims;
  for (std::size_t k = 1; k < ctx.inputs.size(); ++k)
    p.out = broadcast_dims(ctx, p.out, input(ctx, k, "B").dims);
  count_of(ctx, p.out);
  const Dims& in0 = ctx.inputs[0].dims;
  if (ctx.inputs.size() == 1) p.copy = broadcast_loop<2>(p.out, {&in0});
  for (std::size_t k = 1; k < ctx.inputs.size(); ++k)
    p.steps.push_back(broadcast_loop<3>(p.out, {k == 1 ? &in0 : &p.out, &ctx.inputs[k].dims}));
  // Later steps reread the output, so only input 0 (or input 1 of a plain
  // binary op) may share its buffer.
  if (same_type_out) {
    if (in0 == p.out) p.in_place = 0;
    else if (ctx.inputs.size() == 2 && ctx.inputs[1].dims == p.out) p.in_place = 1;
  }
  return p;
}

template <class T, class F>
std::unique_ptr<OpKernel> arithmetic_kernel(Plan p, F f, bool mean) {
  const int in_place = p.in_place;
  return std::make_unique<FnKernel>(
      [p = std::move(p), f, mean](RunContext& rc) {
        T* out = rc.outputs[0].as<T>();
        if (p.steps.empty()) copy_loop(p.copy, out, rc.inputs[0].data, sizeof(T));
        for (std::size_t k = 0; k < p.steps.size(); ++k) {
          const T* a = k == 0 ? rc.inputs[0].as<const T>() : out;
          binary_loop(p.steps[k], out, a, rc.inputs[k + 1].as<const T>(), f);
        }
        if (mean && rc.inputs.size() > 1) {
          const T n = T(rc.inputs.size());
          const int64_t count = rc.outputs[0].size();
          for (int64_t i = 0; i < count; ++i) out[i] /= n;
        }
      },
      in_place);
}

// ---- element functions ---------------------------------------------------------

enum class Arith { add, sub, mul, div, mod, fmod, max, min };

template <class T>
T apply_float(Arith op, T a, T b) {
  switch (op) {
    case Arith::add: return a + b;
    case Arith::sub: return a - b;
    case Arith::mul: return a * b;
    case Arith::div: return a / b;
    // NaN in either operand propagates, as in numpy.maximum.
    case Arith::max: return std::isnan(b) ? b : std::isnan(a) ? a : std::max(a, b);
    case Arith::min: return std::isnan(b) ? b : std::isnan(a) ? a : std::min(a, b);
    case Arith::mod: case Arith::fmod: return std::fmod(a, b);
  }
  return a;
}

template <class T>
T apply_int(const std::string& who, Arith op, T a, T b) {
  T r = 0;
  bool overflow = false;
  switch (op) {
    case Arith::add: overflow = __builtin_add_overflow(a, b, &r); break;
    case Arith::sub: overflow = __builtin_sub_overflow(a, b, &r); break;
    case Arith::mul: overflow = __builtin_mul_overflow(a, b, &r); break;
    case Arith::max: return std::max(a, b);
    case Arith::min: return std::min(a, b);
    case Arith::div: case Arith::mod: case Arith::fmod:
      if (b == 0) throw Error(who + ": integer division by zero");
      if (b == T(-1)) {  // a / -1 overflows for the minimum value; a % -1 is 0
        if (op != Arith::div) return 0;
        overflow = __builtin_sub_overflow(T(0), a, &r);
        break;
      }
      if (op == Arith::div) return T(a / b);
      r = T(a % b);
      // Mod with fmod=0 takes the divisor's sign (Python's %).
      if (op == Arith::mod && r != 0 && ((r < 0) != (b < 0))) r = T(r + b);
      return r;
  }
  if (overflow) throw Error(who + ": integer overflow");
  return r;
}

template <class F>
auto dispatch_arith_type(DType t, F&& f) {
  switch (t) {
    case DType::i64: return f(Tag<int64_t>{});
    case DType::i32: return f(Tag<int32_t>{});
    default: return f(Tag<float>{});
  }
}

// Inputs all of one type among f32/i64/i32; returns it.
DType common_type(const PrepareContext& ctx, std::initializer_list<DType> allowed) {
  const DType t = input(ctx, 0, "A", allowed).dtype;
  for (std::size_t k = 1; k < ctx.inputs.size(); ++k)
    if (input(ctx, k, "B", allowed).dtype != t) fail(ctx, "inputs must all have the same type");
  return t;
}

CreateFn arithmetic(Arith fixed, std::size_t min_inputs, std::size_t max_inputs, bool mean = false,
                    bool float_only = false) {
  return [=](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    require_inputs(ctx, min_inputs, max_inputs);
    const DType t = float_only ? common_type(ctx, {DType::f32})
                               : common_type(ctx, {DType::f32, DType::i64, DType::i32});
    Arith op = fixed;
    if (op == Arith::mod) {
      if (ctx.node.attr_int("fmod", 0) != 0) op = Arith::fmod;
      else if (t == DType::f32) fail(ctx, "float Mod requires fmod=1");
    }
    Plan p = plan_elementwise(ctx, /*same_type_out=*/true);
    out[0] = {t, p.out};
    const std::string who = ctx.node.describe();
    return dispatch_arith_type(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_floating_point_v<T>) {
        // One lambda per op keeps the float loops branch-free.
        switch (op) {
          case Arith::add: return arithmetic_kernel<T>(std::move(p), [](T a, T b) { return a + b; }, mean);
          case Arith::sub: return arithmetic_kernel<T>(std::move(p), [](T a, T b) { return a - b; }, mean);
          case Arith::mul: return arithmetic_kernel<T>(std::move(p), [](T a, T b) { return a * b; }, mean);
          case Arith::div: return arithmetic_kernel<T>(std::move(p), [](T a, T b) { return a / b; }, mean);
          default: return arithmetic_kernel<T>(std::move(p), [op](T a, T b) { return apply_float(op, a, b); }, mean);
        }
      } else {
        return arithmetic_kernel<T>(std::move(p), [op, who](T a, T b) { return apply_int(who, op, a, b); }, mean);
      }
    });
  };
}

std::unique_ptr<OpKernel> create_pow(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 2, 2);
  input(ctx, 0, "X", {DType::f32});
  const DType et = input(ctx, 1, "Y", {DType::f32, DType::i64, DType::i32}).dtype;
  Plan p = plan_elementwise(ctx, /*same_type_out=*/true);
  if (p.in_place == 1 && et != DType::f32) p.in_place = -1;
  out[0] = {DType::f32, p.out};
  const int in_place = p.in_place;
  // x^2 (the variance of decomposed LayerNorms) is an exact multiply.
  const Tensor* e = known(ctx, 1);
  const bool square = e && e->size() == 1 && et == DType::f32 && e->as<float>()[0] == 2.0f;
  return std::make_unique<FnKernel>(
      [p = std::move(p), et, square](RunContext& rc) {
        float* o = rc.outputs[0].as<float>();
        const float* x = rc.inputs[0].as<const float>();
        const auto& loop = p.steps[0];
        if (square) return binary_loop(loop, o, x, rc.inputs[1].as<const float>(), [](float a, float) { return a * a; });
        dispatch_arith_type(et, [&](auto tag) {
          using E = typename decltype(tag)::type;
          binary_loop(loop, o, x, rc.inputs[1].as<const E>(),
                      [](float a, E b) { return std::pow(a, float(b)); });
        });
      },
      in_place);
}

// ---- comparisons and logic -> bool -------------------------------------------------

enum class Cmp { eq, lt, gt, le, ge, and_, or_, xor_ };

template <class T>
uint8_t compare(Cmp op, T a, T b) {
  switch (op) {
    case Cmp::eq: return a == b;
    case Cmp::lt: return a < b;
    case Cmp::gt: return a > b;
    case Cmp::le: return a <= b;
    case Cmp::ge: return a >= b;
    case Cmp::and_: return (a != 0) & (b != 0);
    case Cmp::or_: return (a != 0) | (b != 0);
    case Cmp::xor_: return (a != 0) != (b != 0);
  }
  return 0;
}

CreateFn comparison(Cmp op, std::initializer_list<DType> types) {
  std::vector<DType> allowed(types);
  return [op, allowed](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    require_inputs(ctx, 2, 2);
    const DType t = input(ctx, 0, "A").dtype;
    if (std::find(allowed.begin(), allowed.end(), t) == allowed.end() ||
        input(ctx, 1, "B").dtype != t) {
      fail(ctx, std::string("unsupported input types ") + dtype_name(t) + ", " +
                    dtype_name(ctx.inputs[1].dtype));
    }
    Plan p = plan_elementwise(ctx, /*same_type_out=*/t == DType::boolean);
    out[0] = {DType::boolean, p.out};
    const int in_place = p.in_place;
    return std::make_unique<FnKernel>(
        [p = std::move(p), op, t](RunContext& rc) {
          auto* o = rc.outputs[0].as<uint8_t>();
          auto run = [&](auto tag) {
            using T = typename decltype(tag)::type;
            binary_loop(p.steps[0], o, rc.inputs[0].as<const T>(), rc.inputs[1].as<const T>(),
                        [op](T a, T b) { return compare(op, a, b); });
          };
          switch (t) {
            case DType::f32: run(Tag<float>{}); break;
            case DType::i64: run(Tag<int64_t>{}); break;
            case DType::i32: run(Tag<int32_t>{}); break;
            default: run(Tag<uint8_t>{}); break;  // bool
          }
        },
        in_place);
  };
}

}  // namespace

void register_binary_kernels(KernelRegistry& r) {
  add(r, "", "Add", 7, 10000, arithmetic(Arith::add, 2, 2));
  add(r, "", "Sub", 7, 10000, arithmetic(Arith::sub, 2, 2));
  add(r, "", "Mul", 7, 10000, arithmetic(Arith::mul, 2, 2));
  add(r, "", "Div", 7, 10000, arithmetic(Arith::div, 2, 2));
  add(r, "", "Mod", 10, 10000, arithmetic(Arith::mod, 2, 2));
  const std::size_t many = std::numeric_limits<std::size_t>::max();
  add(r, "", "Max", 8, 10000, arithmetic(Arith::max, 1, many));
  add(r, "", "Min", 8, 10000, arithmetic(Arith::min, 1, many));
  add(r, "", "Sum", 8, 10000, arithmetic(Arith::add, 1, many));
  add(r, "", "Mean", 8, 10000, arithmetic(Arith::add, 1, many, /*mean=*/true, /*float_only=*/true));
  add(r, "", "Pow", 7, 10000, create_pow);
  const auto numeric = {DType::f32, DType::i64, DType::i32};
  add(r, "", "Equal", 7, 10000, comparison(Cmp::eq, {DType::f32, DType::i64, DType::i32, DType::boolean}));
  add(r, "", "Less", 7, 10000, comparison(Cmp::lt, numeric));
  add(r, "", "Greater", 7, 10000, comparison(Cmp::gt, numeric));
  add(r, "", "LessOrEqual", 12, 10000, comparison(Cmp::le, numeric));
  add(r, "", "GreaterOrEqual", 12, 10000, comparison(Cmp::ge, numeric));
  add(r, "", "And", 7, 10000, comparison(Cmp::and_, {DType::boolean}));
  add(r, "", "Or", 7, 10000, comparison(Cmp::or_, {DType::boolean}));
  add(r, "", "Xor", 7, 10000, comparison(Cmp::xor_, {DType::boolean}));
}

}  // namespace normrt::rt::kern
