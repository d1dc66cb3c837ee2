// BatchNormalization-15 with training_mode=1: per-channel batch statistics
// (population variance) over n x spatial, y normalized with them, and the
// running statistics. The work is the grouped-normalization driver with one
// group per channel, reduced across the batch.
#include <cmath>
#include <string>

#include "detail/validate.hpp"
#include "group_norm.table.hpp"
#include "normrt/ops/batch_norm.hpp"

namespace normrt::ops {
namespace {

constexpr const char* kOp = "batch_norm_training";

void validate_training(const BatchNormTrainingArgs& a) {
  if (!(a.momentum >= 0.f && a.momentum <= 1.f)) {
    detail::fail(kOp, "momentum must be in [0, 1], got " + std::to_string(a.momentum));
  }
  if (a.running_mean_out && !a.running_mean) {
    detail::fail(kOp, "running_mean_out is requested without running_mean");
  }
  if (a.running_var_out && !a.running_var) {
    detail::fail(kOp, "running_var_out is requested without running_var");
  }
}

// running * momentum + batch * (1 - momentum), in double, rounded once.
float blend(float running, double batch, float momentum) {
  return float(double(running) * double(momentum) + batch * (1.0 - double(momentum)));
}

}  // namespace

void batch_norm_training(const BatchNormTrainingArgs& args, const ExecOptions& exec) {
  detail::GroupedNormJob job;
  job.x = args.x; job.y = args.y;
  job.n = args.n; job.c = args.c; job.spatial = args.spatial; job.groups = args.c;
  job.layout = args.layout;
  job.across_batch = true;
  job.gamma = args.gamma; job.beta = args.beta;
  job.eps = args.eps;
  detail::validate_grouped_norm(kOp, job);
  validate_training(args);

  const std::vector<detail::GroupStats> stats = detail::run_grouped_norm(job, exec);
  for (std::size_t ch = 0; ch < stats.size(); ++ch) {
    const detail::GroupStats& s = stats[ch];
    if (args.batch_mean) args.batch_mean[ch] = s.st.mean;
    if (args.batch_var) args.batch_var[ch] = float(s.var);
    if (args.running_mean_out) {
      args.running_mean_out[ch] = blend(args.running_mean[ch], s.mean, args.momentum);
    }
    if (args.running_var_out) {
      args.running_var_out[ch] = blend(args.running_var[ch], s.var, args.momentum);
    }
  }
}

}  // namespace normrt::ops
