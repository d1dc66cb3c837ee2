// GroupNorm and InstanceNorm entry points, and the grouped-normalization
// driver they share with BatchNorm training: validation, then the plan of
// the layout (grouped_plans.hpp) run on its schedule (grouped_schedules.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/validate.hpp"
#include "blocked_norm.hpp"
#include "group_norm.table.hpp"
#include "grouped_schedules.hpp"
#include "normrt/ops/group_norm.hpp"

namespace normrt::ops {
namespace detail {
NORMRT_KERNEL_DISPATCH(group_norm)

void validate_grouped_norm(const char* op, const GroupedNormJob& j) {
  require_ptr(op, j.x, "x");
  require_ptr(op, j.y, "y");
  require_positive(op, j.n, "n");
  require_positive(op, j.c, "c");
  require_positive(op, j.spatial, "spatial");
  require_positive(op, j.groups, "groups");
  if (j.c % j.groups != 0) {
    fail(op, "c (" + std::to_string(j.c) + ") is not divisible by groups (" +
                 std::to_string(j.groups) + ")");
  }
  if (!is_known_layout(j.layout)) fail(op, "layout is unknown");
  if (is_blocked(j.layout) && j.across_batch) fail(op, "layout: blocked layouts are not supported");
  checked_elements(op, j.n, j.c, j.spatial, j.layout);
  require_eps(op, j.eps);
  if (j.act != Activation::none && j.act != Activation::relu && j.act != Activation::silu) {
    fail(op, "act is unknown");
  }
}

std::vector<GroupStats> run_grouped_norm(const GroupedNormJob& job, const ExecOptions& exec) {
  if (is_blocked(job.layout)) return run_blocked_grouped_norm(job, exec);
  const group_norm_kernels& k = group_norm_kernels_for(resolve_isa(exec));
  // With one position per channel both layouts are the same memory; rows of
  // channels vectorize, where channels-first would reduce spans of 1 float
  // (BatchNorm1d on [N, C]).
  if (job.layout == Layout::nhwc || job.spatial == 1) {
    return grouped::run_plan(grouped::ChannelsLast(job, k), job, exec);
  }
  return grouped::run_plan(grouped::ChannelsFirst(job, k), job, exec);
}

}  // namespace detail

void group_norm(const GroupNormArgs& args, const ExecOptions& exec) {
  constexpr const char* op = "group_norm";
  detail::GroupedNormJob job;
  job.x = args.x; job.y = args.y;
  job.n = args.n; job.c = args.c; job.spatial = args.spatial; job.groups = args.groups;
  job.layout = args.layout;
  job.gamma = args.gamma; job.beta = args.beta;
  job.per_group_affine = args.affine == GroupAffine::per_group;
  job.eps = args.eps; job.act = args.act;
  detail::validate_grouped_norm(op, job);
  if (args.affine != GroupAffine::per_group && args.affine != GroupAffine::per_channel) {
    detail::fail(op, "affine is unknown");
  }
  const std::vector<detail::GroupStats> stats = detail::run_grouped_norm(job, exec);
  for (std::size_t i = 0; i < stats.size(); ++i) {
    if (args.mean) args.mean[i] = stats[i].st.mean;
    if (args.inv_std_dev) args.inv_std_dev[i] = stats[i].st.rstd;
  }
}

void instance_norm(const InstanceNormArgs& args, const ExecOptions& exec) {
  detail::GroupedNormJob job;
  job.x = args.x; job.y = args.y;
  job.n = args.n; job.c = args.c; job.spatial = args.spatial; job.groups = args.c;
  job.layout = args.layout;
  job.gamma = args.gamma; job.beta = args.beta;
  job.eps = args.eps; job.act = args.act;
  detail::validate_grouped_norm("instance_norm", job);
  detail::run_grouped_norm(job, exec);
}

}  // namespace normrt::ops
