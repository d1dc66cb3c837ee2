// GroupNormalization (opset 18: per-group scale/bias; 21: per-channel) and
// InstanceNormalization through ops::group_norm / ops::instance_norm, with
// the normrt-domain activation epilogue (GroupNorm + SiLU of diffusion UNets).
#include "kernels/norm_kernels.hpp"
#include "kernels/norm_util.hpp"
#include "normrt/ops/group_norm.hpp"

namespace normrt::rt::kern {
namespace {

std::unique_ptr<OpKernel> create_group_norm(const PrepareContext& ctx,
                                            std::vector<TensorInfo>& out) {
  require_inputs(ctx, 3, 3);
  require_outputs(ctx, 1, 1);
  const TensorInfo& x = input(ctx, 0, "X", {DType::f32});
  const NcsShape shape = ncs_shape(ctx, x, 2, /*allow_blocked=*/true);
  if (!ctx.node.has("num_groups")) fail(ctx, "attribute 'num_groups' is required");
  const int64_t groups = ctx.node.attr_int("num_groups", 0);
  if (groups <= 0 || shape.c % groups != 0) {
    fail(ctx, "num_groups " + std::to_string(groups) + " must be positive and divide the " +
                  std::to_string(shape.c) + " channels");
  }
  if (ctx.node.attr_int("stash_type", 1) != 1) fail(ctx, "only stash_type=1 (float) is supported");
  // Opset 18 has per-group parameters, 21 per-channel ones; the fused normrt
  // op takes either, told apart by their size.
  ops::GroupAffine affine =
      ctx.node.opset >= 21 ? ops::GroupAffine::per_channel : ops::GroupAffine::per_group;
  if (ctx.node.domain == "normrt") {
    const int64_t count = count_of(ctx, input(ctx, 1, "scale").dims);
    affine = count == shape.c ? ops::GroupAffine::per_channel : ops::GroupAffine::per_group;
  }
  const Dims param_dims{affine == ops::GroupAffine::per_channel ? shape.c : groups};
  std::size_t scratch = 0;
  Param scale = make_param(ctx, 1, "scale", param_dims, false, scratch);
  Param bias = make_param(ctx, 2, "bias", param_dims, false, scratch);
  const float eps = epsilon_attr(ctx, 1e-5f);
  const ops::Activation act = activation_attr(ctx);
  out[0] = {DType::f32, x.dims};
  return std::make_unique<FnKernel>(
      [=](RunContext& rc) {
        if (shape.n * shape.c * shape.spatial == 0) return;
        auto a = ncs_args<ops::GroupNormArgs>(rc, shape);
        a.groups = groups;
        a.gamma = scale.get(rc);
        a.beta = bias.get(rc);
        a.affine = affine;
        a.eps = eps;
        a.act = act;
        ops::group_norm(a, rc.exec);
      },
      /*in_place=*/0, scratch);
}

std::unique_ptr<OpKernel> create_instance_norm(const PrepareContext& ctx,
                                               std::vector<TensorInfo>& out) {
  require_inputs(ctx, 3, 3);
  require_outputs(ctx, 1, 1);
  const TensorInfo& x = input(ctx, 0, "input", {DType::f32});
  const NcsShape shape = ncs_shape(ctx, x, 3, /*allow_blocked=*/true);
  std::size_t scratch = 0;
  const Dims c{shape.c};
  Param scale = make_param(ctx, 1, "scale", c, false, scratch);
  Param bias = make_param(ctx, 2, "B", c, false, scratch);
  const float eps = epsilon_attr(ctx, 1e-5f);
  const ops::Activation act = activation_attr(ctx);
  out[0] = {DType::f32, x.dims};
  return std::make_unique<FnKernel>(
      [=](RunContext& rc) {
        if (shape.n * shape.c * shape.spatial == 0) return;
        auto a = ncs_args<ops::InstanceNormArgs>(rc, shape);
        a.gamma = scale.get(rc);
        a.beta = bias.get(rc);
        a.eps = eps;
        a.act = act;
        ops::instance_norm(a, rc.exec);
      },
      /*in_place=*/0, scratch);
}

}  // namespace

void register_group_norm_kernels(KernelRegistry& r) {
  add(r, "", "GroupNormalization", 18, 10000, create_group_norm);
  add(r, "normrt", "GroupNormalization", 1, 10000, create_group_norm);
  add(r, "", "InstanceNormalization", 1, 10000, create_instance_norm);
  add(r, "normrt", "InstanceNormalization", 1, 10000, create_instance_norm);
}

}  // namespace normrt::rt::kern
