// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare) over any set of
// axes, and ArgMax/ArgMin. Float reductions accumulate in double, in a fixed
// order (so results do not depend on threads), into per-output accumulators
// in scratch; integer Sum/Prod are overflow checked.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/tensor_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::kern {
namespace {

enum class Reduce { sum, mean, max, min, prod, l1, l2, sum_square };

template <class Acc>
Acc reduce_init(Reduce op) {
  switch (op) {
    case Reduce::max: return std::numeric_limits<Acc>::lowest();
    case Reduce::min: return std::numeric_limits<Acc>::max();
    case Reduce::prod: return Acc(1);
    default: return Acc(0);
  }
}

template <class Acc>
Acc reduce_step(const std::string& who, Reduce op, Acc acc, Acc v) {
  if constexpr (std::is_floating_point_v<Acc>) {
    switch (op) {
      case Reduce::max: return (v > acc || std::isnan(v)) && !std::isnan(acc) ? v : acc;
      case Reduce::min: return (v < acc || std::isnan(v)) && !std::isnan(acc) ? v : acc;
      case Reduce::prod: return acc * v;
      case Reduce::l1: return acc + std::fabs(v);
      case Reduce::l2: case Reduce::sum_square: return acc + v * v;
      default: return acc + v;
    }
  } else {
    Acc r = 0;
    switch (op) {
      case Reduce::max: return std::max(acc, v);
      case Reduce::min: return std::min(acc, v);
      case Reduce::prod:
        if (__builtin_mul_overflow(acc, v, &r)) throw Error(who + ": integer overflow");
        return r;
      default:
        if (__builtin_add_overflow(acc, v, &r)) throw Error(who + ": integer overflow");
        return r;
    }
  }
}

struct ReducePlan {
  Reduce op;
  StridedLoop<2> loop;  // operand 0: accumulator (stride 0 on reduced axes), 1: input
  int64_t reduced = 1;  // elements per output
  std::string who;
};

template <class T, class Acc>
void run_reduce(const ReducePlan& p, RunContext& rc) {
  const int64_t n_out = rc.outputs[0].size();
  Acc* acc = static_cast<Acc*>(rc.scratch);
  std::fill(acc, acc + n_out, reduce_init<Acc>(p.op));
  const T* x = rc.inputs[0].as<const T>();
  p.loop.for_each_row([&](const auto& off, int64_t n, const auto& st) {
    Acc* a = acc + off[0];
    const T* in = x + off[1];
    if (st[0] == 0) {
      Acc s = *a;
      for (int64_t i = 0; i < n; ++i) s = reduce_step<Acc>(p.who, p.op, s, Acc(in[i * st[1]]));
      *a = s;
    } else {
      for (int64_t i = 0; i < n; ++i)
        a[i * st[0]] = reduce_step<Acc>(p.who, p.op, a[i * st[0]], Acc(in[i * st[1]]));
    }
  });
  T* y = rc.outputs[0].as<T>();
  for (int64_t i = 0; i < n_out; ++i) {
    Acc v = acc[i];
    if constexpr (std::is_floating_point_v<Acc>) {  // Mean and L2 are float-only
      if (p.op == Reduce::mean) v /= Acc(p.reduced);  // 0/0 = NaN for an empty reduction
      if (p.op == Reduce::l2) v = std::sqrt(v);
    }
    y[i] = T(v);
  }
}

CreateFn reduction(Reduce op, bool float_only) {
  return [=](const PrepareContext& ctx, std::vector<TensorInfo>& out) -> std::unique_ptr<OpKernel> {
    const int input_since = ctx.node.op_type == "ReduceSum" ? 13 : 18;
    const auto raw_axes = axes_attr_or_input(ctx, input_since, /*required=*/false);
    const TensorInfo& x = float_only ? input(ctx, 0, "data", {DType::f32})
                                     : input(ctx, 0, "data", {DType::f32, DType::i64, DType::i32});
    const auto rank = int64_t(x.dims.size());
    const bool keepdims = ctx.node.attr_int("keepdims", 1) != 0;
    if (raw_axes.empty() && ctx.node.attr_int("noop_with_empty_axes", 0) != 0) {
      out[0] = x;
      return std::make_unique<FnKernel>(
          [](RunContext& rc) {
            copy_bytes(rc.outputs[0].data, rc.inputs[0].data, view_bytes(rc.inputs[0]));
          },
          /*in_place=*/0);
    }
    auto axes = normalize_axes(ctx, raw_axes, rank, "axes");
    std::vector<bool> reduced(std::size_t(rank), axes.empty());
    for (int64_t a : axes) reduced[std::size_t(a)] = true;

    ReducePlan p{op, {}, 1, ctx.node.describe()};
    Dims acc_dims, out_dims;
    for (std::size_t d = 0; d < reduced.size(); ++d) {
      acc_dims.push_back(reduced[d] ? 1 : x.dims[d]);
      if (!reduced[d] || keepdims) out_dims.push_back(acc_dims.back());
      if (reduced[d]) p.reduced = checked_mul(ctx, p.reduced, x.dims[d]);
    }
    const auto acc_strides = broadcast_strides(acc_dims, x.dims);
    const auto in_strides = contiguous_strides(x.dims);
    for (std::size_t d = 0; d < reduced.size(); ++d)
      p.loop.push_dim(x.dims[d], {acc_strides[d], in_strides[d]});
    p.loop.simplify();
    out[0] = {x.dtype, out_dims};
    const std::size_t scratch = std::size_t(count_of(ctx, out_dims)) * 8;
    const DType t = x.dtype;
    return std::make_unique<FnKernel>(
        [p = std::move(p), t](RunContext& rc) {
          switch (t) {
            case DType::i64: run_reduce<int64_t, int64_t>(p, rc); break;
            case DType::i32: run_reduce<int32_t, int64_t>(p, rc); break;
            default: run_reduce<float, double>(p, rc); break;
          }
        },
        /*in_place=*/-1, scratch);
  };
}

template <class T>
void run_arg(RunContext& rc, int64_t outer, int64_t extent, int64_t inner, bool is_max,
             bool last) {
  const T* x = rc.inputs[0].as<const T>();
  auto* y = rc.outputs[0].as<int64_t>();
  // NaN wins (the first, or the last with select_last_index), like numpy.
  auto better = [&](T v, T best) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(best)) return last && std::isnan(v);
      if (std::isnan(v)) return true;
    }
    if (v == best) return last;
    return is_max ? v > best : v < best;
  };
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* row = x + o * extent * inner + i;
      int64_t arg = 0;
      for (int64_t k = 1; k < extent; ++k)
        if (better(row[k * inner], row[arg * inner])) arg = k;
      y[o * inner + i] = arg;
    }
  }
}

