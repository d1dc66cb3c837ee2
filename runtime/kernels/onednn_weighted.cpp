#include "kernels/onednn_weighted.hpp"

#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {

WeightedKernel::WeightedKernel(WeightedSetup setup, BoundPrimitive prim,
                               std::optional<dnnl::memory> weights)
    : setup_(std::move(setup)), prim_(std::move(prim)), const_weights_(std::move(weights)) {
  weights_desc_ = const_weights_ ? const_weights_->get_desc() : setup_.user_weights;
}

int WeightedKernel::in_place_input(int out) const {
  return out == 0 && setup_.prefill_input >= 0 && setup_.prefill_dims == setup_.dst_dims
             ? setup_.prefill_input
             : -1;
}

void WeightedKernel::run(RunContext& ctx) const {
  const TensorView& dst = ctx.outputs[0];
  if (dst.size() == 0) return;
  if (setup_.prefill_input >= 0) {
    const TensorView& fill = ctx.inputs[std::size_t(setup_.prefill_input)];
    if (setup_.prefill_dims == setup_.dst_dims)
      kern::copy_bytes(dst.data, fill.data, kern::view_bytes(dst));
    else
      kern::broadcast_copy(dst.data, fill.data, sizeof(float), setup_.prefill_dims, setup_.dst_dims);
  }
  std::vector<Arg> args = {
      {DNNL_ARG_SRC, &setup_.src, ctx.inputs[0].data},
      {DNNL_ARG_WEIGHTS, &weights_desc_,
       const_weights_ ? const_weights_->get_data_handle() : ctx.inputs[1].data},
      {DNNL_ARG_DST, &setup_.dst, dst.data}};
  if (setup_.bias_input >= 0)
    args.push_back({DNNL_ARG_BIAS, &setup_.bias, ctx.inputs[std::size_t(setup_.bias_input)].data});
  prim_.execute(ctx.scratch, args);
}

}  // namespace normrt::rt::onednn
