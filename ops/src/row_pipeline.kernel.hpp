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
// So one loop does both at once: it normalizes row r (whose statistics are
// known) while it accumulates the statistics of row r+1, which it reads for
// the first time (the only read from memory further away than L1: row r+1
// is still in L1/L2 when the next loop normalizes it). The first row of a
// range takes a statistics-only pass, the last a normalize-only pass; both are
// the same function, so a row's statistics never depend on where a thread's
// range starts (bitwise identical output for any thread count).
//
// Numerics are those of norm_math (DESIGN.md section 3): LayerNorm takes
// moments around a shift (the mean of the row's head) and runs a second
// moments pass only when that shift was not within a std of the mean (see
// shift_is_close); fp32 lane sums are folded into double every kLaneChunk
// floats a lane. With a fused residual the statistics pass computes
// s = x + skip (+ bias), stores it and accumulates it in one go.
#include "exact_fma.kernel.hpp"
#include "norm_math.kernel.hpp"
#include "row_norm.table.hpp"

namespace normrt::ops::detail {

// A row that is normalized as it is stored.
template <class A>
struct PlainRows {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  const float* x = nullptr;

  static constexpr bool kRereadable = true;  // the last vector may be read again

  PlainRows() = default;
  explicit PlainRows(const float* row) : x(row) {}
  template <class Args>
  PlainRows(const Args& a, int64_t r) : x(a.x + r * a.cols) {}
  template <class Args>
  static const float* stored(const Args& a, int64_t r) { return a.x + r * a.cols; }

  float at(int64_t i) const { return x[i]; }
  R peek(int64_t i) const { return V::load(x + i); }
  R full(int64_t i) const { return V::load(x + i); }
  R tail(int64_t i, std::size_t m, float fill) const { return V::load_tail(x + i, m, fill); }
};

// s = x + skip (+ bias), stored to args.sum (or y) by full() and tail().
template <class A, bool kBias>
struct ResidualRows {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  const float* x = nullptr;
  const float* skip = nullptr;
  const float* bias = nullptr;
  float* s = nullptr;

  static constexpr bool kRereadable = false;  // s may overwrite x (sum == x)

  ResidualRows() = default;
  template <class Args>
  ResidualRows(const Args& a, int64_t r)
      : x(a.x + r * a.cols),
        skip(a.skip + (r % (a.skip_rows > 0 ? a.skip_rows : a.rows)) * a.cols),
        bias(a.bias),
        s(const_cast<float*>(stored(a, r))) {}
  template <class Args>
  static const float* stored(const Args& a, int64_t r) {
    return (a.sum ? a.sum : a.y) + r * a.cols;
  }

  float at(int64_t i) const { return kBias ? (x[i] + skip[i]) + bias[i] : x[i] + skip[i]; }
  // Without storing: s may be x itself (sum == x), so s is written only once.
  R peek(int64_t i) const {
    R v = V::load(x + i) + V::load(skip + i);
    if constexpr (kBias) v = v + V::load(bias + i);
    return v;
  }
  R full(int64_t i) const {
    const R v = peek(i);
    V::store(s + i, v);
    return v;
  }
  R tail(int64_t i, std::size_t m, float fill) const {
    R v = V::load_tail(x + i, m) + V::load_tail(skip + i, m);
    if constexpr (kBias) v = v + V::load_tail(bias + i, m);
    V::store_tail(s + i, v, m);
    return V::load_tail(s + i, m, fill);
  }
};

// y = fma(fma(x - shift, rstd, -corr * rstd), gamma, beta) (LayerNorm: three
// operations a vector; corr is tiny next to the std, so rounding corr * rstd
// once costs nothing measurable, and a constant row still gives exactly beta)
// or y = x * rstd * gamma (RMSNorm).
template <class A, bool kLn, bool kGamma, bool kBeta>
struct RowOutput {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  static constexpr bool kCentered = kLn;  // statistics around a shift, or sum of squares
  R shift{}, rstd{}, ncr{};
  const float* gamma = nullptr;
  const float* beta = nullptr;

  RowOutput() = default;
  RowOutput(const RowStats& st, const float* g, const float* b)
      : shift(V::splat(st.shift)),
        rstd(V::splat(st.rstd)),
        ncr(V::splat(-(st.corr * st.rstd))),
        gamma(g),
        beta(b) {}

