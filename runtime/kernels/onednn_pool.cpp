// MaxPool, AveragePool (pads, auto_pad, ceil_mode, count_include_pad,
// dilations), GlobalMaxPool and GlobalAveragePool on oneDNN's pooling_v2.
#include <numeric>

#include "kernels/onednn_common.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/onednn_layout.hpp"
#include "kernels/onednn_window.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

// With ceil_mode, the last window can run past the end padding. ONNX (like
// PyTorch and ONNX Runtime) divides by the taps inside the padded input
// there, oneDNN's include-padding average by the full kernel volume: the
// per-position ratio (per spatial axis) fixes the result up.
struct OverhangFix {
  std::vector<std::vector<float>> per_axis;  // empty: nothing to fix
  Dims out_spatial;

  static OverhangFix make(const Window& w, const Dims& in) {
    OverhangFix fix;
    bool needed = false;
    std::vector<std::vector<float>> ratios(in.size());
    for (std::size_t d = 0; d < in.size(); ++d) {
      const int64_t limit = in[d] + w.pad_end[d];  // past the explicit padding
      for (int64_t o = 0; o < w.out[d]; ++o) {
        const int64_t start = o * w.strides[d] - w.pad_begin[d];
        int64_t taps = 0;
        for (int64_t t = 0; t < w.kernel[d]; ++t) taps += start + t * w.dilations[d] < limit;
        ratios[d].push_back(float(w.kernel[d]) / float(std::max<int64_t>(taps, 1)));
        needed = needed || taps != w.kernel[d];
      }
    }
    if (needed) {
      fix.per_axis = std::move(ratios);
      fix.out_spatial = w.out;
    }
    return fix;
  }

  void apply(float* y, int64_t planes) const {
    if (per_axis.empty()) return;
    const int64_t plane = std::accumulate(out_spatial.begin(), out_spatial.end(), int64_t(1),
                                          std::multiplies<int64_t>());
    std::vector<float> ratio(std::size_t(plane), 1.0f);
    const Dims strides = row_major_strides(out_spatial);
    for (int64_t i = 0; i < plane; ++i)
      for (std::size_t d = 0; d < out_spatial.size(); ++d)
        ratio[std::size_t(i)] *= per_axis[d][std::size_t((i / strides[d]) % out_spatial[d])];
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t i = 0; i < plane; ++i) y[p * plane + i] *= ratio[std::size_t(i)];
  }
};

class PoolKernel final : public OpKernel {
 public:
  PoolKernel(BoundPrimitive prim, dnnl::memory::desc src, dnnl::memory::desc dst, OverhangFix fix,
             int64_t planes)
      : prim_(std::move(prim)), src_(src), dst_(dst), fix_(std::move(fix)), planes_(planes) {}
  void run(RunContext& ctx) const override {
    prim_.execute(ctx.scratch, {{DNNL_ARG_SRC, &src_, ctx.inputs[0].data},
                                {DNNL_ARG_DST, &dst_, ctx.outputs[0].data}});
    fix_.apply(ctx.outputs[0].as<float>(), planes_);
  }
  std::size_t scratch_bytes() const override { return prim_.scratch_bytes(); }

 private:
  BoundPrimitive prim_;
  dnnl::memory::desc src_, dst_;
  OverhangFix fix_;
  int64_t planes_;
};

enum class PoolKind { max, average, global_max, global_average };

// kernel_shape is only an attribute (a conv's taps are bounded by its weight
// tensor): a valid model can ask for windows of millions of taps that would
// run for minutes, padding included. Refuse pools over this many taps in all.
constexpr double kMaxPoolTaps = double(int64_t(1) << 36);

void check_window_work(const PrepareContext& ctx, const Dims& out_dims, const Dims& kernel) {
  double taps = 1;
  for (int64_t d : out_dims) taps *= double(d);
  for (int64_t k : kernel) taps *= double(k);
  if (taps > kMaxPoolTaps)
    kern::fail(ctx, "pooling " + dims_string(out_dims) + " outputs with a window of " +
                        dims_string(kernel) + " taps reads about " + std::to_string(int64_t(taps / 1e9)) +
                        " billion window taps (limit 2^36): refusing a run that would take minutes");
}

