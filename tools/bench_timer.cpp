#include "bench_timer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace normrt::bench {
namespace {

double seconds_for(const std::function<void()>& fn, long calls) {
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) fn();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

// Seconds per call of each sample.
std::vector<double> sample_seconds(const std::function<void()>& fn, const TimingPlan& plan) {
  fn();  // warm-up: caches, page tables, OpenMP thread pool
  // The fastest of three single calls sizes the samples: one call that lost
  // its core to another process must not shrink every sample to one call.
  double once = seconds_for(fn, 1);
  for (int i = 0; i < 2; ++i) once = std::min(once, seconds_for(fn, 1));
  once = std::max(once, 1e-9);
  const long calls = std::clamp(long(std::ceil(plan.min_sample_seconds / once)), 1L, 100000L);
  std::vector<double> per_call;
  for (int s = 0; s < std::max(plan.samples, 1); ++s) {
    per_call.push_back(seconds_for(fn, calls) / double(calls));
  }
  return per_call;
}

}  // namespace

double median_seconds(const std::function<void()>& fn, const TimingPlan& plan) {
  std::vector<double> per_call = sample_seconds(fn, plan);
  std::nth_element(per_call.begin(), per_call.begin() + long(per_call.size() / 2), per_call.end());
  return per_call[per_call.size() / 2];
}

double best_seconds(const std::function<void()>& fn, const TimingPlan& plan) {
  const std::vector<double> per_call = sample_seconds(fn, plan);
  return *std::min_element(per_call.begin(), per_call.end());
}

}  // namespace normrt::bench