  R operator()(R x, int64_t j, std::size_t m = V::width) const {
    const bool full = m == V::width;
    R t;
    if constexpr (kLn) {
      t = exact_fma<A>(x - shift, rstd, ncr);
    } else {
      t = x * rstd;
    }
    if constexpr (kGamma) {
      const R g = full ? V::load(gamma + j) : V::load_tail(gamma + j, m);
      if constexpr (kBeta) {
        t = exact_fma<A>(t, g, full ? V::load(beta + j) : V::load_tail(beta + j, m));
      } else {
        t = t * g;
      }
    } else if constexpr (kBeta) {
      t = t + (full ? V::load(beta + j) : V::load_tail(beta + j, m));
    }
    return t;
  }
};

// 16 zeros then 16 ones: loaded at kMaxWidth - W + k, the last k of W lanes
// are 1 (the new elements of an overlapping last vector). Not inline:
// g++ emits inline variables as unique globals, which the per-ISA objects
// could not localize (duplicate symbols across ISAs).
constexpr int64_t kMaxWidth = 16;
alignas(64) constexpr float kTailKeep[2 * kMaxWidth] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

// One sweep over n columns: with kStats, the moments of `src` around `shift`
// (RMS: s2 = sum of squares); with kNorm, ny = out(nx). src and out are
// taken by value: as locals they cannot alias ny, so the compiler keeps them
// in registers across the stores (through pointers it reloaded them every
// vector).
template <class A, class Src, class Out, bool kStats, bool kNorm, bool kStream = false>
Moments row_sweep(const Src src, float shift, const float* nx, float* ny, const Out out,
                  int64_t n) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  constexpr int64_t kChunk = kLaneChunk * 4 * W;
  const R s = V::splat(shift);
  auto stat = [&](R v, R& a, R& q) {
    if constexpr (Out::kCentered) {
      const R d = v - s;
      a = a + d;
      q = exact_fma<A>(d, d, q);
    } else {
      q = exact_fma<A>(v, v, q);
    }
  };
  auto norm = [&](int64_t j) { put<A, kStream>(ny + j, out(V::load(nx + j), j)); };
  Moments m;
  int64_t i = 0;
  for (; i + 4 * W <= n;) {
    const int64_t end = std::min(n, i + kChunk);
    R a0 = V::splat(0.f), a1 = a0, a2 = a0, a3 = a0, q0 = a0, q1 = a0, q2 = a0, q3 = a0;
    for (; i + 4 * W <= end; i += 4 * W) {
      if constexpr (kStats) {
        stat(src.full(i), a0, q0);
        stat(src.full(i + W), a1, q1);
        stat(src.full(i + 2 * W), a2, q2);
        stat(src.full(i + 3 * W), a3, q3);
      }
      if constexpr (kNorm) {
        norm(i);
        norm(i + W);
        norm(i + 2 * W);
        norm(i + 3 * W);
      }
    }
    if constexpr (kStats) {
      if constexpr (Out::kCentered) m.s1 += double(V::sum((a0 + a1) + (a2 + a3)));
      m.s2 += double(V::sum((q0 + q1) + (q2 + q3)));
    }
  }
  R a = V::splat(0.f), q = a;
  for (; i + W <= n; i += W) {
    if constexpr (kStats) stat(src.full(i), a, q);
    if constexpr (kNorm) norm(i);
  }
  if (i < n) {
    const auto rest = std::size_t(n - i);
    // The tail as the row's last whole vector, which overlaps the part already
    // done (cheaper than a partial load through memory): its stats lanes are
    // masked to the `rest` new elements, its outputs recomputed identically.
    const bool overlap = n >= W;
    if constexpr (kStats) {
      if (Src::kRereadable && overlap) {
        if constexpr (W > 1) {  // (W == 1 never has a tail)
          // Lanes already counted read as the shift (RMS: 0), so they add 0
          // exactly, whatever they hold (a multiplying mask would turn Inf into NaN).
          const auto fresh = V::load(kTailKeep + kMaxWidth - W + rest) > V::splat(0.f);
          stat(xsimd::select(fresh, src.full(n - W), Out::kCentered ? s : V::splat(0.f)), a, q);
        }
      } else {
        stat(src.tail(i, rest, Out::kCentered ? shift : 0.f), a, q);
      }
    }
    if constexpr (kNorm) {
      if (overlap && nx != ny) {  // in place, the overlap was already overwritten
        norm(n - W);
      } else {
        V::store_tail(ny + i, out(V::load_tail(nx + i, rest), i, rest), rest);
      }
    }
  }
  if constexpr (kStats) {
    if constexpr (Out::kCentered) m.s1 += double(V::sum(a));
    m.s2 += double(V::sum(q));
  }
  return m;
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

inline const float* beta_of(const LayerNormArgs& a) { return a.beta; }
inline const float* beta_of(const RmsNormArgs&) { return nullptr; }

inline void record_stats(const LayerNormArgs& a, int64_t r, const RowStats& st) {
  if (a.mean) a.mean[r] = st.mean;
  if (a.inv_std_dev) a.inv_std_dev[r] = st.rstd;
}
inline void record_stats(const RmsNormArgs& a, int64_t r, const RowStats& st) {
  if (a.inv_std_dev) a.inv_std_dev[r] = st.rstd;
}

// Statistics of row r (from a fresh read of its source), while the same sweep
// normalizes the previous row into ny when kNorm.
template <class A, class Src, class Out, bool kNorm, class Args, bool kStream = false>
RowStats take_row_stats(const Args& a, int64_t r, const float* nx, float* ny, const Out& out) {
  const int64_t n = a.cols;
  const Src src(a, r);
  if constexpr (!Out::kCentered) {
    const Moments m = row_sweep<A, Src, Out, true, kNorm, kStream>(src, 0.f, nx, ny, out, n);
    RowStats st;
    st.rstd = float(1.0 / std::sqrt(m.s2 / double(n) + double(a.eps)));
    return st;
  } else {
    float shift = head_shift<A>(src, n);
    Moments m = row_sweep<A, Src, Out, true, kNorm, kStream>(src, shift, nx, ny, out, n);
    if (!shift_is_close(m, n)) {  // |mean - shift| > std, or NaN / Inf: around the mean again
      shift = refined_shift(shift, m, n);
      const PlainRows<A> stored(Src::stored(a, r));
      m = row_sweep<A, PlainRows<A>, Out, true, false>(stored, shift, nullptr, nullptr, Out(), n);
    }
    return finish_stats(shift, m, n, a.eps);
  }
}

// Longest row the pipeline fuses: rows r and r+1 of x and row r of y
// (3 x 8 KB) stay in L1. Longer rows (LayerNorm 4096x4096) measured faster
// one at a time: statistics, then normalize while the row is still in L2.
constexpr int64_t kMaxFusedCols = 2048;

// Rows [r0, r1) through the pipeline (see the top of this file). Taking the
// statistics two rows ahead instead of one (more slack for their serial end)
// measured no faster on LayerNorm 128x768 / 2048x1024. kStream: outputs go
// past the cache with streaming stores (every row of y aligned, no tails).
template <class A, class Src, class Out, bool kStream, class Args>
void run_row_pipeline_as(const Args& a, int64_t r0, int64_t r1) {
  const int64_t n = a.cols;
  const bool fuse = n <= kMaxFusedCols;
  RowStats cur = take_row_stats<A, Src, Out, false>(a, r0, nullptr, nullptr, Out());
  for (int64_t r = r0; r < r1; ++r) {
    const Out out(cur, a.gamma, beta_of(a));
    const float* nx = Src::stored(a, r);
    float* ny = a.y + r * n;
    RowStats next;
    if (r + 1 < r1 && fuse) {
      next = take_row_stats<A, Src, Out, true, Args, kStream>(a, r + 1, nx, ny, out);
    } else {
      row_sweep<A, Src, Out, false, true, kStream>(Src(), 0.f, nx, ny, out, n);
      if (r + 1 < r1) next = take_row_stats<A, Src, Out, false>(a, r + 1, nullptr, nullptr, Out());
    }
    record_stats(a, r, cur);
    cur = next;
  }
  if constexpr (kStream) simd::Vec<A>::stream_fence();
}

// Streaming stores where stream_rows allows them; only for plain rows (the
// residual variants write s, which is read again).
template <class A, class Src, class Out, class Args>
void run_row_pipeline(const Args& a, int64_t r0, int64_t r1) {
  if constexpr (simd::Vec<A>::can_stream && Src::kRereadable) {
    if (stream_rows<A>(a.y, a.cols, a.rows * a.cols)) {
      return run_row_pipeline_as<A, Src, Out, true>(a, r0, r1);
    }
  }
  run_row_pipeline_as<A, Src, Out, false>(a, r0, r1);
}

}  // namespace normrt::ops::detail
