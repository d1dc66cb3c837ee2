#pragma once
// Per-ISA kernel table of GroupNorm, InstanceNorm and BatchNorm training:
// channels-first spans reuse the row building blocks of norm_math, the
// channels-last rows use channel_stats.
#include "channel_stats.kernel.hpp"
#include "group_norm.table.hpp"
#include "norm_math.kernel.hpp"

namespace normrt::ops::detail {

template <class A, bool nt>
void span_normalize_as(const float* x, float* y, int64_t n, float shift, float corr, float a,
                       float b, Activation act) {
  switch (act) {
    case Activation::relu:
      return normalize_span<A, Activation::relu, nt>(x, y, n, shift, corr, a, b);
    case Activation::silu:
      return normalize_span<A, Activation::silu, nt>(x, y, n, shift, corr, a, b);
    case Activation::none: break;
  }
  normalize_span<A, Activation::none, nt>(x, y, n, shift, corr, a, b);
}

template <class A>
void span_normalize(const float* x, float* y, int64_t n, float shift, float corr, float a,
                    float b, Activation act, bool stream) {
  if (stream && simd::Vec<A>::can_stream) {
    return span_normalize_as<A, true>(x, y, n, shift, corr, a, b, act);
  }
  span_normalize_as<A, false>(x, y, n, shift, corr, a, b, act);
}

template <class A>
group_norm_kernels make_group_norm_kernels() {
  return {&sum_min_max<A>,      &shifted_moments<A>, &span_normalize<A>,  &rows_sum_min_max<A>,
          &rows_moments<A>,     &rows_moments_split<A>, &rows_normalize<A>};
}

}  // namespace normrt::ops::detail