std::unique_ptr<OpKernel> create_pool(const PrepareContext& ctx, std::vector<TensorInfo>& outputs,
                                      PoolKind kind) {
  const bool global = kind == PoolKind::global_max || kind == PoolKind::global_average;
  const bool is_max = kind == PoolKind::max || kind == PoolKind::global_max;
  if (global) {
    require_known_attrs(ctx, {kBlockAttr, kChannelsAttr});
  } else if (is_max) {
    require_known_attrs(ctx, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                              "storage_order", "strides", kBlockAttr, kChannelsAttr});
  } else {
    require_known_attrs(ctx, {"auto_pad", "ceil_mode", "count_include_pad", "dilations",
                              "kernel_shape", "pads", "strides", kBlockAttr, kChannelsAttr});
  }
  kern::require_inputs(ctx, 1, 1);
  kern::require_outputs(ctx, 1, is_max && !global ? 2 : 1);
  reject_output(ctx, 1, "Indices");
  // MaxPool-12 also takes 8-bit integers (max needs no arithmetic).
  // Blocked X / Y (onednn_layout.hpp): f32 only.
  const int64_t block = block_attr(ctx, kBlockAttr);
  TensorInfo x = kind == PoolKind::max && ctx.node.opset >= 12 && !block
                     ? kern::input(ctx, 0, "X", {DType::f32, DType::u8, DType::i8})
                     : kern::input(ctx, 0, "X", {DType::f32});
  if (block) x.dims = logical_dims(ctx, x.dims, ctx.node.attr_int(kChannelsAttr, 0), block);
  const std::size_t rank = x.dims.size();
  if (rank < 3 || rank > 5)
    kern::fail(ctx, "input 'X' must have rank 3 to 5, got shape " + dims_string(x.dims));
  const Dims in(x.dims.begin() + 2, x.dims.end());

  Window win;
  if (global) {
    win = Window{in, Dims(rank - 2, 1), Dims(rank - 2, 1), Dims(rank - 2, 0), Dims(rank - 2, 0),
                 Dims(rank - 2, 1)};
  } else {
    const bool ceil_mode = ctx.node.attr_int("ceil_mode", 0) != 0;
    win = forward_window(ctx, in, kernel_shape(ctx, {}, rank - 2), /*with_dilations=*/true, ceil_mode);
  }
  Dims out_dims = {x.dims[0], x.dims[1]};
  out_dims.insert(out_dims.end(), win.out.begin(), win.out.end());
  if (!global) check_window_work(ctx, out_dims, win.kernel);
  outputs[0] = TensorInfo{x.dtype, block ? blocked_dims(out_dims, block) : out_dims};
  if (kern::count_of(ctx, out_dims) == 0) return empty_output_kernel();

  const bool include_pad = !is_max && ctx.node.attr_int("count_include_pad", 0) != 0;
  const dnnl::algorithm alg = is_max        ? dnnl::algorithm::pooling_max
                              : include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                            : dnnl::algorithm::pooling_avg_exclude_padding;
  // oneDNN's end padding reaches the last window (ceil_mode can need more
  // than the explicit pads).
  Dims pad_end(rank - 2);
  for (std::size_t d = 0; d < rank - 2; ++d)
    pad_end[d] = (win.out[d] - 1) * win.strides[d] + win.extent(d) - in[d] - win.pad_begin[d];
  OverhangFix fix = include_pad ? OverhangFix::make(win, in) : OverhangFix{};
  if (block && !fix.per_axis.empty())
    kern::fail(ctx, "an average pool whose ceil_mode windows overhang the padding cannot run blocked");

  const dnnl::memory::desc src = block ? blocked_desc(ctx, x.dims, block) : plain_desc(x.dims, x.dtype);
  const dnnl::memory::desc dst = block ? blocked_desc(ctx, out_dims, block) : plain_desc(out_dims, x.dtype);
  return guarded(ctx, "pooling primitive", [&]() -> std::unique_ptr<OpKernel> {
    const dnnl::pooling_v2_forward::desc desc(
        dnnl::prop_kind::forward_inference, alg, src, dst, to_dnnl(win.strides), to_dnnl(win.kernel),
        to_dnnl(win.dnnl_dilations()), to_dnnl(win.pad_begin), to_dnnl(pad_end));
    const dnnl::pooling_v2_forward::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
    return std::make_unique<PoolKernel>(bind<dnnl::pooling_v2_forward>(ctx, pd), src, dst,
                                        std::move(fix), x.dims[0] * x.dims[1]);
  });
}

}  // namespace

void register_pool(KernelRegistry& r) {
  const auto reg = [&r](const char* op, PoolKind kind) {
    kern::add(r, "", op, 1, 10000, [kind](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
      return create_pool(ctx, out, kind);
    });
  };
  reg("MaxPool", PoolKind::max);
  reg("AveragePool", PoolKind::average);
  reg("GlobalMaxPool", PoolKind::global_max);
  reg("GlobalAveragePool", PoolKind::global_average);
}

}  // namespace normrt::rt::onednn
