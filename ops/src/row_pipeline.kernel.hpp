#pragma once
// The row pipeline behind LayerNorm and RMSNorm.
//
// A 768-float row is 3 KB: it sits in L1 and the kernel is bound by
// instructions and latency, not memory. Two things cost time in a plain
// "stats, then normalize" loop per row:
//  - each pass loads one kind of execution port (stats: the adders, x - shift
//    and the sum; normalize: the FMA units) while the other idles;
//  - the end of a row's statistics (horizontal sums, division, square root)
//    is a serial chain the next row cannot overlap.
// So one loop does both at once: it normalizes rows r .. r+P-1 (whose
// statistics are known) while it accumulates the statistics of the next P
// rows, which it reads for the first time (the only read from memory further
// away than L1: those rows are still in L1/L2 when the next loop normalizes
// them). LayerNorm on AVX-512 and NEON takes P = 2 cached rows a step: both
// rows share each load of gamma and beta, and two rows' statistics end
// together (see kCanPairRows, pair_rows). The
// first rows of a range take a statistics-only pass, the last a
// normalize-only pass; every pass accumulates a row's statistics through the
// same RowAccumulator in the same order, so a row's statistics never depend
// on where a thread's range starts or on the row it was paired with (bitwise
// identical output for any thread count).
//
// Numerics are those of norm_math (DESIGN.md section 3): LayerNorm takes
// moments around a shift (the mean of the row's head) and runs a second
// moments pass only when that shift was not within a std of the mean (see
// shift_is_close); fp32 lane sums are folded into double every kLaneChunk
// floats a lane. With a fused residual the statistics pass computes
// s = x + skip (+ bias), stores it and accumulates it in one go.
#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <utility>

#include "exact_fma.kernel.hpp"
#include "norm_math.kernel.hpp"
#include "row_norm.table.hpp"
#include "row_sources.kernel.hpp"

namespace normrt::ops::detail {

// 16 zeros then 16 ones: loaded at kMaxWidth - W + k, the last k of W lanes
// are 1 (the new elements of an overlapping last vector). Not inline:
// g++ emits inline variables as unique globals, which the per-ISA objects
// could not localize (duplicate symbols across ISAs).
constexpr int64_t kMaxWidth = 16;
alignas(64) constexpr float kTailKeep[2 * kMaxWidth] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

// Calls f(k) for k = 0 .. N-1 as compile-time constants, so arrays of
// registers indexed by k stay in registers.
template <class F, std::size_t... k>
inline void unrolled_impl(F& f, std::index_sequence<k...>) {
  (f(std::integral_constant<std::size_t, k>{}), ...);
}
template <std::size_t N, class F>
inline void unrolled(F&& f) {
  unrolled_impl(f, std::make_index_sequence<N>{});
}

// The statistics of one row while a sweep takes them: kChains fp32 chains a
// moment (vector c of each step goes to chain c), folded into double every
// kLaneChunk floats a lane. Every sweep takes a row's statistics through
// this, in the same order, whatever else it does: the bits of a row's
// statistics never depend on the sweep that took them, so neither on the
// thread count nor on whether the call pairs its rows (pair_rows). kChains
// depends on the row length only (kFusedChains, kLongRowChains).
template <class A, bool kCentered, int64_t kChains>
struct RowAccumulator {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  static_assert(kChains == 2 || kChains == 4, "two or four chains");
  R s{};
  R a[kChains], q[kChains];
  Moments m;

