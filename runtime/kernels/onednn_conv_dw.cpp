// The fused 1x1 + depthwise convolution of onednn_conv_dw.hpp.
#include "kernels/onednn_conv_dw.hpp"

#include <algorithm>
#include <string>

#include "kernels/onednn_epilogue.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/onednn_layout.hpp"
#include "kernels/onednn_window.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

using dt = dnnl::memory::data_type;

// The depthwise conv's epilogue: the dw_* attributes read by the shared
// epilogue parser through a copy of the node that carries them unprefixed
// (the copy describes itself like the node, so errors still name it).
dnnl::post_ops depthwise_epilogue(const PrepareContext& ctx) {
  Node renamed = ctx.node;
  renamed.attrs.clear();
  for (const char* a : {"activation", "activation_min", "activation_max"}) {
    auto it = ctx.node.attrs.find(std::string("dw_") + a);
    if (it != ctx.node.attrs.end()) renamed.attrs[a] = it->second;
  }
  const PrepareContext sub{renamed, ctx.inputs, ctx.known_values, ctx.exec};
  return epilogue_post_ops(sub, /*with_residual=*/false);
}

// Appends the eltwise post-ops of `from` (an epilogue without residual) to `to`.
void append_eltwises(const dnnl::post_ops& from, dnnl::post_ops& to) {
  for (int i = 0; i < from.len(); ++i) {
    float scale = 1.0f, alpha = 0.0f, beta = 0.0f;
    dnnl::algorithm alg;
    from.get_params_eltwise(i, scale, alg, alpha, beta);
    to.append_eltwise(scale, alg, alpha, beta);
  }
}

// `before`, oneDNN's 3x3 depthwise post-op (pad 1), then `after`. A new
// object: dnnl::post_ops copies share one underlying list.
dnnl::post_ops with_depthwise(const dnnl::post_ops& before, int64_t stride, const dnnl::post_ops& after) {
  dnnl::post_ops ops;
  append_eltwises(before, ops);
  ops.append_dw(dt::f32, dt::f32, dt::f32, 3, stride, 1, 0, {});
  append_eltwises(after, ops);
  return ops;
}

