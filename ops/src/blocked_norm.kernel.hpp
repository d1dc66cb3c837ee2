#pragma once
// Blocked-layout kernels (nchw8c / nchw16c), written once over Vec<Arch>.
//
// A block plane is a span of positions x b floats whose lane coefficients
// repeat every b floats. With P = max(W, b) floats per period (W the vector
// width), every whole vector at offset j sees the same lanes as the vector at
// j % P, so a period is NV = P / W vectors whose coefficients (or
// accumulators) live in registers: on AVX2 an nchw8c position is one vector
// with one fma; on AVX-512 an nchw8c vector covers two positions. Only when
// W > b can a plane end in a partial vector (an odd number of positions).
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "blocked_norm.table.hpp"
#include "lrn.kernel.hpp"
#include "norm_math.kernel.hpp"

namespace normrt::ops::detail {

// The largest period: b <= 16 and W <= 16 on every ISA.
constexpr int64_t kMaxPeriod = 16;

// pattern[i] = lane[i % b] for i < period.
inline void repeat_lanes(const float* lane, int64_t b, int64_t period, float* pattern) {
  for (int64_t i = 0; i < period; ++i) pattern[i] = lane[i % b];
}

// Calls fn(std::integral_constant<int, NV>) for NV = period / W, a power of
// two with NV * W <= kMaxPeriod (only those are instantiated).
template <class A, int NV = 1, class Fn>
void with_vectors_per_period(int64_t period, Fn&& fn) {
  constexpr int64_t W = simd::Vec<A>::width;
  if constexpr (2 * NV * W <= kMaxPeriod) {
    if (period / W > NV) return with_vectors_per_period<A, 2 * NV>(period, fn);
  }
  fn(std::integral_constant<int, NV>{});
}

// ---- Output pass: y = act(((x - shift) - corr) * a + b) per lane.

template <class A, int NV, bool kShifted, Activation act>
void plane_affine_impl(const float* x, float* y, int64_t len, const float* ps, const float* pc,
                       const float* pa, const float* pb) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width, P = NV * W;
  constexpr int U = NV >= 4 ? 1 : 4 / NV;  // periods per iteration: >= 4 vectors in flight
  R vs[NV], vc[NV], va[NV], vb[NV];
  for (int v = 0; v < NV; ++v) {
    va[v] = V::load(pa + v * W);
    vb[v] = V::load(pb + v * W);
    if constexpr (kShifted) {
      vs[v] = V::load(ps + v * W);
      vc[v] = V::load(pc + v * W);
    }
  }
  auto out = [&](R t, int v) {
    if constexpr (kShifted) t = (t - vs[v]) - vc[v];
    return activate<A, act>(V::fma(t, va[v], vb[v]));
  };
  int64_t j = 0;
  for (; j + U * P <= len; j += U * P) {
    R o[U * NV];
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < NV; ++v) o[u * NV + v] = out(V::load(x + j + (u * NV + v) * W), v);
    for (int i = 0; i < U * NV; ++i) V::store(y + j + i * W, o[i]);
  }
  for (; j + P <= len; j += P) {
    for (int v = 0; v < NV; ++v) V::store(y + j + v * W, out(V::load(x + j + v * W), v));
  }
  if (j < len) {  // W > b only: NV == 1 and fewer than W floats are left
    const std::size_t m = std::size_t(len - j);
    V::store_tail(y + j, out(V::load_tail(x + j, m), 0), m);
  }
}

template <class A, bool kShifted, Activation act>
void plane_affine_act(const float* x, float* y, int64_t positions, int64_t b,
                      const BlockCoeffs& k) {
  const int64_t period = std::max<int64_t>(int64_t(simd::Vec<A>::width), b);
  float ps[kMaxPeriod] = {}, pc[kMaxPeriod] = {}, pa[kMaxPeriod], pb[kMaxPeriod];
  repeat_lanes(k.a, b, period, pa);
  repeat_lanes(k.b, b, period, pb);
  if constexpr (kShifted) {
    repeat_lanes(k.shift, b, period, ps);
    repeat_lanes(k.corr, b, period, pc);
  }
  with_vectors_per_period<A>(period, [&](auto nv) {
    plane_affine_impl<A, decltype(nv)::value, kShifted, act>(x, y, positions * b, ps, pc, pa, pb);
  });
}

template <class A, bool kShifted>
void plane_affine_shift(const float* x, float* y, int64_t positions, int64_t b,
                        const BlockCoeffs& k, Activation act) {
  switch (act) {
    case Activation::relu:
      return plane_affine_act<A, kShifted, Activation::relu>(x, y, positions, b, k);
    case Activation::silu:
      return plane_affine_act<A, kShifted, Activation::silu>(x, y, positions, b, k);
    case Activation::none: break;
  }
  plane_affine_act<A, kShifted, Activation::none>(x, y, positions, b, k);
}

