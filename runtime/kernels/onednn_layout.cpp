// Blocked-activation helpers and normrt.Reorder (plain <-> blocked) on
// oneDNN's reorder primitive, which zero-fills the channel padding.
#include "kernels/onednn_layout.hpp"

#include "kernels/onednn_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {

int64_t block_attr(const PrepareContext& ctx, const char* name) {
  if (!ctx.node.has(name)) return 0;
  const int64_t b = ctx.node.attr_int(name, 0);
  if (b != 8 && b != 16)
    kern::fail(ctx, std::string("attribute '") + name + "' must be 8 or 16, got " + std::to_string(b));
  return b;
}

ops::Layout blocked_layout(int64_t block) {
  return block == 16 ? ops::Layout::nchw16c : ops::Layout::nchw8c;
}

Dims blocked_dims(const Dims& logical, int64_t block) {
  Dims d = logical;
  d[1] = (logical[1] + block - 1) / block;
  d.push_back(block);
  return d;
}

Dims logical_dims(const PrepareContext& ctx, const Dims& physical, int64_t channels,
                  int64_t block) {
  if (physical.size() < 4 || physical.size() > 6 || physical.back() != block ||
      channels <= 0 || physical[1] != (channels + block - 1) / block)
    kern::fail(ctx, "blocked input " + dims_string(physical) + " does not hold " +
                        std::to_string(channels) + " channels in blocks of " + std::to_string(block));
  Dims d(physical.begin(), physical.end() - 1);
  d[1] = channels;
  return d;
}

dnnl::memory::desc blocked_desc(const PrepareContext& ctx, const Dims& logical, int64_t block) {
  using tag = dnnl::memory::format_tag;
  tag t = tag::undef;
  switch (logical.size()) {
    case 3: t = block == 16 ? tag::nCw16c : tag::nCw8c; break;
    case 4: t = block == 16 ? tag::nChw16c : tag::nChw8c; break;
    case 5: t = block == 16 ? tag::nCdhw16c : tag::nCdhw8c; break;
    default: kern::fail(ctx, "blocked layouts need rank 3 to 5, got " + dims_string(logical));
  }
  return dnnl::memory::desc(dnnl::memory::dims(logical.begin(), logical.end()),
                            dnnl::memory::data_type::f32, t);
}

namespace {

class ReorderKernel final : public OpKernel {
 public:
  ReorderKernel(dnnl::memory::desc from, dnnl::memory::desc to, BoundPrimitive prim)
      : from_(std::move(from)), to_(std::move(to)), prim_(std::move(prim)) {}
  void run(RunContext& rc) const override {
    if (rc.outputs[0].size() == 0) return;
    prim_.execute(rc.scratch, {{DNNL_ARG_FROM, &from_, rc.inputs[0].data},
                               {DNNL_ARG_TO, &to_, rc.outputs[0].data}});
  }
  std::size_t scratch_bytes() const override { return prim_.scratch_bytes(); }

 private:
  dnnl::memory::desc from_, to_;
  BoundPrimitive prim_;
};

std::unique_ptr<OpKernel> create_reorder(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_known_attrs(ctx, {"to", kBlockAttr, kChannelsAttr});
  kern::require_inputs(ctx, 1, 1);
  kern::require_outputs(ctx, 1, 1);
  const TensorInfo& x = kern::input(ctx, 0, "X", {DType::f32});
  const int64_t block = block_attr(ctx, kBlockAttr);
  if (block == 0) kern::fail(ctx, "attribute 'normrt_block' is required");
  const std::string to = ctx.node.attr_string("to", "");
  if (to != "blocked" && to != "plain") kern::fail(ctx, "attribute 'to' must be 'blocked' or 'plain'");
  const bool to_blocked = to == "blocked";
  const Dims logical =
      to_blocked ? x.dims : logical_dims(ctx, x.dims, ctx.node.attr_int(kChannelsAttr, 0), block);
  if (logical.size() < 3 || logical.size() > 5)
    kern::fail(ctx, "input 'X' must have rank 3 to 5, got " + dims_string(x.dims));
  kern::count_of(ctx, blocked_dims(logical, block));
  const dnnl::memory::desc plain = plain_desc(logical), blocked = blocked_desc(ctx, logical, block);
  out[0] = {DType::f32, to_blocked ? blocked_dims(logical, block) : logical};
  const dnnl::memory::desc& from = to_blocked ? plain : blocked;
  const dnnl::memory::desc& dst = to_blocked ? blocked : plain;
  if (kern::count_of(ctx, logical) == 0) return empty_output_kernel();
  return guarded(ctx, "reorder", [&]() -> std::unique_ptr<OpKernel> {
    const dnnl::reorder::primitive_desc pd(cpu_engine(), from, cpu_engine(), dst,
                                           user_scratchpad_attr());
    return std::make_unique<ReorderKernel>(from, dst, bind<dnnl::reorder>(ctx, pd));
  });
}

}  // namespace

void register_layout(KernelRegistry& r) {
  kern::add(r, "normrt", "Reorder", 1, 10000, create_reorder);
}

}  // namespace normrt::rt::onednn
