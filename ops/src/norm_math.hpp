#pragma once
// Plain (ISA-independent) parts of the statistics: the partial results each
// pass produces, how partials of a split reduction are merged in a fixed
// order, and the final mean / rstd, computed in double and rounded once.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace normrt::ops::detail {

struct SumMinMax {
  double sum = 0.0;
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
};

struct Moments {
  double s1 = 0.0;  // sum(x - shift)
  double s2 = 0.0;  // sum((x - shift)^2)
};

struct RowStats {
  float shift = 0.f;  // pass-1 mean, clamped into [min, max]
  float corr = 0.f;   // mean - shift
  float rstd = 0.f;   // 1 / sqrt(var + eps)
  float mean = 0.f;   // shift + corr, rounded once
};

inline SumMinMax merge(const SumMinMax& a, const SumMinMax& b) {
  return {a.sum + b.sum, std::min(a.min, b.min), std::max(a.max, b.max)};
}

inline Moments merge(const Moments& a, const Moments& b) { return {a.s1 + b.s1, a.s2 + b.s2}; }

// The pass-1 mean as the shift of pass 2. A NaN sum stays NaN (and poisons
// the row, as it should); a constant row gets exactly its constant.
inline float shift_from(const SumMinMax& p, int64_t n) {
  const float m = float(p.sum / double(n));
  if (std::isnan(m)) return m;
  return std::min(std::max(m, p.min), p.max);
}

inline RowStats finish_stats(float shift, const Moments& m, int64_t n, float eps) {
  const double corr = m.s1 / double(n);
  const double var = std::max(m.s2 / double(n) - corr * corr, 0.0);
  RowStats st;
  st.shift = shift;
  st.corr = float(corr);
  st.rstd = float(1.0 / std::sqrt(var + double(eps)));
  st.mean = float(double(shift) + corr);
  if (std::isnan(var) || std::isnan(corr)) st.rstd = std::numeric_limits<float>::quiet_NaN();
  return st;
}

// Outputs of at least this size are written with streaming (non-temporal)
// stores: with x, the working set fills the 32 MiB L3 of this class of
// machine, so y would not stay cached for the next op anyway, and streaming
// saves the read of every output line before it is written.
constexpr int64_t kStreamOutputBytes = 16 << 20;

inline bool stream_output(int64_t floats) {
  return floats * int64_t(sizeof(float)) >= kStreamOutputBytes;
}

// The same for an op whose output pass reads x again after its statistics
// pass, on `threads` threads: LayerNorm / RMSNorm rows and GroupNorm /
// InstanceNorm NCHW groups (x again from L1/L2, so y is the stream),
// GroupNorm NHWC (a whole image's x again from L3). On one thread an 8 MiB
// y already pushes x out of the L3 this machine shares, and its lines are
// read before they are written. Streamed at 1 thread (5 alternated rounds,
// us): LayerNorm 2048x1024 350-480 against 440-1060 cached; GroupNorm NHWC
// 1x512x64x64 528-623 against 580-1405, NCHW 488-572 against 652-934;
// InstanceNorm 1x128x128x128 428-503 against 536-883. On two threads the
// same sizes ran faster cached (2048x1024: 166-280 against 320-335 us), so
// from two threads on the threshold stays 16 MiB.
constexpr int64_t kStreamBytesPerThread = 8 << 20;

inline bool stream_output(int64_t floats, int threads) {
  const int64_t threshold =
      std::min(kStreamOutputBytes, kStreamBytesPerThread * int64_t(std::max(threads, 1)));
  return floats * int64_t(sizeof(float)) >= threshold;
}

// Whether streaming stores may write spans of `span` floats laid end to end
// from y on: y starts a 64-byte line and every span is whole lines, so the
// ends of a span (written with ordinary stores, scalar or partial vectors)
// never share a line with streamed data. Mixed in one line, the line is
// fetched and written twice: BatchNorm NCHW on 14x14 planes, 12.8 MB, AVX2,
// 1 thread, ran 3x slower streamed (2.0-2.2 ms) than cached (0.6-0.7 ms).
inline bool whole_lines(const float* y, int64_t span) {
  constexpr int64_t kLineFloats = 64 / int64_t(sizeof(float));
  return reinterpret_cast<std::uintptr_t>(y) % 64 == 0 && span % kLineFloats == 0;
}

// A pure stream (BatchNorm inference: one read, one write an element) on
// `threads` threads. Non-temporal stores save the read of every output line
// but go at the DRAM write path's pace; cached stores gain from each core's
// bandwidth to the L3. So the crossover rises with the threads. Working-set
// sweep, BatchNorm NCHW 56x56 planes, AVX-512, Zen 4, cached / streamed time:
// 1 thread 1.10 at 8 MiB of output, 1.32 at 12 MiB; 2 threads 0.91 at 16 MiB,
// 1.03 at 20 MiB. Past the L3 (32 MiB here) the output never stays cached.
constexpr int64_t kPureStreamBytesPerThread = 10 << 20;
constexpr int64_t kPureStreamMaxBytes = 32 << 20;

inline bool stream_pure_output(int64_t floats, int threads) {
  const int64_t threshold =
      std::min(kPureStreamMaxBytes, kPureStreamBytesPerThread * int64_t(std::max(threads, 1)));
  return floats * int64_t(sizeof(float)) >= threshold;
}

// BatchNorm NCHW on `threads` threads: planes of at least the widest vector
// (16 floats) are one flat sweep of aligned whole vectors on every ISA
// (flat_planes), so they stream whatever their size; shorter planes run one
// at a time, their ends in the middle of lines, and stay cached.
constexpr int64_t kFlatPlanesMinFloats = 16;

inline bool stream_planes(int64_t spatial, int64_t floats, int threads) {
  return spatial >= kFlatPlanesMinFloats && stream_pure_output(floats, threads);
}

// b - corr * a in double, rounded once: the output pass's shift once the
// (tiny) mean correction is folded in, y = (x - shift) * a + fold_corr(...).
inline float fold_corr(float b, float corr, float a) {
  return float(double(b) - double(corr) * double(a));
}

}  // namespace normrt::ops::detail

namespace normrt::ops::detail {

// Population variance from shifted moments (as finish_stats computes it);
// NaN stays NaN.
inline double shifted_variance(const Moments& m, int64_t n) {
  const double corr = m.s1 / double(n);
  const double var = m.s2 / double(n) - corr * corr;
  return std::isnan(var) ? var : std::max(var, 0.0);
}

// Whether moments taken around `shift` give the variance to nearly full
// precision: var = s2/n - corr^2 cancels at most one bit while corr^2 <= var
// (the fp32 lane sums' relative error applies to var + corr^2). False on NaN.
inline bool shift_is_close(const Moments& m, int64_t n) {
  const double corr = m.s1 / double(n);
  return corr * corr <= m.s2 / double(n) - corr * corr;
}

// The mean as seen from `shift`, rounded to the nearest float: the shift of a
// second moments pass when the first one was not close enough.
inline float refined_shift(float shift, const Moments& m, int64_t n) {
  return float(double(shift) + m.s1 / double(n));
}

}  // namespace normrt::ops::detail
