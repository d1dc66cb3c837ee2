#pragma once
// Wall-clock timing for `normrt bench` and the roofline: a warm-up call, then
// the median of several samples, each long enough (several calls) for the
// clock to resolve.
#include <functional>

namespace normrt::bench {

struct TimingPlan {
  int samples = 7;                  // the median of these is reported
  double min_sample_seconds = 0.01;  // calls per sample grow until one lasts this long
};

// Median seconds per call of fn.
double median_seconds(const std::function<void()>& fn, const TimingPlan& plan);
// The fastest sample's seconds per call: STREAM's "best rate" convention for
// a bandwidth ceiling (interference from other processes only slows down).
double best_seconds(const std::function<void()>& fn, const TimingPlan& plan);

}  // namespace normrt::bench