// oneDNN's fused jit kernel only; its "ref" implementations (including
// ref_fused_convolution, which runs the two convolutions one after the other
// just like the fallback below) are left for the fallback.
bool is_reference(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

struct Descs {
  dnnl::memory::desc src, mid, dst, bias, dw_bias;
  Dims weights, dw_weights;  // oneDNN's logical dims: oihw, goihw
  int64_t stride = 1;
};

class DwFusedConvKernel final : public OpKernel {
 public:
  DwFusedConvKernel(const PrepareContext& ctx, const Descs& d) : d_(d) {
    const Tensor& w = *ctx.known_values[1];
    const Tensor& w_dw = *ctx.known_values[4];
    bias_input_ = kern::has_input(ctx, 2) ? 2 : -1;
    dw_bias_input_ = kern::has_input(ctx, 5) ? 5 : -1;
    if (dw_bias_input_ < 0) zero_bias_.assign(std::size_t(d.dw_weights[0]), 0.0f);
    const dnnl::memory::desc any_w = any_desc(d.weights);
    const auto pointwise = epilogue_post_ops(ctx, /*with_residual=*/false);
    const auto depthwise = depthwise_epilogue(ctx);
    const auto conv_pd = [&](const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                             const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                             int64_t stride, int64_t pad, const dnnl::post_ops& ops) {
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, weights,
          bias, dst, {stride, stride}, {0, 0}, {pad, pad}, {pad, pad});
      return dnnl::convolution_forward::primitive_desc(desc, user_scratchpad_attr(ops), cpu_engine());
    };
    try {
      const auto pd = conv_pd(d.src, any_w, d.bias, d.mid, 1, 0,
                              with_depthwise(pointwise, d.stride, depthwise));
      if (!is_reference(pd) && pd.dst_desc() == d.dst) {
        w_ = reorder_constant(w, plain_desc(d.weights), pd.weights_desc());
        w_dw_ = reorder_constant(
            w_dw, plain_desc(d.dw_weights),
            pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS));
        first_ = bind<dnnl::convolution_forward>(ctx, pd);
        fused_ = true;
      }
    } catch (const dnnl::error&) {
      // No fused implementation for this ISA / layout: two primitives below.
    }
    if (!fused_) {
      const auto pd1 = conv_pd(d.src, any_w, d.bias, d.mid, 1, 0, pointwise);
      const auto pd2 = conv_pd(d.mid, any_desc(d.dw_weights), d.dw_bias, d.dst, d.stride, 1, depthwise);
      w_ = reorder_constant(w, plain_desc(d.weights), pd1.weights_desc());
      w_dw_ = reorder_constant(w_dw, plain_desc(d.dw_weights), pd2.weights_desc());
      first_ = bind<dnnl::convolution_forward>(ctx, pd1);
      second_ = bind<dnnl::convolution_forward>(ctx, pd2);
      mid_bytes_ = (d.mid.get_size() + 63) / 64 * 64;
    }
    w_desc_ = w_.get_desc();
    w_dw_desc_ = w_dw_.get_desc();
  }

  std::size_t scratch_bytes() const override {
    return mid_bytes_ + std::max(first_.scratch_bytes(), second_.scratch_bytes());
  }

  void run(RunContext& rc) const override {
    const TensorView& y = rc.outputs[0];
    if (y.size() == 0) return;
    auto* scratch = static_cast<unsigned char*>(rc.scratch);
    const void* dw_bias = dw_bias_input_ >= 0 ? rc.inputs[5].data : zero_bias_.data();
    std::vector<Arg> args = {{DNNL_ARG_SRC, &d_.src, rc.inputs[0].data},
                             {DNNL_ARG_WEIGHTS, &w_desc_, w_.get_data_handle()},
                             {DNNL_ARG_DST, fused_ ? &d_.dst : &d_.mid, fused_ ? y.data : scratch}};
    if (bias_input_ >= 0) args.push_back({DNNL_ARG_BIAS, &d_.bias, rc.inputs[2].data});
    if (fused_) {
      args.push_back({DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS, &w_dw_desc_, w_dw_.get_data_handle()});
      args.push_back({DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS, &d_.dw_bias, dw_bias});
      first_.execute(scratch, args);
      return;
    }
    first_.execute(scratch + mid_bytes_, args);
    second_.execute(scratch + mid_bytes_, {{DNNL_ARG_SRC, &d_.mid, scratch},
                                           {DNNL_ARG_WEIGHTS, &w_dw_desc_, w_dw_.get_data_handle()},
                                           {DNNL_ARG_BIAS, &d_.dw_bias, dw_bias},
                                           {DNNL_ARG_DST, &d_.dst, y.data}});
  }

 private:
  Descs d_;
  int bias_input_ = -1, dw_bias_input_ = -1;
  std::vector<float> zero_bias_;  // B_dw when the model has none
  bool fused_ = false;
  BoundPrimitive first_, second_;  // second_: the depthwise conv when not fused
  dnnl::memory w_, w_dw_;
  dnnl::memory::desc w_desc_, w_dw_desc_;
  std::size_t mid_bytes_ = 0;  // unfused: the 1x1's output at the start of scratch
};

}  // namespace