  // Chains indexed by constants only (unrolled): a loop over them kept the
  // whole accumulator in memory, stored every step.
  void clear() {
    unrolled<kChains>([&](auto c) { a[c] = q[c] = V::splat(0.f); });
  }
  void add(R v, int64_t c) {
    if constexpr (kCentered) {
      const R d = v - s;
      a[c] = a[c] + d;
      q[c] = exact_fma<A>(d, d, q[c]);
    } else {
      q[c] = exact_fma<A>(v, v, q[c]);
    }
  }
  static R total(const R (&v)[kChains]) {
    if constexpr (kChains == 2) return v[0] + v[1];
    else return (v[0] + v[1]) + (v[2] + v[3]);
  }
  void fold() {
    if constexpr (kCentered) m.s1 += double(V::sum(total(a)));
    m.s2 += double(V::sum(total(q)));
  }
};

// One sweep over the columns: the moments of source rows [s0, s0 + kStats)
// around their shifts (RMS: s2 = sum of squares), while rows
// [n0, n0 + kNorm) are normalized with their statistics st. Rows normalized
// together share each load of gamma and beta. Sources, pointers and row
// outputs are built here as locals: they cannot alias the outputs, so the
// compiler keeps them in registers across the stores (through pointers it
// reloaded them every vector); passed in by value, they went through the
// stack as small stores read back as one vector, a store-forwarding stall
// every sweep (RMSNorm with residual, 512x768 AVX-512: 69 -> 82 us).
// Flattened: everything it calls is inlined whatever GCC's size budget says
// (a trial pipeline with more code around the sweep got RowAccumulator::fold
// out of line: a call per chunk, across which every vector register is
// spilled). Flattened, LayerNorm / RMSNorm 128x768 and 512x768 also ran
// 3-10% faster in median over 8 alternated rounds.
template <class A, class Src, class Out, int64_t kChains, std::size_t kStats, std::size_t kNorm,
          bool kStream = false, class Args>
[[gnu::flatten]] std::array<Moments, kStats> rows_sweep(const Args& a, int64_t s0, int64_t n0,
                                       const std::array<float, kStats>& shift,
                                       const std::array<RowStats, kNorm>& st) {
  using V = simd::Vec<A>;
  using Acc = RowAccumulator<A, Out::kCentered, kChains>;
  constexpr int64_t W = V::width;
  constexpr int64_t C = kChains;  // vectors a step per row, one per chain
  constexpr int64_t kChunk = kLaneChunk * C * W;
  const int64_t n = a.cols;
  std::array<Src, kStats> src;
  unrolled<kStats>([&](auto k) { src[k] = Src(a, s0 + int64_t(k)); });
  std::array<const float*, kNorm> nx;
  std::array<float*, kNorm> ny;
  unrolled<kNorm>([&](auto k) {
    nx[k] = Src::stored(a, n0 + int64_t(k));
    ny[k] = a.y + (n0 + int64_t(k)) * n;
  });
  std::array<Acc, kStats> acc;
  std::array<Out, kNorm> out;
  unrolled<kNorm>([&](auto k) { out[k] = Out(st[k], a.gamma, beta_of(a)); });
  unrolled<kStats>([&](auto k) { acc[k].s = V::splat(shift[k]); });
  auto clear = [&] { unrolled<kStats>([&](auto k) { acc[k].clear(); }); };
  auto fold = [&] { unrolled<kStats>([&](auto k) { acc[k].fold(); }); };
  auto moments = [&] {
    std::array<Moments, kStats> m;
    unrolled<kStats>([&](auto k) { m[k] = acc[k].m; });
    return m;
  };
  auto stats = [&](int64_t j, int64_t c) {
    unrolled<kStats>([&](auto k) { acc[k].add(src[k].full(j), c); });
  };
  auto norm = [&](int64_t j) {
    if constexpr (kNorm > 0) {
      const auto p = out[0].affine(j);
      unrolled<kNorm>([&](auto k) { put<A, kStream>(ny[k] + j, out[k](V::load(nx[k] + j), p)); });
    }
  };
  int64_t i = 0;
  for (; i + C * W <= n;) {
    const int64_t end = std::min(n, i + kChunk);
    clear();
    for (; i + C * W <= end; i += C * W) {
      unrolled<C>([&](auto c) { stats(i + c * W, c); });
      unrolled<C>([&](auto c) { norm(i + c * W); });
    }
    fold();
  }
  if (i == n) return moments();
  clear();
  for (; i + W <= n; i += W) {
    stats(i, 0);
    norm(i);
  }
  if (i < n) {
    const auto rest = std::size_t(n - i);
    // The tail as the row's last whole vector, which overlaps the part already
    // done (cheaper than a partial load through memory): its stats lanes are
    // masked to the `rest` new elements, its outputs recomputed identically.
    const bool overlap = n >= W;
    unrolled<kStats>([&](auto k) {
      const auto zero = V::splat(0.f);
      if (Src::kRereadable && overlap) {
        if constexpr (W > 1) {  // (W == 1 never has a tail)
          // Lanes already counted read as the shift (RMS: 0), so they add 0
          // exactly, whatever they hold (a multiplying mask would turn Inf
          // into NaN).
          const auto fresh = V::load(kTailKeep + kMaxWidth - W + rest) > zero;
          acc[k].add(xsimd::select(fresh, src[k].full(n - W), Out::kCentered ? acc[k].s : zero), 0);
        }
      } else {
        acc[k].add(src[k].tail(i, rest, Out::kCentered ? shift[k] : 0.f), 0);
      }
    });
    unrolled<kNorm>([&](auto k) {
      if (overlap && nx[k] != ny[k]) {  // in place, the overlap was already overwritten
        put<A, kStream>(ny[k] + n - W, out[k](V::load(nx[k] + n - W), out[k].affine(n - W)));
      } else {
        const auto p = out[k].affine(i, rest);
        V::store_tail(ny[k] + i, out[k](V::load_tail(nx[k] + i, rest), p), rest);
      }
    });
  }
  fold();
  return moments();
}

// The mean of the row's head (up to four vectors) as a provisional shift,
// taken around the first element: a constant row gets exactly its constant.
template <class A, class Src>
float head_shift(const Src& src, int64_t n) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  const float v0 = src.at(0);
  const R s = V::splat(v0);
  const int64_t h = std::min<int64_t>(n / W, 4) * W;
  R acc = V::splat(0.f);
  for (int64_t i = 0; i < h; i += W) acc = acc + (src.peek(i) - s);
  if (h == 0) {  // n < W: the head is the whole row, tail lanes read as v0
    float buf[V::width];
    for (int64_t i = 0; i < n; ++i) buf[i] = src.at(i);
    acc = V::load_tail(buf, std::size_t(n), v0) - s;
    return v0 + V::sum(acc) / float(n);
  }
  return v0 + V::sum(acc) / float(h);
}

