// LayerNorm and RMSNorm entry points: validation, ISA choice, threads.
#include <string>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/validate.hpp"
#include "norm_math.hpp"
#include "row_norm.table.hpp"

namespace normrt::ops {
namespace detail {
NORMRT_KERNEL_DISPATCH(row_norm)

namespace {

template <class Args>
void validate_rows(const char* op, const Args& a) {
  require_ptr(op, a.x, "x");
  require_ptr(op, a.y, "y");
  require_positive(op, a.rows, "rows");
  require_positive(op, a.cols, "cols");
  checked_mul(op, a.rows, a.cols, "rows * cols");
  require_eps(op, a.eps);
  if (a.skip == nullptr) {
    if (a.bias != nullptr) fail(op, "bias is given without skip");
    if (a.sum != nullptr) fail(op, "sum output is requested without skip");
    if (a.skip_rows != 0) fail(op, "skip_rows is set without skip");
  } else if (a.skip_rows < 0 || a.skip_rows > a.rows ||
             (a.skip_rows > 0 && a.rows % a.skip_rows != 0)) {
    fail(op, "skip_rows must divide rows (" + std::to_string(a.rows) + "), got " +
                 std::to_string(a.skip_rows));
  }
}

template <class Args, class Kernel>
void run_rows(const Args& a, const ExecOptions& exec, Kernel kernel) {
  const int threads = plan_threads(exec, a.rows, a.rows * a.cols * int64_t(2 * sizeof(float)));
  const bool stream = stream_output(a.rows * a.cols, threads);
  parallel_for(threads, a.rows, [&](int64_t r0, int64_t r1) { kernel(a, r0, r1, stream); });
}

}  // namespace
}  // namespace detail

void layer_norm(const LayerNormArgs& args, const ExecOptions& exec) {
  detail::validate_rows("layer_norm", args);
  const auto& k = detail::row_norm_kernels_for(detail::resolve_isa(exec));
  detail::run_rows(args, exec, k.layer_norm);
}

void rms_norm(const RmsNormArgs& args, const ExecOptions& exec) {
  detail::validate_rows("rms_norm", args);
  const auto& k = detail::row_norm_kernels_for(detail::resolve_isa(exec));
  detail::run_rows(args, exec, k.rms_norm);
}

}  // namespace normrt::ops