// The channel padding lanes are written as 0 whatever x holds there (a
// following oneDNN convolution reads them).
inline void zero_padding_lanes(float* y, int64_t positions, int64_t b, int64_t valid) {
  if (valid >= b) return;
  for (int64_t p = 0; p < positions; ++p) std::fill(y + p * b + valid, y + (p + 1) * b, 0.f);
}

template <class A>
void plane_affine(const float* x, float* y, int64_t positions, int64_t b, int64_t valid,
                  const BlockCoeffs& k, Activation act) {
  if (k.shift != nullptr) {
    plane_affine_shift<A, true>(x, y, positions, b, k, act);
  } else {
    plane_affine_shift<A, false>(x, y, positions, b, k, act);
  }
  zero_padding_lanes(y, positions, b, valid);
}

// ---- Statistics: per-lane shifted two-pass moments of one block plane.

// Pattern lanes (P of them) folded into the b channels they belong to.
struct LaneTotals {
  double sum[kMaxPeriod] = {};
  float lo[kMaxPeriod], hi[kMaxPeriod];
  LaneTotals() {
    std::fill_n(lo, kMaxPeriod, std::numeric_limits<float>::infinity());
    std::fill_n(hi, kMaxPeriod, -std::numeric_limits<float>::infinity());
  }
};

template <class A, int NV>
void lane_add(const typename simd::Vec<A>::reg (&acc)[NV], double* total) {
  using V = simd::Vec<A>;
  constexpr int64_t W = V::width;
  float tmp[NV * W];
  for (int v = 0; v < NV; ++v) V::store(tmp + v * W, acc[v]);
  for (int64_t i = 0; i < NV * W; ++i) total[i] += double(tmp[i]);
}

// Pass 1: per pattern lane, sum (fp32 over kLaneChunk periods, then double),
// min and max.
template <class A, int NV>
void plane_sum_min_max(const float* x, int64_t len, LaneTotals& t) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width, P = NV * W;
  R lo[NV], hi[NV];
  for (int v = 0; v < NV; ++v) {
    lo[v] = V::splat(std::numeric_limits<float>::infinity());
    hi[v] = V::splat(-std::numeric_limits<float>::infinity());
  }
  int64_t j = 0;
  while (j + P <= len) {
    const int64_t end = std::min(len / P * P, j + kLaneChunk * P);
    R acc[NV];
    for (int v = 0; v < NV; ++v) acc[v] = V::splat(0.f);
    for (; j < end; j += P) {
      for (int v = 0; v < NV; ++v) {
        const R xv = V::load(x + j + v * W);
        acc[v] = acc[v] + xv;
        lo[v] = V::min(lo[v], xv);
        hi[v] = V::max(hi[v], xv);
      }
    }
    lane_add<A, NV>(acc, t.sum);
  }
  if (j < len) {  // W > b only: a partial vector; neutral fills
    const std::size_t m = std::size_t(len - j);
    R acc[NV];
    for (int v = 0; v < NV; ++v) acc[v] = V::splat(0.f);
    acc[0] = V::load_tail(x + j, m, 0.f);
    lane_add<A, NV>(acc, t.sum);
    lo[0] = V::min(lo[0], V::load_tail(x + j, m, std::numeric_limits<float>::infinity()));
    hi[0] = V::max(hi[0], V::load_tail(x + j, m, -std::numeric_limits<float>::infinity()));
  }
  float tmp[P];
  for (int v = 0; v < NV; ++v) V::store(tmp + v * W, lo[v]);
  for (int64_t i = 0; i < P; ++i) t.lo[i] = std::min(t.lo[i], tmp[i]);
  for (int v = 0; v < NV; ++v) V::store(tmp + v * W, hi[v]);
  for (int64_t i = 0; i < P; ++i) t.hi[i] = std::max(t.hi[i], tmp[i]);
}

// Pass 2: per pattern lane, s1 = sum(x - shift), s2 = sum((x - shift)^2).
template <class A, int NV>
void plane_moments(const float* x, int64_t len, const float* pshift, double* s1, double* s2) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width, P = NV * W;
  R vs[NV];
  for (int v = 0; v < NV; ++v) vs[v] = V::load(pshift + v * W);
  int64_t j = 0;
  while (j + P <= len) {
    const int64_t end = std::min(len / P * P, j + kLaneChunk * P);
    R a[NV], q[NV];
    for (int v = 0; v < NV; ++v) a[v] = q[v] = V::splat(0.f);
    for (; j < end; j += P) {
      for (int v = 0; v < NV; ++v) {
        const R d = V::load(x + j + v * W) - vs[v];
        a[v] = a[v] + d;
        q[v] = V::fma(d, d, q[v]);
      }
    }
    lane_add<A, NV>(a, s1);
    lane_add<A, NV>(q, s2);
  }
  if (j < len) {  // the tail lanes read 0 - 0
    const std::size_t m = std::size_t(len - j);
    const R d = V::load_tail(x + j, m) - V::load_tail(pshift, m);
    R a[NV], q[NV];
    for (int v = 0; v < NV; ++v) a[v] = q[v] = V::splat(0.f);
    a[0] = d;
    q[0] = d * d;
    lane_add<A, NV>(a, s1);
    lane_add<A, NV>(q, s2);
  }
}

