#include "kernels/norm_util.hpp"

#include <algorithm>
#include <cmath>

namespace normrt::rt::kern {

ops::Activation activation_attr(const PrepareContext& ctx) {
  if (!ctx.node.has("activation")) return ops::Activation::none;
  if (ctx.node.domain != "normrt") {
    fail(ctx, "attribute 'activation' is only defined for fused ops of the normrt domain");
  }
  const std::string a = ctx.node.attr_string("activation", "none");
  if (a == "none") return ops::Activation::none;
  if (a == "relu") return ops::Activation::relu;
  if (a == "silu") return ops::Activation::silu;
  fail(ctx, "attribute 'activation' must be none, relu or silu, got '" + a + "'");
}

void apply_activation(float* y, int64_t n, ops::Activation act) {
  switch (act) {
    case ops::Activation::none: return;
    case ops::Activation::relu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];
      return;
    case ops::Activation::silu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] / (1.0f + std::exp(-y[i]));
      return;
  }
}

float epsilon_attr(const PrepareContext& ctx, float fallback) {
  const float eps = ctx.node.attr_float("epsilon", fallback);
  if (!(eps >= 0.0f) || !std::isfinite(eps)) {
    fail(ctx, "attribute 'epsilon' must be finite and >= 0, got " + std::to_string(eps));
  }
  return eps;
}

namespace {

NcsShape blocked_ncs_shape(const PrepareContext& ctx, const TensorInfo& x, std::size_t min_rank) {
  const int64_t b = ctx.node.attr_int("normrt_block", 0);
  const int64_t c = ctx.node.attr_int("normrt_channels", 0);
  if (b != 8 && b != 16) fail(ctx, "attribute 'normrt_block' must be 8 or 16");
  if (x.dims.size() < std::max<std::size_t>(min_rank, 3) + 1 || x.dims.back() != b || c <= 0 ||
      x.dims[1] != (c + b - 1) / b)
    fail(ctx, "blocked input 'X' " + dims_string(x.dims) + " does not hold " + std::to_string(c) +
                  " channels in blocks of " + std::to_string(b));
  count_of(ctx, x.dims);
  NcsShape s;
  s.n = x.dims[0];
  s.c = c;
  s.spatial = product(ctx, x.dims, 2, x.dims.size() - 1);
  s.layout = b == 16 ? ops::Layout::nchw16c : ops::Layout::nchw8c;
  return s;
}

}  // namespace

NcsShape ncs_shape(const PrepareContext& ctx, const TensorInfo& x, std::size_t min_rank,
                   bool allow_blocked) {
  if (ctx.node.has("normrt_block") || ctx.node.has("normrt_channels")) {
    if (!allow_blocked) fail(ctx, "this op has no blocked-layout kernel (attribute 'normrt_block')");
    return blocked_ncs_shape(ctx, x, min_rank);
  }
  require_rank_at_least(ctx, x, min_rank, "X");
  count_of(ctx, x.dims);
  NcsShape s;
  s.n = x.dims[0];
  if (x.dims.size() >= 2) {
    s.c = x.dims[1];
    s.spatial = product(ctx, x.dims, 2, x.dims.size());
  }
  return s;
}

Param make_param(const PrepareContext& ctx, std::size_t i, const char* what, const Dims& to,
                 bool optional, std::size_t& scratch) {
  Param p;
  if (!has_input(ctx, i)) {
    if (!optional) fail(ctx, std::string("input '") + what + "' is missing");
    return p;
  }
  p.input = int(i);
  p.from = input(ctx, i, what, {DType::f32}).dims;
  p.to = to;
  // Leading unit dims beyond the target rank carry nothing: [1, 1, C] is [C].
  while (p.from.size() > to.size() && p.from.front() == 1) p.from.erase(p.from.begin());
  if (!broadcasts_to(p.from, to)) {
    fail(ctx, std::string("input '") + what + "' of shape " + dims_string(ctx.inputs[i].dims) +
                  " does not broadcast to " + dims_string(to));
  }
  const int64_t count = count_of(ctx, to);
  if (const Tensor* t = known(ctx, i)) {
    p.known = true;
    p.fixed.resize(std::size_t(count));
    if (count > 0) broadcast_copy(p.fixed.data(), t->data(), sizeof(float), p.from, to);
  } else if (count_of(ctx, p.from) != count) {
    p.scratch_offset = scratch;
    scratch += (std::size_t(count) * sizeof(float) + 63) / 64 * 64;
  }
  return p;
}

const float* Param::get(const RunContext& rc) const {
  if (input < 0) return nullptr;
  if (known) return fixed.data();
  const TensorView& v = rc.inputs[std::size_t(input)];
  if (from == to || v.size() == element_count(to, "parameter")) return v.as<const float>();
  auto* dst = reinterpret_cast<float*>(static_cast<char*>(rc.scratch) + scratch_offset);
  broadcast_copy(dst, v.data, sizeof(float), from, to);
  return dst;
}

float* optional_output(const RunContext& rc, std::size_t i) {
  if (i >= rc.outputs.size()) return nullptr;
  return rc.outputs[i].as<float>();
}

}  // namespace normrt::rt::kern
