// LRN entry point: validation, ISA choice, threads.
#include <cmath>
#include <string>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/validate.hpp"
#include "blocked_norm.hpp"
#include "lrn.table.hpp"

namespace normrt::ops {
namespace detail {
NORMRT_KERNEL_DISPATCH(lrn)

namespace {

void require_finite(const char* op, float v, const char* name) {
  if (!std::isfinite(v)) fail(op, std::string(name) + " must be finite, got " + std::to_string(v));
}

void validate_lrn(const LrnArgs& a) {
  const char* op = "lrn";
  require_ptr(op, a.x, "x");
  require_ptr(op, a.y, "y");
  require_positive(op, a.n, "n");
  require_positive(op, a.c, "c");
  require_positive(op, a.spatial, "spatial");
  if (!is_known_layout(a.layout)) fail(op, "layout is unknown");
  const int64_t total = checked_elements(op, a.n, a.c, a.spatial, a.layout);
  if (a.size <= 0 || a.size % 2 == 0) {
    fail(op, "size must be odd and positive (an even size has an asymmetric window), got " +
                 std::to_string(a.size));
  }
  require_finite(op, a.alpha, "alpha");
  require_finite(op, a.beta, "beta");
  require_finite(op, a.bias, "bias");
  // With alpha >= 0 and bias > 0 the denominator is >= bias > 0: never 0^beta
  // or a negative base.
  if (a.alpha < 0.f) fail(op, "alpha must be >= 0, got " + std::to_string(a.alpha));
  if (a.bias <= 0.f) fail(op, "bias must be > 0, got " + std::to_string(a.bias));
  require_same_or_disjoint(op, a.x, a.y, total);
}

}  // namespace
}  // namespace detail

void lrn(const LrnArgs& args, const ExecOptions& exec) {
  detail::validate_lrn(args);
  if (is_blocked(args.layout)) return detail::lrn_blocked(args, exec);
  const auto& k = detail::lrn_kernels_for(detail::resolve_isa(exec));
  const int64_t bytes = args.n * args.c * args.spatial * int64_t(2 * sizeof(float));
  // With spatial == 1, [N, C] is NCHW and NHWC at once: vectorize over C.
  if (args.layout == Layout::nhwc || args.spatial == 1) {
    const int64_t rows = args.n * args.spatial;
    const int threads = detail::plan_threads(exec, rows, bytes);
    detail::parallel_for(threads, rows, [&](int64_t r0, int64_t r1) { k.rows(args, r0, r1); });
  } else {
    const int64_t tile = detail::lrn_tile(args.c);
    const int64_t tasks = args.n * ((args.spatial + tile - 1) / tile);
    const int threads = detail::plan_threads(exec, tasks, bytes);
    detail::parallel_for(threads, tasks, [&](int64_t t0, int64_t t1) { k.tiles(args, t0, t1); });
  }
}

}  // namespace normrt::ops
