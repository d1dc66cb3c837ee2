#pragma once
// The kernel behind every "src x weights (+ bias) -> dst" primitive (Conv,
// ConvTranspose, and the matmul of Gemm/MatMul). Constant weights are
// reordered once, at create time, into the layout the primitive prefers;
// runtime weights are read in place with the descriptor given. An optional
// input can be copied (broadcast) into the destination before execution,
// for a sum post-op: the residual of a fused conv, or C of Gemm with beta.
#include <memory>
#include <optional>

#include "kernels/onednn_common.hpp"

namespace normrt::rt::onednn {

struct WeightedSetup {
  dnnl::memory::desc src;           // input 0
  Dims weight_dims;                 // oneDNN's logical weight dims
  dnnl::memory::desc user_weights;  // how input 1 lies in memory
  dnnl::memory::desc bias;          // zero desc: no bias
  int bias_input = -1;              // input holding the bias
  dnnl::memory::desc dst;
  int prefill_input = -1;           // input copied into dst before running
  Dims prefill_dims;                // its dims (broadcast to dst_dims)
  Dims dst_dims;
  dnnl::post_ops post_ops;
};

// Builds the kernel. `make_pd(weights_desc, attr)` returns the primitive
// descriptor of primitive `Prim` for that weights descriptor: any_desc for
// constant weights, setup.user_weights otherwise.
template <class Prim, class MakePd>
std::unique_ptr<OpKernel> make_weighted_kernel(const PrepareContext& ctx, WeightedSetup setup,
                                               MakePd&& make_pd);

class WeightedKernel final : public OpKernel {
 public:
  WeightedKernel(WeightedSetup setup, BoundPrimitive prim, std::optional<dnnl::memory> weights);
  void run(RunContext& ctx) const override;
  std::size_t scratch_bytes() const override { return prim_.scratch_bytes(); }
  // A residual of the output's shape may share the output's buffer.
  int in_place_input(int out) const override;

 private:
  WeightedSetup setup_;
  BoundPrimitive prim_;
  std::optional<dnnl::memory> const_weights_;
  dnnl::memory::desc weights_desc_;
};

template <class Prim, class MakePd>
std::unique_ptr<OpKernel> make_weighted_kernel(const PrepareContext& ctx, WeightedSetup setup,
                                               MakePd&& make_pd) {
  const Tensor* constant = ctx.known_values.size() > 1 ? ctx.known_values[1] : nullptr;
  const dnnl::primitive_attr attr = user_scratchpad_attr(setup.post_ops);
  return guarded(ctx, "primitive", [&]() -> std::unique_ptr<OpKernel> {
    const auto pd = make_pd(constant ? any_desc(setup.weight_dims) : setup.user_weights, attr);
    std::optional<dnnl::memory> weights;
    if (constant) weights = reorder_constant(*constant, setup.user_weights, pd.weights_desc());
    BoundPrimitive prim = bind<Prim>(ctx, pd);
    return std::make_unique<WeightedKernel>(std::move(setup), std::move(prim), std::move(weights));
  });
}

}  // namespace normrt::rt::onednn