std::unique_ptr<OpKernel> create_conv_dw(const PrepareContext& ctx, std::vector<TensorInfo>& outputs) {
  require_known_attrs(ctx, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides",
                            NORMRT_EPILOGUE_ATTRS, NORMRT_DW_ATTRS, kSrcBlockAttr, kDstBlockAttr});
  kern::require_inputs(ctx, 5, 6);
  kern::require_outputs(ctx, 1, 1);
  if (kern::has_input(ctx, 3)) kern::fail(ctx, "a fused depthwise conv takes no residual input 'Z'");
  TensorInfo x = kern::input(ctx, 0, "X", {DType::f32});
  const TensorInfo& w = kern::input(ctx, 1, "W", {DType::f32});
  const TensorInfo& w_dw = kern::input(ctx, 4, "W_dw", {DType::f32});
  if (w.dims.size() != 4 || w.dims[2] != 1 || w.dims[3] != 1)
    kern::fail(ctx, "input 'W' " + dims_string(w.dims) + " must be a 1x1 kernel [M, C, 1, 1]");
  const int64_t maps = w.dims[0];
  if (w_dw.dims != Dims{maps, 1, 3, 3})
    kern::fail(ctx, "input 'W_dw' " + dims_string(w_dw.dims) + " must be [" + std::to_string(maps) + ", 1, 3, 3]");
  if (!ctx.known_values[1] || !ctx.known_values[4])
    kern::fail(ctx, "a fused depthwise conv needs constant weights 'W' and 'W_dw'");
  if (ctx.node.attr_int("group", 1) != 1) kern::fail(ctx, "a fused depthwise conv needs group 1");
  const int64_t src_block = block_attr(ctx, kSrcBlockAttr);
  const int64_t dst_block = block_attr(ctx, kDstBlockAttr);
  if (src_block) x.dims = logical_dims(ctx, x.dims, w.dims[1], src_block);
  if (x.dims.size() != 4 || x.dims[1] != w.dims[1])
    kern::fail(ctx, "input 'X' " + dims_string(x.dims) + " must be [N, " + std::to_string(w.dims[1]) + ", H, W]");
  const Dims in_spatial = {x.dims[2], x.dims[3]};
  const Window win = forward_window(ctx, in_spatial, kernel_shape(ctx, {1, 1}, 2), true, false);
  if (win.out != in_spatial || win.strides != Dims{1, 1} || win.dilations != Dims{1, 1})
    kern::fail(ctx, "a fused depthwise conv needs a 1x1 conv with stride 1, dilation 1 and no padding");
  const int64_t stride = ctx.node.attr_int(kDwStrideAttr, 0);
  if (stride != 1 && stride != 2) kern::fail(ctx, "attribute 'dw_stride' must be 1 or 2");
  for (std::size_t b : {2, 5})
    if (kern::has_input(ctx, b) && kern::input(ctx, b, b == 2 ? "B" : "B_dw", {DType::f32}).dims != Dims{maps})
      kern::fail(ctx, std::string("input '") + (b == 2 ? "B" : "B_dw") + "' must be [" + std::to_string(maps) + "]");

  const Dims mid_dims = {x.dims[0], maps, x.dims[2], x.dims[3]};
  const Dims out_dims = {x.dims[0], maps, (x.dims[2] - 1) / stride + 1, (x.dims[3] - 1) / stride + 1};
  const auto desc = [&](const Dims& dims, int64_t block) {
    return block ? blocked_desc(ctx, dims, block) : plain_desc(dims);
  };
  Descs d;
  d.src = desc(x.dims, src_block);
  d.mid = desc(mid_dims, dst_block);
  d.dst = desc(out_dims, dst_block);
  d.bias = kern::has_input(ctx, 2) ? plain_desc({maps}) : dnnl::memory::desc();
  d.dw_bias = plain_desc({maps});
  d.weights = w.dims;
  d.dw_weights = {maps, 1, 1, 3, 3};
  d.stride = stride;
  const Dims stored = dst_block ? blocked_dims(out_dims, dst_block) : out_dims;
  outputs[0] = TensorInfo{DType::f32, stored};
  if (kern::count_of(ctx, out_dims) == 0 || kern::count_of(ctx, x.dims) == 0) return empty_output_kernel();
  return guarded(ctx, "fused depthwise convolution", [&]() -> std::unique_ptr<OpKernel> {
    return std::make_unique<DwFusedConvKernel>(ctx, d);
  });
}

}  // namespace normrt::rt::onednn
