#pragma once
// Channels-last (NHWC) building blocks, written once over Vec<Arch>: `rows`
// positions of `c` contiguous channels. Lanes run over channels, the loop
// over positions: each block of W channels keeps its accumulators in
// registers, sums at most kLaneChunk positions per lane in fp32 and folds
// them into double, like norm_math.kernel.hpp does along a row.
#include "group_norm.table.hpp"
#include "norm_math.kernel.hpp"

namespace normrt::ops::detail {

// A block of `m <= W` channels starting at p; lanes past m read 0 and are
// never reported.
template <class A>
typename simd::Vec<A>::reg load_block(const float* p, std::size_t m) {
  using V = simd::Vec<A>;
  return m == V::width ? V::load(p) : V::load_tail(p, m, 0.f);
}

template <class A>
void store_block(float* p, typename simd::Vec<A>::reg v, std::size_t m) {
  using V = simd::Vec<A>;
  if (m == V::width) V::store(p, v); else V::store_tail(p, v, m);
}

// lanes[l] += double(v[l]) for the first m lanes.
template <class A>
void fold_lanes(typename simd::Vec<A>::reg v, double* lanes, std::size_t m) {
  using V = simd::Vec<A>;
  float buf[V::width];
  V::store(buf, v);
  for (std::size_t l = 0; l < m; ++l) lanes[l] += double(buf[l]);
}

template <class A>
void rows_sum_min_max(const float* x, int64_t rows, int64_t c, SumMinMax* out) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  for (int64_t c0 = 0; c0 < c; c0 += W) {
    const auto m = std::size_t(std::min(W, c - c0));
    const float* p = x + c0;
    double sum[W] = {};
    R lo = V::splat(std::numeric_limits<float>::infinity());
    R hi = V::splat(-std::numeric_limits<float>::infinity());
    for (int64_t r = 0; r < rows;) {
      const int64_t end = std::min(rows, r + kLaneChunk);
      R a0 = V::splat(0.f), a1 = V::splat(0.f);
      for (; r + 2 <= end; r += 2) {
        const R v0 = load_block<A>(p + r * c, m), v1 = load_block<A>(p + (r + 1) * c, m);
        a0 = a0 + v0; a1 = a1 + v1;
        lo = V::min(lo, V::min(v0, v1));
        hi = V::max(hi, V::max(v0, v1));
      }
      if (r < end) {
        const R v = load_block<A>(p + r * c, m);
        a0 = a0 + v;
        lo = V::min(lo, v);
        hi = V::max(hi, v);
        ++r;
      }
      fold_lanes<A>(a0 + a1, sum, m);
    }
    float mn[W], mx[W];
    V::store(mn, lo);
    V::store(mx, hi);
    for (std::size_t l = 0; l < m; ++l) out[c0 + int64_t(l)] = {sum[l], mn[l], mx[l]};
  }
}

// Four rows a step, four independent chains each for s1 and s2: with two
// chains the fma latency held a block to half a vector a cycle (GroupNorm
// NHWC ran at 60% of NCHW's speed).
template <class A>
void rows_moments(const float* x, int64_t rows, int64_t c, const float* shift, Moments* out) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  for (int64_t c0 = 0; c0 < c; c0 += W) {
    const auto m = std::size_t(std::min(W, c - c0));
    const float* p = x + c0;
    const R s = load_block<A>(shift + c0, m);
    auto d = [&](int64_t r) { return load_block<A>(p + r * c, m) - s; };
    double s1[W] = {}, s2[W] = {};
    for (int64_t r = 0; r < rows;) {
      const int64_t end = std::min(rows, r + kLaneChunk);
      R a0 = V::splat(0.f), a1 = V::splat(0.f), a2 = V::splat(0.f), a3 = V::splat(0.f);
      R q0 = V::splat(0.f), q1 = V::splat(0.f), q2 = V::splat(0.f), q3 = V::splat(0.f);
      for (; r + 4 <= end; r += 4) {
        const R d0 = d(r), d1 = d(r + 1), d2 = d(r + 2), d3 = d(r + 3);
        a0 = a0 + d0; a1 = a1 + d1; a2 = a2 + d2; a3 = a3 + d3;
        q0 = V::fma(d0, d0, q0); q1 = V::fma(d1, d1, q1);
        q2 = V::fma(d2, d2, q2); q3 = V::fma(d3, d3, q3);
      }
      for (; r < end; ++r) {
        const R d0 = d(r);
        a0 = a0 + d0;
        q0 = V::fma(d0, d0, q0);
      }
      fold_lanes<A>((a0 + a1) + (a2 + a3), s1, m);
      fold_lanes<A>((q0 + q1) + (q2 + q3), s2, m);
    }
    for (std::size_t l = 0; l < m; ++l) out[c0 + int64_t(l)] = {s1[l], s2[l]};
  }
}

// Row-major, so the output streams; the coefficients stay in L1.
template <class A, Activation act>
void rows_normalize_act(const float* x, float* y, int64_t rows, int64_t c,
                        const ChannelCoeffs& k) {
  using V = simd::Vec<A>;
  constexpr int64_t W = V::width;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (int64_t c0 = 0; c0 < c; c0 += W) {
      const auto m = std::size_t(std::min(W, c - c0));
      const auto d = load_block<A>(xr + c0, m) - load_block<A>(k.shift + c0, m);
      const auto v = V::fma(d, load_block<A>(k.a + c0, m), load_block<A>(k.b + c0, m));
      store_block<A>(yr + c0, activate<A, act>(v), m);
    }
  }
}

template <class A>
void rows_normalize(const float* x, float* y, int64_t rows, int64_t c, const ChannelCoeffs& k,
                    Activation act) {
  switch (act) {
    case Activation::relu: return rows_normalize_act<A, Activation::relu>(x, y, rows, c, k);
    case Activation::silu: return rows_normalize_act<A, Activation::silu>(x, y, rows, c, k);
    case Activation::none: break;
  }
  rows_normalize_act<A, Activation::none>(x, y, rows, c, k);
}

}  // namespace normrt::ops::detail
