// Softmax and LogSoftmax on oneDNN's softmax / logsoftmax primitives. Both
// ONNX semantics map onto one [outer, axis, inner] view: opset < 13 coerces
// the input to 2-D at `axis` (inner = 1), opset 13 normalizes one axis.
#include "kernels/onednn_common.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

class SoftmaxKernel final : public OpKernel {
 public:
  SoftmaxKernel(BoundPrimitive prim, dnnl::memory::desc data)
      : prim_(std::move(prim)), data_(data) {}
  void run(RunContext& ctx) const override {
    prim_.execute(ctx.scratch, {{DNNL_ARG_SRC, &data_, ctx.inputs[0].data},
                                {DNNL_ARG_DST, &data_, ctx.outputs[0].data}});
  }
  std::size_t scratch_bytes() const override { return prim_.scratch_bytes(); }
  int in_place_input(int out) const override { return out == 0 ? 0 : -1; }

 private:
  BoundPrimitive prim_;
  dnnl::memory::desc data_;
};

template <class Prim>
std::unique_ptr<OpKernel> create_softmax(const PrepareContext& ctx, std::vector<TensorInfo>& outputs) {
  require_known_attrs(ctx, {"axis"});
  kern::require_inputs(ctx, 1, 1);
  kern::require_outputs(ctx, 1, 1);
  const TensorInfo& x = kern::input(ctx, 0, "input", {DType::f32});
  const int64_t rank = int64_t(x.dims.size());
  if (rank == 0) kern::fail(ctx, "input must have rank >= 1");
  const bool single_axis = ctx.node.opset >= 13;
  const int64_t axis =
      kern::normalize_axis(ctx, ctx.node.attr_int("axis", single_axis ? -1 : 1), rank, "axis");
  outputs[0] = TensorInfo{DType::f32, x.dims};
  const std::size_t a = std::size_t(axis);
  const int64_t outer = kern::product(ctx, x.dims, 0, a);
  const int64_t len = single_axis ? x.dims[a] : kern::product(ctx, x.dims, a, x.dims.size());
  const int64_t inner = single_axis ? kern::product(ctx, x.dims, a + 1, x.dims.size()) : 1;
  if (outer * len * inner == 0) return empty_output_kernel();

  const dnnl::memory::desc data = plain_desc({outer, len, inner});
  return guarded(ctx, "softmax primitive", [&]() -> std::unique_ptr<OpKernel> {
    const typename Prim::desc desc(dnnl::prop_kind::forward_inference, data, 1);
    const typename Prim::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
    return std::make_unique<SoftmaxKernel>(bind<Prim>(ctx, pd), data);
  });
}

}  // namespace

void register_softmax(KernelRegistry& r) {
  kern::add(r, "", "Softmax", 1, 10000, create_softmax<dnnl::softmax_forward>);
  kern::add(r, "", "LogSoftmax", 1, 10000, create_softmax<dnnl::logsoftmax_forward>);
}

}  // namespace normrt::rt::onednn
