// LayerNorm over the channels of NCHW / NHWC (ConvNeXt): validation, layout
// choice, threads. NHWC is the row LayerNorm; NCHW has its own kernel.
#include <string>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/validate.hpp"
#include "row_norm.table.hpp"

namespace normrt::ops {
namespace {

constexpr const char* kOp = "layer_norm_channels";

void validate(const ChannelLayerNormArgs& a) {
  detail::require_ptr(kOp, a.x, "x");
  detail::require_ptr(kOp, a.y, "y");
  detail::require_positive(kOp, a.n, "n");
  detail::require_positive(kOp, a.c, "c");
  detail::require_positive(kOp, a.spatial, "spatial");
  const int64_t positions = detail::checked_mul(kOp, a.n, a.spatial, "n * spatial");
  const int64_t elements = detail::checked_mul(kOp, positions, a.c, "n * c * spatial");
  detail::require_eps(kOp, a.eps);
  if (a.layout != Layout::nchw && a.layout != Layout::nhwc) {
    detail::fail(kOp, "layout must be nchw or nhwc (blocked layouts are not supported)");
  }
  detail::require_same_or_disjoint(kOp, a.x, a.y, elements);
}

}  // namespace

void layer_norm_channels(const ChannelLayerNormArgs& args, const ExecOptions& exec) {
  validate(args);
  if (args.layout == Layout::nhwc) {  // channels are the rows' columns
    LayerNormArgs rows;
    rows.x = args.x;
    rows.y = args.y;
    rows.rows = args.n * args.spatial;
    rows.cols = args.c;
    rows.gamma = args.gamma;
    rows.beta = args.beta;
    rows.eps = args.eps;
    rows.mean = args.mean;
    rows.inv_std_dev = args.inv_std_dev;
    layer_norm(rows, exec);
    return;
  }
  const auto& k = detail::row_norm_kernels_for(detail::resolve_isa(exec));
  const int64_t per_image =
      (args.spatial + detail::kChannelTaskPositions - 1) / detail::kChannelTaskPositions;
  const int64_t tasks = args.n * per_image;
  const int64_t bytes = args.n * args.c * args.spatial * int64_t(2 * sizeof(float));
  const int threads = detail::plan_threads(exec, tasks, bytes);
  detail::parallel_for(threads, tasks,
                       [&](int64_t t0, int64_t t1) { k.channel_layer_norm(args, t0, t1); });
}

}  // namespace normrt::ops
