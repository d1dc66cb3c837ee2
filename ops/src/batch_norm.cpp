// BatchNorm inference entry points: folding the constant statistics into a
// per-channel affine (in double, rounded once) and applying it.
#include <cmath>
#include <string>

#include "batch_norm.table.hpp"
#include "blocked_norm.hpp"
#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/validate.hpp"

namespace normrt::ops {
namespace detail {
NORMRT_KERNEL_DISPATCH(batch_norm)

namespace {

std::vector<float> round_once(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// A model's BN constants come from outside: a NaN or infinite parameter would
// silently poison its channel, so it is an error naming the channel.
void require_finite_param(const char* op, const float* p, int64_t c, const char* name) {
  if (p != nullptr && !std::isfinite(p[c])) {
    fail(op, std::string(name) + "[" + std::to_string(c) + "] is not finite (" +
                 std::to_string(p[c]) + ")");
  }
}

void validate_fold(const BatchNormParams& p) {
  const char* op = "fold_batch_norm";
  require_positive(op, p.channels, "channels");
  require_ptr(op, p.mean, "mean");
  require_ptr(op, p.var, "var");
  require_eps(op, p.eps);
  for (int64_t c = 0; c < p.channels; ++c) {
    require_finite_param(op, p.gamma, c, "gamma");
    require_finite_param(op, p.beta, c, "beta");
    require_finite_param(op, p.mean, c, "mean");
    require_finite_param(op, p.var, c, "var");
    if (p.var[c] < 0.f) {
      fail(op, "var[" + std::to_string(c) + "] is negative (" + std::to_string(p.var[c]) + ")");
    }
    if (double(p.var[c]) + double(p.eps) == 0.0) {
      fail(op, "var[" + std::to_string(c) + "] + eps is zero (division by zero)");
    }
  }
}

void validate_apply(const BatchNormArgs& a) {
  const char* op = "batch_norm_apply";
  require_ptr(op, a.x, "x");
  require_ptr(op, a.y, "y");
  require_ptr(op, a.scale, "scale");
  require_ptr(op, a.shift, "shift");
  require_positive(op, a.n, "n");
  require_positive(op, a.c, "c");
  require_positive(op, a.spatial, "spatial");
  if (!is_known_layout(a.layout)) fail(op, "layout is unknown");
  const int64_t total = checked_elements(op, a.n, a.c, a.spatial, a.layout);
  if (a.act != Activation::none && a.act != Activation::relu && a.act != Activation::silu) {
    fail(op, "act is unknown");
  }
  require_same_or_disjoint(op, a.x, a.y, total);
}

}  // namespace
}  // namespace detail

std::vector<float> ChannelAffine::scale_f32() const { return detail::round_once(scale); }
std::vector<float> ChannelAffine::shift_f32() const { return detail::round_once(shift); }

ChannelAffine fold_batch_norm(const BatchNormParams& p) {
  detail::validate_fold(p);
  ChannelAffine out;
  out.scale.resize(std::size_t(p.channels));
  out.shift.resize(std::size_t(p.channels));
  for (int64_t c = 0; c < p.channels; ++c) {
    const double gamma = p.gamma ? double(p.gamma[c]) : 1.0;
    const double beta = p.beta ? double(p.beta[c]) : 0.0;
    const double scale = gamma / std::sqrt(double(p.var[c]) + double(p.eps));
    out.scale[std::size_t(c)] = scale;
    out.shift[std::size_t(c)] = beta - double(p.mean[c]) * scale;
  }
  return out;
}

void batch_norm_apply(const BatchNormArgs& args, const ExecOptions& exec) {
  detail::validate_apply(args);
  if (is_blocked(args.layout)) return detail::batch_norm_apply_blocked(args, exec);
  const auto& k = detail::batch_norm_kernels_for(detail::resolve_isa(exec));
  const int64_t total = args.n * args.c * args.spatial;
  const int64_t bytes = total * int64_t(2 * sizeof(float));
  // With spatial == 1, [N, C] is NCHW and NHWC at once: vectorize over C.
  if (args.layout == Layout::nhwc || args.spatial == 1) {
    const int64_t rows = args.n * args.spatial;
    const int threads = detail::plan_threads(exec, rows, bytes);
    const bool stream =
        detail::whole_lines(args.y, args.c) && detail::stream_pure_output(total, threads);
    detail::parallel_for(threads, rows,
                         [&](int64_t r0, int64_t r1) { k.apply_rows(args, r0, r1, stream); });
  } else {
    const int64_t planes = args.n * args.c;
    const int threads = detail::plan_threads(exec, planes, bytes);
    const bool stream = detail::stream_planes(args.spatial, total, threads);
    detail::parallel_for(threads, planes,
                         [&](int64_t p0, int64_t p1) { k.apply_planes(args, p0, p1, stream); });
  }
}

}  // namespace normrt::ops
