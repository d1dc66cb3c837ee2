// Conv (ONNX, 1D/2D/3D, groups, depthwise) and normrt.Conv (the same with a
// fused residual/activation epilogue, or a fused depthwise conv:
// onednn_conv_dw.hpp) on oneDNN's convolution primitive.
#include "kernels/onednn_conv_dw.hpp"
#include "kernels/onednn_epilogue.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/onednn_layout.hpp"
#include "kernels/onednn_weighted.hpp"
#include "kernels/onednn_window.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

std::unique_ptr<OpKernel> create_conv(const PrepareContext& ctx, std::vector<TensorInfo>& outputs,
                                      bool fused) {
  if (fused && ctx.node.has(kDwStrideAttr)) return create_conv_dw(ctx, outputs);
  if (fused) {
    require_known_attrs(ctx, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides",
                              NORMRT_EPILOGUE_ATTRS, kSrcBlockAttr, kDstBlockAttr, kWinogradAttr});
  } else {
    require_known_attrs(ctx, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides",
                              kSrcBlockAttr, kDstBlockAttr, kWinogradAttr});
  }
  kern::require_inputs(ctx, 2, fused ? 4 : 3);
  TensorInfo x = kern::input(ctx, 0, "X", {DType::f32});
  const TensorInfo& w = kern::input(ctx, 1, "W", {DType::f32});
  // Blocked X / Y (onednn_layout.hpp): X holds W's C/group x group channels.
  const int64_t src_block = block_attr(ctx, kSrcBlockAttr);
  const int64_t dst_block = block_attr(ctx, kDstBlockAttr);
  if (src_block && w.dims.size() >= 2)
    x.dims = logical_dims(ctx, x.dims, w.dims[1] * ctx.node.attr_int("group", 1), src_block);
  const std::size_t rank = x.dims.size();
  if (rank < 3 || rank > 5)
    kern::fail(ctx, "input 'X' must have rank 3 to 5 (1D to 3D conv), got shape " + dims_string(x.dims));
  if (w.dims.size() != rank)
    kern::fail(ctx, "input 'W' " + dims_string(w.dims) + " must have the rank of 'X' " + dims_string(x.dims));
  const int64_t channels = x.dims[1], maps = w.dims[0];
  const int64_t group = ctx.node.attr_int("group", 1);
  if (group < 1 || channels % group != 0 || maps % group != 0 || w.dims[1] * group != channels)
    kern::fail(ctx, "group " + std::to_string(group) + " does not fit X " + dims_string(x.dims) +
                        " and W " + dims_string(w.dims));

  const Dims in_spatial(x.dims.begin() + 2, x.dims.end());
  const Dims kernel = kernel_shape(ctx, Dims(w.dims.begin() + 2, w.dims.end()), rank - 2);
  const Window win = forward_window(ctx, in_spatial, kernel, /*with_dilations=*/true, false);
  Dims out_dims = {x.dims[0], maps};
  out_dims.insert(out_dims.end(), win.out.begin(), win.out.end());
  kern::require_outputs(ctx, 1, 1);
  const Dims stored_out = dst_block ? blocked_dims(out_dims, dst_block) : out_dims;
  outputs[0] = TensorInfo{DType::f32, stored_out};

  WeightedSetup s;
  s.src = src_block ? blocked_desc(ctx, x.dims, src_block) : plain_desc(x.dims);
  s.dst = dst_block ? blocked_desc(ctx, out_dims, dst_block) : plain_desc(out_dims);
  s.dst_dims = stored_out;
  // ONNX [M, C/g, k...] is oneDNN's goi<k> with g split off M: same bytes.
  s.weight_dims = w.dims;
  if (group > 1) {
    s.weight_dims[0] = maps / group;
    s.weight_dims.insert(s.weight_dims.begin(), group);
  }
  s.user_weights = plain_desc(s.weight_dims);
  if (kern::has_input(ctx, 2)) {
    const TensorInfo& b = kern::input(ctx, 2, "B", {DType::f32});
    if (b.dims != Dims{maps}) kern::fail(ctx, "input 'B' " + dims_string(b.dims) + " must be [" + std::to_string(maps) + "]");
    s.bias = plain_desc(b.dims);
    s.bias_input = 2;
  }
  const bool residual = fused && kern::has_input(ctx, 3);
  if (residual) {
    const TensorInfo& z = kern::input(ctx, 3, "Z", {DType::f32});
    if (z.dims != stored_out)
      kern::fail(ctx, "residual input 'Z' " + dims_string(z.dims) + " must have the output shape " + dims_string(stored_out));
    s.prefill_input = 3;
    s.prefill_dims = z.dims;
  }
  s.post_ops = fused ? epilogue_post_ops(ctx, residual) : dnnl::post_ops();
  if (kern::count_of(ctx, out_dims) == 0) return empty_output_kernel();

  const WeightedSetup mds = s;  // the lambda runs after `s` has moved
  const bool winograd = ctx.node.attr_int(kWinogradAttr, 0) != 0;
  return make_weighted_kernel<dnnl::convolution_forward>(
      ctx, std::move(s), [&](const dnnl::memory::desc& weights, const dnnl::primitive_attr& attr) {
        const auto make = [&](dnnl::algorithm alg) {
          const dnnl::convolution_forward::desc desc(
              dnnl::prop_kind::forward_inference, alg, mds.src, weights, mds.bias, mds.dst,
              to_dnnl(win.strides), to_dnnl(win.dnnl_dilations()), to_dnnl(win.pad_begin),
              to_dnnl(win.pad_end));
          return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
        };
        if (winograd) {
          try {
            return make(dnnl::algorithm::convolution_winograd);
          } catch (const dnnl::error&) {
            // No Winograd implementation for this ISA or shape: direct below.
          }
        }
        return make(dnnl::algorithm::convolution_direct);
      });
}

}  // namespace

void register_conv(KernelRegistry& r) {
  kern::add(r, "", "Conv", 1, 10000, [](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    return create_conv(ctx, out, /*fused=*/false);
  });
  kern::add(r, "normrt", "Conv", 1, 10000, [](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    return create_conv(ctx, out, /*fused=*/true);
  });
}

}  // namespace normrt::rt::onednn