CreateFn arg_reduction(bool is_max) {
  return [=](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    require_inputs(ctx, 1, 1);
    const TensorInfo& x = input(ctx, 0, "data", {DType::f32, DType::i64, DType::i32});
    require_rank_at_least(ctx, x, 1, "data");
    const auto axis = std::size_t(normalize_axis(ctx, ctx.node.attr_int("axis", 0),
                                                 int64_t(x.dims.size()), "axis"));
    const int64_t extent = x.dims[axis];
    if (extent == 0) fail(ctx, "cannot take the arg of an empty axis");
    Dims dims = x.dims;
    if (ctx.node.attr_int("keepdims", 1) != 0) dims[axis] = 1;
    else dims.erase(dims.begin() + std::ptrdiff_t(axis));
    out[0] = {DType::i64, dims};
    const int64_t outer = product(ctx, x.dims, 0, axis);
    const int64_t inner = product(ctx, x.dims, axis + 1, x.dims.size());
    const bool last = ctx.node.attr_int("select_last_index", 0) != 0;
    const DType t = x.dtype;
    return std::make_unique<FnKernel>([=](RunContext& rc) {
      switch (t) {
        case DType::i64: run_arg<int64_t>(rc, outer, extent, inner, is_max, last); break;
        case DType::i32: run_arg<int32_t>(rc, outer, extent, inner, is_max, last); break;
        default: run_arg<float>(rc, outer, extent, inner, is_max, last); break;
      }
    });
  };
}

}  // namespace

void register_reduce_kernels(KernelRegistry& r) {
  add(r, "", "ReduceSum", 1, 10000, reduction(Reduce::sum, false));
  add(r, "", "ReduceMean", 1, 10000, reduction(Reduce::mean, true));
  add(r, "", "ReduceMax", 1, 10000, reduction(Reduce::max, false));
  add(r, "", "ReduceMin", 1, 10000, reduction(Reduce::min, false));
  add(r, "", "ReduceProd", 1, 10000, reduction(Reduce::prod, false));
  add(r, "", "ReduceL1", 1, 10000, reduction(Reduce::l1, true));
  add(r, "", "ReduceL2", 1, 10000, reduction(Reduce::l2, true));
  add(r, "", "ReduceSumSquare", 1, 10000, reduction(Reduce::sum_square, true));
  add(r, "", "ArgMax", 1, 10000, arg_reduction(true));
  add(r, "", "ArgMin", 1, 10000, arg_reduction(false));
}

}  // namespace normrt::rt::kern
