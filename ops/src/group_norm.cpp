// GroupNorm and InstanceNorm entry points, and the grouped-normalization
// driver they share with BatchNorm training: validation, pieces, threads.
//
// Every reduction (one group of one image, or one channel across the batch)
// is cut into pieces of a fixed size that never depends on the thread count.
// Pass 1 takes a provisional shift from the head of each reduction; each
// piece yields shifted moments around it, and a reduction's partials are
// always merged as the same left fold, piece 0 first. Only reductions whose
// shift lies more than a std from their mean (shift_is_close) rerun the
// moments around the refined shift, so a DRAM-sized group is read twice
// (statistics, output) instead of three times. Two schedules:
//  - per unit (enough units for the threads; a unit is a reduction, or a
//    whole image of channels-last rows): a thread runs both passes and the
//    output pass of its units, which stay in cache; channels-last images
//    overlap, the statistics of the next running between the output pieces
//    of this one (run_overlapped);
//  - split (fewer units than threads, e.g. GroupNorm NHWC N=1 on 2 threads):
//    one team runs every pass over all pieces, cut by pieces (partials
//    stored, then merged) or, for wide channels-last rows, by blocks of
//    channels (run_split).
// All give bitwise identical results, for any thread count.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <omp.h>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/validate.hpp"
#include "blocked_norm.hpp"
#include "group_norm.table.hpp"
#include "normrt/ops/group_norm.hpp"

