// BatchNormalization (opset 1-15, inference and training mode) and the
// normrt.ChannelAffine that the BN pass leaves for BNs it cannot fold: both
// end in ops::batch_norm_apply on a per-channel scale/shift.
#include "kernels/norm_kernels.hpp"
#include "kernels/norm_util.hpp"
#include "normrt/ops/batch_norm.hpp"

namespace normrt::rt::kern {
namespace {

// The per-channel y = x * scale + shift of inference, folded once at prepare
// time when every statistic is a constant (the usual case), else per run.
class BatchNormInference final : public OpKernel {
 public:
  BatchNormInference(NcsShape shape, Param scale, Param bias, Param mean, Param var, float eps,
                     ops::Activation act, std::size_t scratch)
      : shape_(shape), scale_(std::move(scale)), bias_(std::move(bias)), mean_(std::move(mean)),
        var_(std::move(var)), eps_(eps), act_(act), scratch_(scratch) {
    if (scale_.known && bias_.known && mean_.known && var_.known) folded_ = fold(nullptr);
  }

  void run(RunContext& rc) const override {
    if (shape_.n * shape_.c * shape_.spatial == 0) return;
    if (!folded_.scale.empty()) return apply(rc, folded_);
    apply(rc, fold(&rc));
  }
  int in_place_input(int out) const override { return out == 0 ? 0 : -1; }
  std::size_t scratch_bytes() const override { return scratch_; }

 private:
  struct Folded {
    std::vector<float> scale, shift;
  };

  Folded fold(const RunContext* rc) const {
    auto get = [&](const Param& p) { return p.known ? p.fixed.data() : p.get(*rc); };
    ops::BatchNormParams bn;
    bn.channels = shape_.c;
    bn.gamma = get(scale_);
    bn.beta = get(bias_);
    bn.mean = get(mean_);
    bn.var = get(var_);
    bn.eps = eps_;
    const ops::ChannelAffine affine = ops::fold_batch_norm(bn);
    return {affine.scale_f32(), affine.shift_f32()};
  }

  void apply(const RunContext& rc, const Folded& f) const {
    auto a = ncs_args<ops::BatchNormArgs>(rc, shape_);
    a.scale = f.scale.data();
    a.shift = f.shift.data();
    a.act = act_;
    ops::batch_norm_apply(a, rc.exec);
  }

  NcsShape shape_;
  Param scale_, bias_, mean_, var_;
  float eps_;
  ops::Activation act_;
  std::size_t scratch_;
  Folded folded_;
};

// Training mode: batch statistics and the running-stat outputs.
class BatchNormTraining final : public OpKernel {
 public:
  // Output indices of the running and saved (batch) statistics; -1 absent.
  struct Outputs {
    int running_mean = -1, running_var = -1, batch_mean = -1, batch_var = -1;
  };
  BatchNormTraining(NcsShape shape, Param scale, Param bias, Param mean, Param var, float eps,
                    float momentum, Outputs outs, std::size_t scratch)
      : shape_(shape), scale_(std::move(scale)), bias_(std::move(bias)), mean_(std::move(mean)),
        var_(std::move(var)), eps_(eps), momentum_(momentum), outs_(outs), scratch_(scratch) {}

  void run(RunContext& rc) const override {
    if (shape_.n * shape_.c * shape_.spatial == 0) return;
    auto out = [&](int i) { return i < 0 ? nullptr : optional_output(rc, std::size_t(i)); };
    auto a = ncs_args<ops::BatchNormTrainingArgs>(rc, shape_);
    a.gamma = scale_.get(rc);
    a.beta = bias_.get(rc);
    a.eps = eps_;
    a.momentum = momentum_;
    a.running_mean = mean_.get(rc);
    a.running_var = var_.get(rc);
    a.running_mean_out = out(outs_.running_mean);
    a.running_var_out = out(outs_.running_var);
    a.batch_mean = out(outs_.batch_mean);
    a.batch_var = out(outs_.batch_var);
    ops::batch_norm_training(a, rc.exec);
  }
  int in_place_input(int out) const override { return out == 0 ? 0 : -1; }
  std::size_t scratch_bytes() const override { return scratch_; }

