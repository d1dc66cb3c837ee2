#include "kernels/onednn_epilogue.hpp"

#include <limits>
#include <string>

#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {

dnnl::post_ops epilogue_post_ops(const PrepareContext& ctx, bool with_residual) {
  dnnl::post_ops ops;
  append_epilogue_post_ops(ctx, with_residual, ops);
  return ops;
}

void append_epilogue_post_ops(const PrepareContext& ctx, bool with_residual, dnnl::post_ops& ops) {
  if (with_residual) ops.append_sum(1.0f);
  const std::string act = ctx.node.attr_string("activation", "");
  const bool clip = act == "clip";
  if (!clip && (ctx.node.has("activation_min") || ctx.node.has("activation_max")))
    kern::fail(ctx, "attributes 'activation_min'/'activation_max' need activation 'clip'");
  if (act.empty()) return;
  if (act == "relu") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  } else if (clip) {
    const float lo = ctx.node.attr_float("activation_min", -std::numeric_limits<float>::max());
    const float hi = ctx.node.attr_float("activation_max", std::numeric_limits<float>::max());
    if (!(lo <= hi)) kern::fail(ctx, "clip bounds need activation_min <= activation_max");
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, lo, hi);
  } else if (act == "silu") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f);  // x * sigmoid(1 * x)
  } else if (act == "gelu_erf") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
  } else if (act == "sigmoid") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f);
  } else {
    kern::fail(ctx, "attribute 'activation' has unsupported value '" + act + "'");
  }
}

}  // namespace normrt::rt::onednn
