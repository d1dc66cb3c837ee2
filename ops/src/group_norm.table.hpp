#pragma once
// Per-ISA kernels of the grouped normalizations (GroupNorm, InstanceNorm,
// BatchNorm training): statistics over groups of channels x spatial.
//  - channels-first (NCHW): a group's data is made of contiguous spans; the
//    span kernels reduce / normalize one span.
//  - channels-last (NHWC): the rows kernels reduce `rows` positions of `c`
//    contiguous channels into per-channel partials, vectorized over channels.
// The baseline driver (run_grouped_norm, group_norm.cpp) cuts every reduction
// into fixed pieces, calls these kernels per piece and merges the partials in
// a fixed order, so results do not depend on the thread count.
#include <cstdint>
#include <vector>

#include "norm_math.hpp"
#include "normrt/ops/activation.hpp"
#include "normrt/ops/exec.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::ops::detail {

// Per-channel coefficients of the channels-last output pass:
// y[c] = act((x[c] - shift[c]) * a[c] + b[c]), the mean correction folded
// into b (fold_corr), as the channels-first spans do.
struct ChannelCoeffs {
  const float* shift;
  const float* a;
  const float* b;
};

// How the channels-last output pass walks and stores, chosen by the driver
// from the output's size and epilogue.
enum class RowsOutput {
  row_quads,  // cache-resident, memory-bound: four rows share each coefficient load
  by_row,     // DRAM-sized through the cache, or compute-bound (SiLU)
  streamed,   // DRAM-sized, non-temporal stores (stream_output)
};

// Per-channel sums, minima and maxima (structure of arrays, c each).
struct ChannelSumMinMax {
  double* sum;
  float* min;
  float* max;
};

struct group_norm_kernels {
  SumMinMax (*span_sum_min_max)(const float* x, int64_t n);
  Moments (*span_moments)(const float* x, int64_t n, float shift);
  // y[j] = act(((x[j] - shift) - corr) * a + b) over one channel's span;
  // `stream`: with non-temporal stores (stream_output).
  void (*span_normalize)(const float* x, float* y, int64_t n, float shift, float corr, float a,
                         float b, Activation act, bool stream);
  // Partials of channel ch over `rows` rows of `c` floats, into out's arrays
  // (the sums are added: out.sum starts at 0).
  void (*rows_sum_min_max)(const float* x, int64_t rows, int64_t c, ChannelSumMinMax out);
  // out[ch] = merge(out[ch], moments of channel ch over the rows), for the
  // first c channels of rows `stride` floats apart: a running sum over pieces
  // needs no partials buffer and gets the same bits.
  void (*rows_moments)(const float* x, int64_t rows, int64_t stride, int64_t c,
                       const float* shift, Moments* out);
  // Channels per block at which rows of c channels may be cut into ranges
  // (starting at multiples of it) for rows_moments, each channel keeping its
  // bits; 0 when they may not.
  int64_t (*rows_moments_split)(int64_t c);
  // `ahead`: null, or rows * c floats to prefetch meanwhile (the piece the
  // next statistics pass reads, so its DRAM reads overlap these writes).
  void (*rows_normalize)(const float* x, float* y, int64_t rows, int64_t c,
                         const ChannelCoeffs& k, Activation act, RowsOutput path,
                         const float* ahead);
};

const group_norm_kernels& group_norm_kernels_for(Isa isa);

// ---- The shared driver (defined in group_norm.cpp, used by batch_norm_training.cpp).

// A normalization whose statistics run over groups of `c / groups` channels
// times `spatial` positions: per image (GroupNorm, InstanceNorm) or across
// the whole batch (BatchNorm training). Arguments are validated by the caller.
struct GroupedNormJob {
  const float* x = nullptr;
  float* y = nullptr;  // may be x
  int64_t n = 0, c = 0, spatial = 1, groups = 1;
  Layout layout = Layout::nchw;
  bool across_batch = false;     // one reduction per group over all n images
  const float* gamma = nullptr;  // null means 1
  const float* beta = nullptr;   // null means 0
  bool per_group_affine = false;  // gamma / beta have `groups` entries, else c
  float eps = 1e-5f;
  Activation act = Activation::none;
};

struct GroupStats {
  RowStats st;
  double mean = 0.0;  // in double, before rounding
  double var = 0.0;   // population variance
};

// Throws normrt::Error naming the argument of `op` that is out of range: null
// x / y, non-positive sizes, c not divisible by groups, overflowing sizes,
// negative or non-finite eps, unknown layout or activation.
void validate_grouped_norm(const char* op, const GroupedNormJob& job);

// Normalizes job.x into job.y and returns the statistics of every reduction,
// [images][groups] (images = 1 when across_batch).
std::vector<GroupStats> run_grouped_norm(const GroupedNormJob& job, const ExecOptions& exec);

}  // namespace normrt::ops::detail