// The statistics of rows [s0, s0 + kStats) from a fresh read of their source,
// while the same sweep normalizes rows [n0, n0 + kNorm) with theirs, `done`.
template <class A, class Src, class Out, int64_t kChains, std::size_t kStats, std::size_t kNorm,
          bool kStream, class Args>
std::array<RowStats, kStats> sweep_rows(const Args& a, int64_t s0, int64_t n0,
                                        const std::array<RowStats, kNorm>& done) {
  const int64_t n = a.cols;
  std::array<float, kStats> shift{};
  if constexpr (Out::kCentered) {
    unrolled<kStats>([&](auto k) { shift[k] = head_shift<A>(Src(a, s0 + int64_t(k)), n); });
  }
  const auto m = rows_sweep<A, Src, Out, kChains, kStats, kNorm, kStream>(a, s0, n0, shift, done);
  std::array<RowStats, kStats> st;
  unrolled<kStats>([&](auto k) {
    if constexpr (!Out::kCentered) {
      st[k].rstd = float(1.0 / std::sqrt(m[k].s2 / double(n) + double(a.eps)));
    } else if (shift_is_close(m[k], n)) {
      st[k] = finish_stats(shift[k], m[k], n, a.eps);
    } else {  // |mean - shift| > std, or NaN / Inf: around the mean again
      const float mean = refined_shift(shift[k], m[k], n);
      const auto again =
          rows_sweep<A, StoredRows<A, Src>, Out, kChains, 1, 0>(a, s0 + int64_t(k), 0, {mean}, {});
      st[k] = finish_stats(mean, again[0], n, a.eps);
    }
  });
  return st;
}

// Longest row the pipeline fuses: rows r and r+1 of x and row r of y
// (3 x 8 KB) stay in L1. Longer rows (LayerNorm 4096x4096) measured faster
// one at a time: statistics, then normalize while the row is still in L2.
constexpr int64_t kMaxFusedCols = 2048;

// Chains a moment of a row's statistics (RowAccumulator). Rows the pipeline
// fuses: LayerNorm two, so that a sweep over two rows holds their four chains
// and the two rows it normalizes in 32 registers (four chains spilled: 128x768
// AVX-512 12.1-12.6 -> 13.6-14.7 us); RMSNorm, one moment, four. Longer rows, taken one
// at a time: four, or a row's statistics-only sweep waits on the chains'
// latencies and keeps fewer loads from DRAM in flight (LayerNorm 4096x4096
// 5.4-5.7 -> 6.0-6.9 ms at 1 thread, AVX2, with two).
template <class Out>
constexpr int64_t kFusedChains = Out::kCentered ? 2 : 4;
constexpr int64_t kLongRowChains = 4;