 private:
  NcsShape shape_;
  Param scale_, bias_, mean_, var_;
  float eps_, momentum_;
  Outputs outs_;
  std::size_t scratch_;
};

// Opset 14+ says training_mode; before, the optional statistics outputs do.
bool is_training(const PrepareContext& ctx) {
  if (ctx.node.opset >= 14) {
    const int64_t mode = ctx.node.attr_int("training_mode", 0);
    if (mode != 0 && mode != 1) fail(ctx, "attribute 'training_mode' must be 0 or 1");
    return mode == 1;
  }
  for (std::size_t i = 1; i < ctx.node.outputs.size(); ++i)
    if (has_output(ctx, i)) return true;
  return false;
}

std::unique_ptr<OpKernel> create_batch_norm(const PrepareContext& ctx,
                                            std::vector<TensorInfo>& out) {
  require_inputs(ctx, 5, 5);
  const int opset = ctx.node.opset;
  const bool training = is_training(ctx);
  require_outputs(ctx, 1, opset >= 14 ? 3 : 5);
  if (opset >= 14 && !training && ctx.node.outputs.size() > 1 &&
      (has_output(ctx, 1) || has_output(ctx, 2))) {
    fail(ctx, "running-statistics outputs need training_mode=1");
  }
  if (opset < 9 && ctx.node.attr_int("spatial", 1) != 1) {
    fail(ctx, "attribute 'spatial'=0 (per-activation statistics) is not supported");
  }
  const TensorInfo& x = input(ctx, 0, "X", {DType::f32});
  const NcsShape shape = ncs_shape(ctx, x, 1, /*allow_blocked=*/!training);
  const float eps = epsilon_attr(ctx, 1e-5f);
  const ops::Activation act = activation_attr(ctx);
  std::size_t scratch = 0;
  const Dims c{shape.c};
  Param scale = make_param(ctx, 1, "scale", c, false, scratch);
  Param bias = make_param(ctx, 2, "B", c, false, scratch);
  Param mean = make_param(ctx, 3, "input_mean", c, false, scratch);
  Param var = make_param(ctx, 4, "input_var", c, false, scratch);
  out[0] = {DType::f32, x.dims};
  if (!training) {
    return std::make_unique<BatchNormInference>(shape, std::move(scale), std::move(bias),
                                                std::move(mean), std::move(var), eps, act, scratch);
  }
  if (act != ops::Activation::none) fail(ctx, "a fused activation needs inference mode");
  const float momentum = ctx.node.attr_float("momentum", 0.9f);
  if (!(momentum >= 0.0f && momentum <= 1.0f)) fail(ctx, "attribute 'momentum' must be in [0, 1]");
  BatchNormTraining::Outputs outs;
  outs.running_mean = 1;
  outs.running_var = 2;
  if (opset < 14) {  // Y, mean, var, saved_mean, saved_var
    outs.batch_mean = 3;
    outs.batch_var = 4;
  }
  for (std::size_t i = 1; i < out.size(); ++i)
    if (has_output(ctx, i)) out[i] = {DType::f32, c};
  return std::make_unique<BatchNormTraining>(shape, std::move(scale), std::move(bias),
                                             std::move(mean), std::move(var), eps, momentum, outs,
                                             scratch);
}

// normrt.ChannelAffine(X, scale, shift): y = act(x * scale[c] + shift[c]).
std::unique_ptr<OpKernel> create_channel_affine(const PrepareContext& ctx,
                                                std::vector<TensorInfo>& out) {
  require_inputs(ctx, 3, 3);
  require_outputs(ctx, 1, 1);
  const TensorInfo& x = input(ctx, 0, "X", {DType::f32});
  const NcsShape shape = ncs_shape(ctx, x, 1, /*allow_blocked=*/true);
  std::size_t scratch = 0;
  const Dims c{shape.c};
  Param scale = make_param(ctx, 1, "scale", c, false, scratch);
  Param shift = make_param(ctx, 2, "shift", c, false, scratch);
  const ops::Activation act = activation_attr(ctx);
  out[0] = {DType::f32, x.dims};
  return std::make_unique<FnKernel>(
      [=](RunContext& rc) {
        auto a = ncs_args<ops::BatchNormArgs>(rc, shape);
        a.scale = scale.get(rc);
        a.shift = shift.get(rc);
        a.act = act;
        if (a.n * a.c * a.spatial > 0) ops::batch_norm_apply(a, rc.exec);
      },
      /*in_place=*/0, scratch);
}

}  // namespace

void register_batch_norm_kernels(KernelRegistry& r) {
  // BatchNormalization-15 is the latest version: it stays valid in every later opset.
  add(r, "", "BatchNormalization", 1, 10000, create_batch_norm);
  add(r, "normrt", "BatchNormalization", 1, 10000, create_batch_norm);
  add(r, "normrt", "ChannelAffine", 1, 10000, create_channel_affine);
}

}  // namespace normrt::rt::kern