namespace normrt::ops {
namespace detail {
NORMRT_KERNEL_DISPATCH(group_norm)

namespace {

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

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

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

// DRAM-sized outputs are streamed, except behind SiLU: its output pass is
// compute-bound, and streaming stores spaced out by the exp left partial
// write-combining lines (GroupNorm NHWC 2x320x96x96 + SiLU 12% slower,
// 10% faster without SiLU).
bool stream_grouped_output(const GroupedNormJob& job) {
  return job.act != Activation::silu && stream_output(job.n * job.c * job.spatial);
}

RowsOutput rows_output(const GroupedNormJob& job) {
  if (stream_grouped_output(job)) return RowsOutput::streamed;
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
        stream_(stream_grouped_output(job)),
        shift_(std::size_t(units())),
        a_(std::size_t(units() * cg_)), b_(a_.size()) {}

  // Reductions are small (a group of one image): no overlap of one unit's
  // statistics with another's output pass.
  static constexpr bool kOverlapUnits = false;

  int64_t units() const { return images_ * j_.groups; }
  int64_t pieces() const { return segs_ * chunks_; }
  int64_t width() const { return 1; }
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
  const bool stream_;  // y is DRAM-sized: streaming stores
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
        out_(rows_output(job)),
        shift_(std::size_t(images_ * job.c)), a_(shift_.size()), b_(shift_.size()) {}

  // Units are whole images: a thread with several runs the statistics of
  // the next one between the output pieces of this one (run_overlapped).
  static constexpr bool kOverlapUnits = true;

  int64_t units() const { return images_; }
  int64_t pieces() const { return ceil_div(rows_, piece_rows_); }
  int64_t width() const { return j_.c; }
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
  const RowsOutput out_;  // streamed: x stays in L3 for pass 2
  std::vector<float> shift_, a_, b_;  // per (image, channel); b has corr folded in
};

// False when every set of unit u had a close enough shift; else moves the
// others to their means.
template <class Plan>
bool refine_shifts(Plan& p, int64_t u, const Moments* total) {
  bool moved = false;
  for (int64_t g = 0; g < p.sets(); ++g) moved = p.refine(u, g, total) || moved;
  return moved;
}

template <class Plan>
void finish_unit(Plan& p, int64_t u, const Moments* total) {
  for (int64_t g = 0; g < p.sets(); ++g) p.finish(u, g, total);
}

// Per reduction: a thread runs the whole of its units, a few at a time,
// folding each piece's partials as soon as they exist. Within a block the
// loop runs piece-major, so a block of channels across the batch streams
// through memory image by image; each unit's fold order stays piece 0 first.
template <class Plan>
void run_per_unit(Plan& p, int threads) {
  const int64_t pieces = p.pieces(), w = p.width(), block = p.units_per_block();
  parallel_for(threads, p.units(), [&](int64_t u0, int64_t u1) {
    std::vector<Moments> acc(std::size_t(block * w));
    for (int64_t b0 = u0; b0 < u1; b0 += block) {
      const int64_t b1 = std::min(u1, b0 + block);
      auto at = [&](int64_t u) { return &acc[std::size_t((u - b0) * w)]; };
      for (int64_t u = b0; u < b1; ++u) p.set_head_shift(u);
      std::fill(acc.begin(), acc.end(), Moments{});
      for (int64_t k = 0; k < pieces; ++k) {
        for (int64_t u = b0; u < b1; ++u) {
          p.moments(u, k, at(u));
        }
      }
      for (int64_t u = b0; u < b1; ++u) {
        if (refine_shifts(p, u, at(u))) {  // rare: the same fold, around the new shift
          std::fill_n(at(u), w, Moments{});
          for (int64_t k = 0; k < pieces; ++k) {
            p.moments(u, k, at(u));
          }
        }
        finish_unit(p, u, at(u));
      }
      // Last piece first: it is the one the statistics pass left in cache.
      for (int64_t k = pieces - 1; k >= 0; --k) {
        for (int64_t u = b0; u < b1; ++u) p.normalize(u, k);
      }
    }
  });
}

// Per reduction, for units that are whole images (channels-last): the
// statistics pass of image u + 1 runs piece by piece between the output
// pieces of image u, so the DRAM reads of the next image overlap the
// streamed writes of this one instead of taking turns with them (both
// images fit the L3 up to 16 MiB each); the output pass runs from the last
// piece, the one most recently read. Each unit's partials fold as in
// run_per_unit, piece 0 first, so results are the same bit for bit.
template <class Plan>
void run_overlapped(Plan& p, int threads) {
  const int64_t pieces = p.pieces(), w = p.width();
  parallel_for(threads, p.units(), [&](int64_t u0, int64_t u1) {
    std::vector<Moments> acc(static_cast<std::size_t>(w));
    auto moments = [&](int64_t u, int64_t k) { p.moments(u, k, acc.data()); };
    auto start = [&](int64_t u) {
      p.set_head_shift(u);
      std::fill(acc.begin(), acc.end(), Moments{});
    };
    auto finish = [&](int64_t u) {
      if (refine_shifts(p, u, acc.data())) {  // rare: the same fold, around the new shift
        std::fill(acc.begin(), acc.end(), Moments{});
        for (int64_t k = 0; k < pieces; ++k) moments(u, k);
      }
      finish_unit(p, u, acc.data());
    };
    start(u0);
    for (int64_t k = 0; k < pieces; ++k) moments(u0, k);
    finish(u0);
    for (int64_t u = u0; u < u1; ++u) {
      const bool next = u + 1 < u1;
      if (next) start(u + 1);
      for (int64_t k = 0; k < pieces; ++k) {
        p.normalize(u, pieces - 1 - k, next ? u + 1 : -1, k);
        if (next) moments(u + 1, k);
      }
      if (next) finish(u + 1);
    }
  });
}

// Split: one team of threads runs every pass, the passes separated by
// barriers (a fork per pass, and a serial fold, held GroupNorm NHWC N=1 at
// 2 threads to 1.4x of one). The statistics are cut one of two ways, both
// giving the bits of the other schedules:
//  - by channels (`block` > 0: channels-last rows wide enough for two
//    blocks a thread): each thread reduces whole blocks of channels over
//    every piece, as running sums; nothing to store or fold;
//  - by pieces: each (unit, piece) task stores its partials, then each
//    unit's entries fold over the pieces, piece 0 first:
//    acc[u][i] = merge(...merge({}, part[u][0][i])..., part[u][pieces-1][i]).
// The output pass runs over row pieces, split as the pieces of the moments
// pass, so a thread writes the pieces it reduced (by pieces), last first:
// the one its moments pass left in cache (a 32 MiB image mostly reads back
// from L3, not DRAM).
template <class Plan>
void run_split(Plan& p, int threads, int64_t block) {
  const int64_t units = p.units(), pieces = p.pieces(), w = p.width();
  const int64_t tasks = units * pieces, folds = units * w, sets = p.sets(), all_sets = units * sets;
  const int64_t blocks = block > 0 ? ceil_div(w, block) : 0;
  for (int64_t u = 0; u < units; ++u) p.set_head_shift(u);
  // Raw storage for the partials, each constructed by the thread that fills
  // it: zeroing 1x320x64x64's 400 KiB in a vector's constructor was a serial
  // step of ~8 us in a 2-thread run of ~140 us.
  std::unique_ptr<std::byte[]> storage(
      block > 0 ? nullptr : new std::byte[std::size_t(tasks * w) * sizeof(Moments)]);
  auto* part = reinterpret_cast<Moments*>(storage.get());
  std::vector<Moments> acc(static_cast<std::size_t>(folds));
  bool moved = false;
#pragma omp parallel num_threads(threads)
  {
    const int64_t nt = omp_get_num_threads(), th = omp_get_thread_num();
    const int64_t t0 = tasks * th / nt, t1 = tasks * (th + 1) / nt;
    for (int pass = 0;; ++pass) {
      if (block > 0) {
        const int64_t c0 = std::min(w, blocks * th / nt * block);
        const int64_t c1 = std::min(w, blocks * (th + 1) / nt * block);
        for (int64_t u = 0; u < units && c0 < c1; ++u) {
          Moments* a = &acc[std::size_t(u * w)];
          std::fill(a + c0, a + c1, Moments{});
          for (int64_t k = 0; k < pieces; ++k) p.moments(u, k, a, c0, c1);
        }
      } else {
        for (int64_t t = t0; t < t1; ++t) {
          Moments* out = part + t * w;
          for (int64_t i = 0; i < w; ++i) new (out + i) Moments{};
          p.moments(t / pieces, t % pieces, out);
        }
#pragma omp barrier
        for (int64_t e = folds * th / nt; e < folds * (th + 1) / nt; ++e) {
          const int64_t u = e / w, i = e % w;
          Moments a;
          for (int64_t k = 0; k < pieces; ++k) a = merge(a, part[(u * pieces + k) * w + i]);
          acc[std::size_t(e)] = a;
        }
      }
#pragma omp barrier
      // Every set (group) of statistics is refined or finished on its own:
      // split over the threads too (1280 channels took ~4 us on one).
      // Rare: a second pass around refined shifts; sets whose shift stayed
      // put get the same partials again, and are finished again alike.
      for (int64_t e = all_sets * th / nt; e < all_sets * (th + 1) / nt; ++e) {
        const int64_t u = e / sets, g = e % sets;
        const Moments* total = &acc[std::size_t(u * w)];
        if (pass == 0 && p.refine(u, g, total)) {
#pragma omp atomic write
          moved = true;
        } else {
          p.finish(u, g, total);
        }
      }
#pragma omp barrier
      bool again;
#pragma omp atomic read
      again = moved;
      if (pass > 0 || !again) break;
    }
    for (int64_t t = t1 - 1; t >= t0; --t) p.normalize(t / pieces, t % pieces);
  }
}

template <class Plan>
std::vector<GroupStats> run_plan(Plan plan, const GroupedNormJob& job, const ExecOptions& exec) {
  const int64_t bytes = job.n * job.c * job.spatial * int64_t(2 * sizeof(float));
  const int threads = plan_threads(exec, plan.units() * plan.pieces(), bytes);
  if (plan.units() >= threads) {
    if constexpr (Plan::kOverlapUnits) {
      run_overlapped(plan, threads);
    } else {
      run_per_unit(plan, threads);
    }
  } else {
    const int64_t block = plan.split_block();
    const bool by_channels = block > 0 && ceil_div(plan.width(), block) >= 2 * threads;
    run_split(plan, threads, by_channels ? block : 0);
  }
  return plan.take_stats();
}

}  // namespace

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
    return run_plan(ChannelsLast(job, k), job, exec);
  }
  return run_plan(ChannelsFirst(job, k), job, exec);
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
