// Row norms through ops::layer_norm / ops::rms_norm: LayerNormalization-17,
// RMSNormalization-23, SimplifiedLayerNormalization, and the fused-residual
// SkipLayerNormalization / SkipSimplifiedLayerNormalization (com.microsoft,
// also accepted in the default domain), plus normrt-domain copies with an
// activation epilogue.
#include <algorithm>

#include "kernels/norm_kernels.hpp"
#include "kernels/norm_util.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/rms_norm.hpp"

namespace normrt::rt::kern {
namespace {

enum class RowKind { layer, rms };

// Everything one row-norm call needs, fixed at prepare time.
struct RowNormSpec {
  RowKind kind = RowKind::layer;
  int64_t rows = 0, cols = 0;
  float eps = 1e-5f;
  Param gamma, beta, bias;
  int skip_input = -1;  // residual input, or -1
  int64_t skip_rows = 0;
  int out_mean = -1, out_inv_std = -1, out_sum = -1;
  bool zero_mean = false;  // SkipSimplified's mean output: defined but unused (zeros)
  ops::Activation act = ops::Activation::none;
  std::size_t scratch = 0;
};

class RowNormKernel final : public OpKernel {
 public:
  explicit RowNormKernel(RowNormSpec spec) : s_(std::move(spec)) {}

  void run(RunContext& rc) const override {
    if (s_.rows == 0 || s_.cols == 0) return;
    auto out = [&](int i) { return i < 0 ? nullptr : optional_output(rc, std::size_t(i)); };
    const float* skip = s_.skip_input < 0 ? nullptr
                                          : rc.inputs[std::size_t(s_.skip_input)].as<const float>();
    float* y = rc.outputs[0].as<float>();
    if (s_.kind == RowKind::layer) {
      ops::LayerNormArgs a;
      fill_common(a, rc, skip, out);
      a.beta = s_.beta.get(rc);
      a.mean = out(s_.out_mean);
      ops::layer_norm(a, rc.exec);
    } else {
      ops::RmsNormArgs a;
      fill_common(a, rc, skip, out);
      ops::rms_norm(a, rc.exec);
      if (float* mean = out(s_.out_mean); mean && s_.zero_mean) std::fill(mean, mean + s_.rows, 0.0f);
    }
    apply_activation(y, s_.rows * s_.cols, s_.act);
  }
  int in_place_input(int out) const override { return out == 0 ? 0 : -1; }
  std::size_t scratch_bytes() const override { return s_.scratch; }

 private:
  template <class Args, class Out>
  void fill_common(Args& a, const RunContext& rc, const float* skip, Out out) const {
    a.x = rc.inputs[0].as<const float>();
    a.y = rc.outputs[0].as<float>();
    a.rows = s_.rows;
    a.cols = s_.cols;
    a.gamma = s_.gamma.get(rc);
    a.eps = s_.eps;
    a.inv_std_dev = out(s_.out_inv_std);
    a.skip = skip;
    a.skip_rows = skip ? s_.skip_rows : 0;
    a.bias = s_.bias.get(rc);
    a.sum = out(s_.out_sum);
  }

