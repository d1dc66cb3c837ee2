// ConvTranspose (1D/2D/3D, groups, output_padding, output_shape, auto_pad)
// on oneDNN's deconvolution primitive.
#include "kernels/onednn_kernels.hpp"
#include "kernels/onednn_weighted.hpp"
#include "kernels/onednn_window.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

// ONNX weights are [Cin, Cout/g, k...] = [g][Cin/g][Cout/g][k...]; oneDNN
// wants the logical order [g][Cout/g][Cin/g][k...] (no g when g == 1): the
// same bytes, described with permuted strides.
void describe_weights(const Dims& w, int64_t group, WeightedSetup& s) {
  const int64_t cin_g = w[0] / group, cout_g = w[1];
  const Dims spatial(w.begin() + 2, w.end());
  const Dims onnx_strides = row_major_strides(w);
  const int64_t k = onnx_strides[1];  // taps per (cin, cout) pair
  Dims dims = {cout_g, cin_g};
  Dims strides = {k, cout_g * k};
  dims.insert(dims.end(), spatial.begin(), spatial.end());
  strides.insert(strides.end(), onnx_strides.begin() + 2, onnx_strides.end());
  if (group > 1) {
    dims.insert(dims.begin(), group);
    strides.insert(strides.begin(), cin_g * cout_g * k);
  }
  s.weight_dims = dims;
  s.user_weights = strided_desc(dims, strides);
}

std::unique_ptr<OpKernel> create_conv_transpose(const PrepareContext& ctx,
                                                std::vector<TensorInfo>& outputs) {
  require_known_attrs(ctx, {"auto_pad", "dilations", "group", "kernel_shape", "output_padding",
                            "output_shape", "pads", "strides"});
  kern::require_inputs(ctx, 2, 3);
  kern::require_outputs(ctx, 1, 1);
  const TensorInfo& x = kern::input(ctx, 0, "X", {DType::f32});
  const TensorInfo& w = kern::input(ctx, 1, "W", {DType::f32});
  const std::size_t rank = x.dims.size();
  if (rank < 3 || rank > 5)
    kern::fail(ctx, "input 'X' must have rank 3 to 5, got shape " + dims_string(x.dims));
  if (w.dims.size() != rank)
    kern::fail(ctx, "input 'W' " + dims_string(w.dims) + " must have the rank of 'X' " + dims_string(x.dims));
  const int64_t group = ctx.node.attr_int("group", 1);
  if (group < 1 || w.dims[0] != x.dims[1] || x.dims[1] % group != 0)
    kern::fail(ctx, "group " + std::to_string(group) + " does not fit X " + dims_string(x.dims) +
                        " and W " + dims_string(w.dims) + " (W is [C_in, C_out/group, k...])");
  const int64_t maps = kern::checked_mul(ctx, w.dims[1], group);

  const Dims kernel = kernel_shape(ctx, Dims(w.dims.begin() + 2, w.dims.end()), rank - 2);
  const Window win = transpose_window(ctx, Dims(x.dims.begin() + 2, x.dims.end()), kernel);
  Dims out_dims = {x.dims[0], maps};
  out_dims.insert(out_dims.end(), win.out.begin(), win.out.end());
  outputs[0] = TensorInfo{DType::f32, out_dims};

  WeightedSetup s;
  s.src = plain_desc(x.dims);
  s.dst = plain_desc(out_dims);
  s.dst_dims = out_dims;
  describe_weights(w.dims, group, s);
  if (kern::has_input(ctx, 2)) {
    const TensorInfo& b = kern::input(ctx, 2, "B", {DType::f32});
    if (b.dims != Dims{maps}) kern::fail(ctx, "input 'B' " + dims_string(b.dims) + " must be [" + std::to_string(maps) + "]");
    s.bias = plain_desc(b.dims);
    s.bias_input = 2;
  }
  if (kern::count_of(ctx, out_dims) == 0) return empty_output_kernel();

  const WeightedSetup mds = s;  // the lambda runs after `s` has moved
  return make_weighted_kernel<dnnl::deconvolution_forward>(
      ctx, std::move(s), [&](const dnnl::memory::desc& weights, const dnnl::primitive_attr& attr) {
        const dnnl::deconvolution_forward::desc desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, mds.src,
            weights, mds.bias, mds.dst, to_dnnl(win.strides), to_dnnl(win.dnnl_dilations()),
            to_dnnl(win.pad_begin), to_dnnl(win.pad_end));
        return dnnl::deconvolution_forward::primitive_desc(desc, attr, cpu_engine());
      });
}

}  // namespace

void register_conv_transpose(KernelRegistry& r) {
  kern::add(r, "", "ConvTranspose", 1, 10000, create_conv_transpose);
}

}  // namespace normrt::rt::onednn