// Two rows a sweep (P = 2) for LayerNorm rows that come from the caches, on
// targets with 32 vector registers: the rows share each load of gamma and
// beta, and their statistics end together (128x768 at 1 thread, AVX-512:
// 16.0 -> 12.2 us). Not on AVX2, whose 16 registers cannot hold two rows'
// chains and outputs (the spills made 128x768 slower, 14.8 -> 15.6 us); not
// for RMSNorm, no faster (its sweep is bound by the FMA pipes, not by loads);
// not for a fused residual, bound by its two stores a vector; not for rows
// from L3 or DRAM, where two rows' streams at once ran slower (LayerNorm
// 2048x1024: 361-383 -> 429-540 us, 16384x768: 3.6-4.1 -> 5.3-5.6 ms).
// Rows r .. r+3 of x and rows r, r+1 of y stay in L1 up to kMaxPairedCols.
template <class A, class Src, class Out>
constexpr bool kCanPairRows = simd::Vec<A>::registers >= 32 && Out::kCentered && Src::kRereadable;
constexpr int64_t kMaxPairedCols = 1024;
constexpr int64_t kPairedRowsMaxBytes = int64_t(4) << 20;  // x and y

template <class Args>
bool pair_rows(const Args& a) {
  const int64_t bytes = a.rows * a.cols * int64_t(2 * sizeof(float));
  return a.cols <= kMaxPairedCols && bytes <= kPairedRowsMaxBytes;
}

// Rows [r0, r1) through the pipeline (see the top of this file), P rows a
// step: each sweep normalizes rows r .. r+P-1 while it takes the statistics
// of rows r+P .. r+2P-1. kStream: outputs go past the cache with streaming
// stores (every row of y aligned, no tails).
template <class A, class Src, class Out, bool kStream, int64_t P, class Args>
void run_row_pipeline_as(const Args& a, int64_t r0, int64_t r1) {
  const std::array<RowStats, 0> none{};
  if (a.cols > kMaxFusedCols) {
    for (int64_t r = r0; r < r1; ++r) {
      const auto st = sweep_rows<A, Src, Out, kLongRowChains, 1, 0, false>(a, r, r, none);
      sweep_rows<A, Src, Out, kLongRowChains, 0, 1, kStream>(a, r, r, st);
      record_stats(a, r, st[0]);
    }
  } else {
    constexpr int64_t C = kFusedChains<Out>;
    std::array<RowStats, P> cur;
    if (r1 - r0 >= P) {
      cur = sweep_rows<A, Src, Out, C, P, 0, false>(a, r0, r0, none);
    } else {
      cur[0] = sweep_rows<A, Src, Out, C, 1, 0, false>(a, r0, r0, none)[0];
    }
    for (int64_t r = r0; r < r1; r += P) {
      unrolled<P>([&](auto k) {
        if (r + int64_t(k) < r1) record_stats(a, r + int64_t(k), cur[k]);
      });
      if (r1 - r < P) {  // one row left over
        sweep_rows<A, Src, Out, C, 0, 1, kStream>(a, r, r, {cur[0]});
        break;
      }
      const int64_t ahead = std::min<int64_t>(r1 - (r + P), P);
      if (ahead == P) {
        cur = sweep_rows<A, Src, Out, C, P, P, kStream>(a, r + P, r, cur);
      } else if (ahead > 0) {
        cur[0] = sweep_rows<A, Src, Out, C, 1, P, kStream>(a, r + P, r, cur)[0];
      } else {
        sweep_rows<A, Src, Out, C, 0, P, kStream>(a, r + P, r, cur);
      }
    }
  }
  if constexpr (kStream) simd::Vec<A>::stream_fence();
}

// Streaming stores when `stream` asks for them (stream_output) and
// stream_rows allows them; only for plain rows (the residual variants write
// s, which is read again).
template <class A, class Src, class Out, class Args>
void run_row_pipeline(const Args& a, int64_t r0, int64_t r1, bool stream) {
  if constexpr (simd::Vec<A>::can_stream && Src::kRereadable) {
    if (stream && stream_rows<A>(a.y, a.cols)) {
      return run_row_pipeline_as<A, Src, Out, true, 1>(a, r0, r1);
    }
  }
  if constexpr (kCanPairRows<A, Src, Out>) {
    if (pair_rows(a)) return run_row_pipeline_as<A, Src, Out, false, 2>(a, r0, r1);
  }
  run_row_pipeline_as<A, Src, Out, false, 1>(a, r0, r1);
}

}  // namespace normrt::ops::detail