  RowNormSpec s_;
};

// Output i (when present) holds per-row statistics of shape dims[:axis] + 1s.
void stats_output(const PrepareContext& ctx, std::vector<TensorInfo>& out, std::size_t i,
                  const Dims& dims, std::size_t axis, int& index) {
  if (!has_output(ctx, i)) return;
  Dims d(dims.begin(), dims.begin() + std::ptrdiff_t(axis));
  d.resize(dims.size(), 1);
  out[i] = {DType::f32, d};
  index = int(i);
}

// Rows/cols split at `axis` ("axis" attribute, default -1) of X = input 0.
std::size_t split_rows(const PrepareContext& ctx, RowNormSpec& s, const TensorInfo& x) {
  require_rank_at_least(ctx, x, 1, "X");
  const auto axis = std::size_t(normalize_axis(ctx, ctx.node.attr_int("axis", -1),
                                               int64_t(x.dims.size()), "axis"));
  if (ctx.node.attr_int("stash_type", 1) != 1) fail(ctx, "only stash_type=1 (float) is supported");
  s.rows = product(ctx, x.dims, 0, axis);
  s.cols = product(ctx, x.dims, axis, x.dims.size());
  return axis;
}

// LayerNormalization / RMSNormalization / SimplifiedLayerNormalization:
// X, scale (, B for LayerNorm); outputs Y and the optional statistics.
CreateFn axis_norm(RowKind kind, bool ort_simplified) {
  return [=](const PrepareContext& ctx, std::vector<TensorInfo>& out) -> std::unique_ptr<OpKernel> {
    const bool layer = kind == RowKind::layer;
    require_inputs(ctx, 2, layer ? 3 : 2);
    require_outputs(ctx, 1, layer ? 3 : ort_simplified ? 2 : 1);
    RowNormSpec s;
    s.kind = kind;
    const TensorInfo& x = input(ctx, 0, "X", {DType::f32});
    const std::size_t axis = split_rows(ctx, s, x);
    s.eps = epsilon_attr(ctx, 1e-5f);
    s.act = activation_attr(ctx);
    const Dims norm_dims(x.dims.begin() + std::ptrdiff_t(axis), x.dims.end());
    s.gamma = make_param(ctx, 1, "Scale", norm_dims, false, s.scratch);
    if (layer) {
      s.beta = make_param(ctx, 2, "B", norm_dims, true, s.scratch);
      stats_output(ctx, out, 1, x.dims, axis, s.out_mean);
      stats_output(ctx, out, 2, x.dims, axis, s.out_inv_std);
    } else if (ort_simplified) {
      stats_output(ctx, out, 1, x.dims, axis, s.out_inv_std);
    }
    out[0] = {DType::f32, x.dims};
    return std::make_unique<RowNormKernel>(std::move(s));
  };
}

// SkipLayerNormalization: input, skip, gamma, beta?, bias?;
// SkipSimplifiedLayerNormalization: input, skip, gamma, bias?.
// Outputs: output, mean?, inv_std_var?, input_skip_bias_sum?.
CreateFn skip_norm(RowKind kind) {
  return [=](const PrepareContext& ctx, std::vector<TensorInfo>& out) -> std::unique_ptr<OpKernel> {
    const bool layer = kind == RowKind::layer;
    require_inputs(ctx, 3, layer ? 5 : 4);
    require_outputs(ctx, 1, 4);
    RowNormSpec s;
    s.kind = kind;
    const TensorInfo& x = input(ctx, 0, "input", {DType::f32});
    require_rank_at_least(ctx, x, 2, "input");
    const TensorInfo& skip = input(ctx, 1, "skip", {DType::f32});
    s.cols = x.dims.back();
    s.rows = product(ctx, x.dims, 0, x.dims.size() - 1);
    // skip is input's shape, or its trailing dims ([S, H] for [B, S, H]),
    // possibly with leading 1s: row r of input adds row r % skip_rows.
    Dims sd = skip.dims;
    while (!sd.empty() && sd.front() == 1 && sd.size() > 1) sd.erase(sd.begin());
    if (sd.size() > x.dims.size() || !std::equal(sd.begin(), sd.end(), x.dims.end() - std::ptrdiff_t(sd.size())) ||
        sd.empty() || sd.back() != s.cols) {
      fail(ctx, "skip of shape " + dims_string(skip.dims) + " does not match input " +
                    dims_string(x.dims));
    }
    s.skip_input = 1;
    s.skip_rows = product(ctx, sd, 0, sd.size() - 1);
    s.eps = epsilon_attr(ctx, 1e-12f);
    s.act = activation_attr(ctx);
    const Dims h{s.cols};
    s.gamma = make_param(ctx, 2, "gamma", h, false, s.scratch);
    if (layer) s.beta = make_param(ctx, 3, "beta", h, true, s.scratch);
    s.bias = make_param(ctx, layer ? 4 : 3, "bias", h, true, s.scratch);
    const std::size_t axis = x.dims.size() - 1;
    stats_output(ctx, out, 1, x.dims, axis, s.out_mean);
    s.zero_mean = !layer;
    stats_output(ctx, out, 2, x.dims, axis, s.out_inv_std);
    if (has_output(ctx, 3)) {
      out[3] = {DType::f32, x.dims};
      s.out_sum = 3;
    }
    out[0] = {DType::f32, x.dims};
    return std::make_unique<RowNormKernel>(std::move(s));
  };
}

}  // namespace

void register_row_norm_kernels(KernelRegistry& r) {
  for (const char* domain : {"", "normrt"}) {
    add(r, domain, "LayerNormalization", domain[0] ? 1 : 17, 10000, axis_norm(RowKind::layer, false));
    add(r, domain, "RMSNormalization", domain[0] ? 1 : 23, 10000, axis_norm(RowKind::rms, false));
  }
  for (const char* domain : {"", "com.microsoft", "normrt"}) {
    add(r, domain, "SimplifiedLayerNormalization", 1, 10000, axis_norm(RowKind::rms, true));
    add(r, domain, "SkipLayerNormalization", 1, 10000, skip_norm(RowKind::layer));
    add(r, domain, "SkipSimplifiedLayerNormalization", 1, 10000, skip_norm(RowKind::rms));
  }
}

}  // namespace normrt::rt::kern
