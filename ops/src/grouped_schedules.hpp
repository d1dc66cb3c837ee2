#pragma once
// The thread schedules of a grouped normalization's plan
// (grouped_plans.hpp), chosen by run_plan:
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
#include <vector>

#include <omp.h>

#include "detail/parallel.hpp"
#include "grouped_plans.hpp"

namespace normrt::ops::detail::grouped {

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
  plan.use_threads(threads);
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

}  // namespace normrt::ops::detail::grouped
