// LRN across channels through ops::lrn. ONNX also allows an even size (an
// asymmetric window) that the ops kernel rejects; a plain loop covers it.
#include <algorithm>
#include <cmath>

#include "kernels/norm_kernels.hpp"
#include "kernels/norm_util.hpp"
#include "normrt/ops/lrn.hpp"

namespace normrt::rt::kern {
namespace {

// y = x / (bias + alpha / size * sum_{window(c)} x^2)^beta, sums in double,
// window(c) = [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)].
void lrn_plain(const ops::LrnArgs& a) {
  const int64_t before = (a.size - 1) / 2, after = a.size - 1 - before;
  for (int64_t n = 0; n < a.n; ++n) {
    const float* x = a.x + n * a.c * a.spatial;
    float* y = a.y + n * a.c * a.spatial;
    for (int64_t c = 0; c < a.c; ++c) {
      const int64_t lo = std::max<int64_t>(0, c - before), hi = std::min(a.c - 1, c + after);
      for (int64_t s = 0; s < a.spatial; ++s) {
        double sum = 0.0;
        for (int64_t k = lo; k <= hi; ++k) sum += double(x[k * a.spatial + s]) * x[k * a.spatial + s];
        const double d = std::pow(double(a.bias) + double(a.alpha) / double(a.size) * sum, double(a.beta));
        y[c * a.spatial + s] = float(double(x[c * a.spatial + s]) / d);
      }
    }
  }
}

std::unique_ptr<OpKernel> create_lrn(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  require_outputs(ctx, 1, 1);
  const TensorInfo& x = input(ctx, 0, "X", {DType::f32});
  const NcsShape shape = ncs_shape(ctx, x, 2);
  if (!ctx.node.has("size")) fail(ctx, "attribute 'size' is required");
  ops::LrnArgs base;
  base.n = shape.n;
  base.c = shape.c;
  base.spatial = shape.spatial;
  base.size = ctx.node.attr_int("size", 0);
  base.alpha = ctx.node.attr_float("alpha", 1e-4f);
  base.beta = ctx.node.attr_float("beta", 0.75f);
  base.bias = ctx.node.attr_float("bias", 1.0f);
  if (base.size <= 0) fail(ctx, "attribute 'size' must be positive");
  if (!std::isfinite(base.alpha) || !std::isfinite(base.beta) || !std::isfinite(base.bias))
    fail(ctx, "attributes alpha, beta and bias must be finite");
  out[0] = {DType::f32, x.dims};
  // The ops kernel reads neighbouring channels after writing: not in place.
  return std::make_unique<FnKernel>([base](RunContext& rc) {
    if (base.n * base.c * base.spatial == 0) return;
    ops::LrnArgs a = base;
    a.x = rc.inputs[0].as<const float>();
    a.y = rc.outputs[0].as<float>();
    if (a.size % 2 == 0) return lrn_plain(a);
    ops::lrn(a, rc.exec);
  });
}

}  // namespace

void register_lrn_kernels(KernelRegistry& r) { add(r, "", "LRN", 1, 10000, create_lrn); }

}  // namespace normrt::rt::kern