template <class A>
void plane_stats(const float* x, int64_t positions, int64_t b, int64_t valid,
                 ChannelPartial* out) {
  const int64_t period = std::max<int64_t>(int64_t(simd::Vec<A>::width), b);
  const int64_t len = positions * b;
  LaneTotals t;
  with_vectors_per_period<A>(period, [&](auto nv) {
    plane_sum_min_max<A, decltype(nv)::value>(x, len, t);
  });
  // Fold the pattern lanes into channels: shift = clamped pass-1 mean.
  float shift[kMaxPeriod];
  for (int64_t l = 0; l < b; ++l) {
    SumMinMax c;
    for (int64_t i = l; i < period; i += b) c = merge(c, SumMinMax{t.sum[i], t.lo[i], t.hi[i]});
    shift[l] = shift_from(c, positions);
    if (l < valid) {
      out[l].min = c.min;
      out[l].max = c.max;
    }
  }
  float pshift[kMaxPeriod];
  repeat_lanes(shift, b, period, pshift);
  double s1[kMaxPeriod] = {}, s2[kMaxPeriod] = {};
  with_vectors_per_period<A>(period, [&](auto nv) {
    plane_moments<A, decltype(nv)::value>(x, len, pshift, s1, s2);
  });
  for (int64_t l = 0; l < valid; ++l) {
    Moments m;
    for (int64_t i = l; i < period; i += b) m = merge(m, Moments{s1[i], s2[i]});
    const double corr = m.s1 / double(positions);
    out[l].mean = double(shift[l]) + corr;
    const double m2 = m.s2 - m.s1 * corr;
    out[l].m2 = std::isnan(m2) ? m2 : std::max(m2, 0.0);
  }
}

// ---- LRN: each position's channels are gathered into one contiguous row,
// which the channels-last LRN kernels of lrn.kernel.hpp then process.

template <class A, LrnPower P>
void lrn_positions_impl(const LrnArgs& a, const LrnCoeffs& co, int64_t p0, int64_t p1) {
  constexpr int64_t W = simd::Vec<A>::width;
  const int64_t b = channel_block(a.layout), blocks = (a.c + b - 1) / b;
  const int64_t half = lrn_half_window(a), plane = a.spatial * b;
  std::vector<float> row(std::size_t(blocks * b + W)), res(row.size());
  // [half zeros | c squares | half zeros | slack for whole-vector reads]
  std::vector<float> pad(std::size_t(a.c + 2 * half + W), 0.f);
  const std::size_t block_bytes = std::size_t(b) * sizeof(float);
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t at = (p / a.spatial) * blocks * plane + (p % a.spatial) * b;
    for (int64_t k = 0; k < blocks; ++k) {
      std::memcpy(&row[std::size_t(k * b)], a.x + at + k * plane, block_bytes);
    }
    square_span<A>(row.data(), &pad[std::size_t(half)], a.c);
    window_divide<A, P>(row.data(), res.data(), a.c, pad.data(), 1, 2 * half + 1, co);
    std::fill(res.begin() + a.c, res.begin() + blocks * b, 0.f);
    for (int64_t k = 0; k < blocks; ++k) {
      std::memcpy(a.y + at + k * plane, &res[std::size_t(k * b)], block_bytes);
    }
  }
}

template <class A>
void lrn_positions(const LrnArgs& a, int64_t p0, int64_t p1) {
  const LrnCoeffs co = lrn_coeffs(a);
  if (a.beta == 0.75f) return lrn_positions_impl<A, LrnPower::three_quarters>(a, co, p0, p1);
  if (a.beta == 1.0f) return lrn_positions_impl<A, LrnPower::one>(a, co, p0, p1);
  if (a.beta == 0.5f) return lrn_positions_impl<A, LrnPower::half>(a, co, p0, p1);
  return lrn_positions_impl<A, LrnPower::general>(a, co, p0, p1);
}

template <class A>
blocked_norm_kernels make_blocked_norm_kernels() {
  return {&plane_affine<A>, &plane_stats<A>, &lrn_positions<A>};
}

}  // namespace normrt::ops::detail
