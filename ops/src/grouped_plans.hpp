#pragma once
// How a grouped normalization (GroupNorm, InstanceNorm, BatchNorm training;
// group_norm.table.hpp) is cut into work, per layout. Every reduction (one
// group of one image, or one channel across the batch) is cut into pieces of
// a fixed size that never depends on the thread count. Pass 1 takes a
// provisional shift from the head of each reduction; each piece yields
// shifted moments around it, and a reduction's partials are always merged as
// the same left fold, piece 0 first. Only reductions whose shift lies more
// than a std from their mean (shift_is_close) rerun the moments around the
// refined shift, so a DRAM-sized group is read twice (statistics, output)
// instead of three times. A plan answers, for its layout, what a unit, a
// piece and a set of statistics are; grouped_schedules.hpp runs the passes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "group_norm.table.hpp"

namespace normrt::ops::detail::grouped {

// Floats per piece: large enough that a call costs nothing, small enough to
// give 64 threads work in one 1x320x64x64 GroupNorm.
constexpr int64_t kPieceFloats = 16 * 1024;
// Channels-last pieces hold at least this many rows, so that wide images do
// not drown in per-channel partials.
constexpr int64_t kMinPieceRows = 32;
// Channels-first reductions run a few at a time, up to this many floats of x
// (1 MiB, an L2), so that a channel's short spans across the batch stream as
// longer runs: 3x faster on BatchNorm training 16x256x56x56.
constexpr int64_t kBlockFloats = 256 * 1024;
// Floats of a reduction's head that give its provisional shift.
constexpr int64_t kHeadFloats = 64;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A group's partials from its n channels' (part(l): Moments or SumMinMax of
// channel l), merged as four interleaved running sums, then pairwise: one
// chain of n dependent double adds per group cost a 1280-channel GroupNorm
// NHWC ~1 us a call. Every schedule merges through here, so the bits still do
// not depend on the thread count.
template <class T, class Part>
T merge_channels(int64_t n, Part part) {
  T acc[4];
  int64_t l = 0;
  for (; l + 4 <= n; l += 4) {
    for (int i = 0; i < 4; ++i) acc[i] = merge(acc[i], part(l + i));
  }
  for (; l < n; ++l) acc[l % 4] = merge(acc[l % 4], part(l));
  return merge(merge(acc[0], acc[1]), merge(acc[2], acc[3]));
}

// Outputs past stream_output's threshold for `threads` threads are
// streamed, except behind SiLU: its output pass is compute-bound, and
// streaming stores spaced out by the exp left partial write-combining lines
// (GroupNorm NHWC 2x320x96x96 + SiLU 12% slower, 10% faster without SiLU);
// and only where the output pass's spans (`span` floats: a channel's plane,
// or a row of channels) are whole lines.
inline bool stream_grouped_output(const GroupedNormJob& job, int64_t span, int threads) {
  return job.act != Activation::silu && whole_lines(job.y, span) &&
         stream_output(job.n * job.c * job.spatial, threads);
}

inline RowsOutput rows_output(const GroupedNormJob& job, int threads) {
  if (stream_grouped_output(job, job.c, threads)) return RowsOutput::streamed;
  const bool dram_sized = stream_output(job.n * job.c * job.spatial);
  return dram_sized || job.act == Activation::silu ? RowsOutput::by_row : RowsOutput::row_quads;
}

// What both layouts share: the job, the kernels, the statistics of each
// (image, group) and the affine coefficients of its channels.
class PlanBase {
 public:
  PlanBase(const GroupedNormJob& job, const group_norm_kernels& k)
      : j_(job), k_(k), cg_(job.c / job.groups), images_(job.across_batch ? 1 : job.n),
        stats_(std::size_t(images_ * job.groups)) {}
  std::vector<GroupStats> take_stats() { return std::move(stats_); }

 protected:
  // Stats of group g of image i; a / b of its channels, indexed from the
  // group's first channel (y = ((x - shift) - corr) * a + b).
  void finish_group(int64_t i, int64_t g, float shift, const Moments& m, int64_t count, float* a,
                    float* b) {
    GroupStats& gs = stats_[std::size_t(i * j_.groups + g)];
    gs.st = finish_stats(shift, m, count, j_.eps);
    gs.mean = double(shift) + m.s1 / double(count);
    gs.var = shifted_variance(m, count);
    for (int64_t l = 0; l < cg_; ++l) {
      const int64_t p = j_.per_group_affine ? g : g * cg_ + l;
      a[l] = gs.st.rstd * (j_.gamma ? j_.gamma[p] : 1.f);
      b[l] = j_.beta ? j_.beta[p] : 0.f;
    }
  }

  const GroupedNormJob& j_;
  const group_norm_kernels& k_;
  const int64_t cg_;      // channels per group
  const int64_t images_;  // independent images (1 across the batch)
  std::vector<GroupStats> stats_;
};

// NCHW: a reduction is one group of one image (one contiguous span of
// cg * spatial floats), or one channel across the batch (n spans of spatial
// floats, c * spatial apart). Pieces are chunks of those spans.
class ChannelsFirst : public PlanBase {
 public:
  ChannelsFirst(const GroupedNormJob& job, const group_norm_kernels& k)
      : PlanBase(job, k), seg_len_(cg_ * job.spatial), segs_(job.across_batch ? job.n : 1),
        chunks_(ceil_div(seg_len_, kPieceFloats)),
        stream_(false),  // use_threads
        shift_(std::size_t(units())),
        a_(std::size_t(units() * cg_)), b_(a_.size()) {}

  // Reductions are small (a group of one image): no overlap of one unit's
  // statistics with another's output pass.
  static constexpr bool kOverlapUnits = false;

  int64_t units() const { return images_ * j_.groups; }
  int64_t pieces() const { return segs_ * chunks_; }
  int64_t width() const { return 1; }
  // Whether y streams, once the thread count is known.
  void use_threads(int threads) {
    stream_ = stream_grouped_output(j_, j_.spatial, threads);
  }
  // One image's reductions are contiguous: one at a time, so its spans stay
  // in L1/L2 from the moments pass to the output pass (a 1 MiB block of
  // 64 InstanceNorm planes was evicted by its own output before the output
  // pass re-read it).
  int64_t units_per_block() const {
    if (segs_ == 1) return 1;
    return std::max<int64_t>(1, std::min<int64_t>(units(), kBlockFloats / count()));
  }

  void set_head_shift(int64_t u) {
    const Piece p = piece(u, 0);
    const int64_t head = std::min(kHeadFloats, p.end - p.begin);
    shift_[std::size_t(u)] = shift_from(k_.span_sum_min_max(j_.x + p.base + p.begin, head), head);
  }
  // Sets of statistics per unit: a unit is one reduction.
  int64_t sets() const { return 1; }
  // Channels are never split (a unit's width is 1).
  int64_t split_block() const { return 0; }
  // False when the shift was close enough; else moves it to the mean.
  bool refine(int64_t u, int64_t, const Moments* total) {
    if (shift_is_close(*total, count())) return false;
    shift_[std::size_t(u)] = refined_shift(shift_[std::size_t(u)], *total, count());
    return true;
  }
  // Adds the piece's moments to *out (as merge: the running sum plus the
  // piece's); a unit has one entry, so a range of entries is all of it.
  void moments(int64_t u, int64_t k, Moments* out, int64_t = 0, int64_t = 1) const {
    const Piece p = piece(u, k);
    *out = merge(*out, k_.span_moments(j_.x + p.base + p.begin, p.end - p.begin,
                                       shift_[std::size_t(u)]));
  }
  void finish(int64_t u, int64_t, const Moments* total) {
    const auto off = std::size_t(u * cg_);
    finish_group(u / j_.groups, u % j_.groups, shift_[std::size_t(u)], *total, count(),
                 &a_[off], &b_[off]);
  }
  // A piece may straddle channels of its group: each channel's part gets
  // that channel's coefficients.
  void normalize(int64_t u, int64_t k) const {
    const Piece p = piece(u, k);
    const RowStats& st = stats_[std::size_t(u)].st;
    for (int64_t pos = p.begin; pos < p.end;) {
      const int64_t ch = pos / j_.spatial;
      const int64_t stop = std::min(p.end, (ch + 1) * j_.spatial);
      const auto l = std::size_t(u * cg_ + ch);
      k_.span_normalize(j_.x + p.base + pos, j_.y + p.base + pos, stop - pos, st.shift, st.corr,
                        a_[l], b_[l], j_.act, stream_);
      pos = stop;
    }
  }

 private:
  struct Piece {
    int64_t base;        // offset of the span
    int64_t begin, end;  // range within the span
  };
  Piece piece(int64_t u, int64_t k) const {
    const int64_t image = u / j_.groups + k / chunks_;  // one of the two terms is 0
    const int64_t chunk = k % chunks_;
    const int64_t base = image * j_.c * j_.spatial + (u % j_.groups) * seg_len_;
    return {base, chunk * kPieceFloats, std::min(seg_len_, (chunk + 1) * kPieceFloats)};
  }
  int64_t count() const { return segs_ * seg_len_; }

  const int64_t seg_len_, segs_, chunks_;
  bool stream_;  // y is DRAM-sized: streaming stores
  std::vector<float> shift_, a_, b_;  // per reduction; per (reduction, channel)
};

// NHWC: an image is `rows` positions of c contiguous channels (across the
// batch, all n images form one image of n * spatial rows). A reduction unit
// is a whole image; its partials are per channel, reduced to groups; pieces
// are fixed runs of rows.
class ChannelsLast : public PlanBase {
 public:
  ChannelsLast(const GroupedNormJob& job, const group_norm_kernels& k)
      : PlanBase(job, k), rows_(job.across_batch ? job.n * job.spatial : job.spatial),
        piece_rows_(std::max(kMinPieceRows, kPieceFloats / job.c)),
        out_(RowsOutput::by_row),  // use_threads
        shift_(std::size_t(images_ * job.c)), a_(shift_.size()), b_(shift_.size()) {}

  // Units are whole images: a thread with several runs the statistics of
  // the next one between the output pieces of this one (run_overlapped).
  static constexpr bool kOverlapUnits = true;

  int64_t units() const { return images_; }
  int64_t pieces() const { return ceil_div(rows_, piece_rows_); }
  int64_t width() const { return j_.c; }
  // How the output pass writes, once the thread count is known.
  void use_threads(int threads) { out_ = rows_output(j_, threads); }
  int64_t units_per_block() const { return 1; }

  void set_head_shift(int64_t u) {
    const int64_t head_rows = std::min(rows_, std::max<int64_t>(1, kHeadFloats / cg_));
    std::vector<double> sum(std::size_t(j_.c));
    std::vector<float> bounds(std::size_t(2 * j_.c));
    const ChannelSumMinMax part{sum.data(), bounds.data(), bounds.data() + j_.c};
    k_.rows_sum_min_max(j_.x + offset(u, 0), head_rows, j_.c, part);
    for (int64_t g = 0; g < j_.groups; ++g) {
      const SumMinMax grp = merge_channels<SumMinMax>(cg_, [&](int64_t l) {
        const int64_t ch = g * cg_ + l;
        return SumMinMax{part.sum[ch], part.min[ch], part.max[ch]};
      });
      const float s = shift_from(grp, cg_ * head_rows);
      std::fill_n(&shift_[std::size_t(u * j_.c + g * cg_)], cg_, s);
    }
  }
  // Sets of statistics per unit (an image): its groups.
  int64_t sets() const { return j_.groups; }
  // False when group g's shift was close enough; else moves it to the mean
  // (the moments pass then reruns over the whole image).
  bool refine(int64_t u, int64_t g, const Moments* total) {
    const Moments grp = group_total(g, total);
    if (shift_is_close(grp, cg_ * rows_)) return false;
    float* s = &shift_[std::size_t(u * j_.c + g * cg_)];
    std::fill_n(s, cg_, refined_shift(*s, grp, cg_ * rows_));
    return true;
  }
  // Channels per block at which the moments may be split (0: never).
  int64_t split_block() const { return k_.rows_moments_split(j_.c); }
  // Adds the piece's moments to out[channel], for channels [c0, c1).
  void moments(int64_t u, int64_t k, Moments* out, int64_t c0 = 0, int64_t c1 = -1) const {
    if (c1 < 0) c1 = j_.c;
    k_.rows_moments(j_.x + offset(u, k) + c0, rows_in(k), j_.c, c1 - c0,
                    &shift_[std::size_t(u * j_.c + c0)], out + c0);
  }
  void finish(int64_t u, int64_t g, const Moments* total) {
    const auto off = std::size_t(u * j_.c + g * cg_);
    finish_group(u, g, shift_[off], group_total(g, total), cg_ * rows_, &a_[off], &b_[off]);
    const float corr = stats_[std::size_t(u * j_.groups + g)].st.corr;
    for (std::size_t l = off; l < off + std::size_t(cg_); ++l) b_[l] = fold_corr(b_[l], corr, a_[l]);
  }
  // `ahead`: piece `ahead_k` of unit `ahead_u` is prefetched meanwhile (< 0: none).
  void normalize(int64_t u, int64_t k, int64_t ahead_u = -1, int64_t ahead_k = 0) const {
    const auto off = std::size_t(u * j_.c);
    const ChannelCoeffs coeffs{&shift_[off], &a_[off], &b_[off]};
    // The pieces differ in rows only at the end of an image: prefetch no more
    // than this piece's rows, and only within x.
    const float* ahead = nullptr;
    if (ahead_u >= 0 && rows_in(ahead_k) >= rows_in(k)) ahead = j_.x + offset(ahead_u, ahead_k);
    k_.rows_normalize(j_.x + offset(u, k), j_.y + offset(u, k), rows_in(k), j_.c, coeffs,
                      j_.act, out_, ahead);
  }

 private:
  // Group g's moments from its channels' (merge_channels).
  Moments group_total(int64_t g, const Moments* total) const {
    return merge_channels<Moments>(cg_, [&](int64_t l) { return total[g * cg_ + l]; });
  }
  int64_t offset(int64_t u, int64_t k) const { return (u * rows_ + k * piece_rows_) * j_.c; }
  int64_t rows_in(int64_t k) const { return std::min(piece_rows_, rows_ - k * piece_rows_); }

  const int64_t rows_, piece_rows_;
  RowsOutput out_;  // streamed: x stays in L3 for pass 2
  std::vector<float> shift_, a_, b_;  // per (image, channel); b has corr folded in
};

}  // namespace normrt::ops::detail::grouped
