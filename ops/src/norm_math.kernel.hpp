#pragma once
// Building blocks of every normalization kernel, written once over Vec<Arch>.
//
// Statistics use the shifted two-pass scheme (DESIGN.md section 3):
//   pass 1: sum, min and max  -> shift = clamp(sum / n, min, max)
//   pass 2: s1 = sum(x - shift), s2 = sum((x - shift)^2)
//           mean = shift + s1/n, var = s2/n - (s1/n)^2
//   pass 3: y = ((x - shift) - s1/n) * (rstd * gamma) + beta
// x - shift is exact for x near the mean, so rows with a mean of 1e6 and a
// std of 1e-2 keep their digits, and a constant row gives exactly beta
// (its shift is the constant itself: min == max). Lane sums run in fp32 over
// short chunks and are folded into double, so long rows lose nothing either.
#include <cstdint>

#include "norm_math.hpp"
#include "normrt/ops/activation.hpp"
#include "normrt/simd/vec.hpp"

namespace normrt::ops::detail {

// Floats per lane summed in fp32 before a chunk is folded into double.
constexpr int64_t kLaneChunk = 32;

template <class A>
SumMinMax sum_min_max(const float* x, int64_t n) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  constexpr int64_t kChunk = kLaneChunk * 4 * W;
  double total = 0.0;
  R lo = V::splat(std::numeric_limits<float>::infinity());
  R hi = V::splat(-std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + 4 * W <= n;) {
    const int64_t end = std::min(n, i + kChunk);
    R a0 = V::splat(0.f), a1 = V::splat(0.f), a2 = V::splat(0.f), a3 = V::splat(0.f);
    for (; i + 4 * W <= end; i += 4 * W) {
      const R v0 = V::load(x + i), v1 = V::load(x + i + W);
      const R v2 = V::load(x + i + 2 * W), v3 = V::load(x + i + 3 * W);
      a0 = a0 + v0; a1 = a1 + v1; a2 = a2 + v2; a3 = a3 + v3;
      lo = V::min(lo, V::min(V::min(v0, v1), V::min(v2, v3)));
      hi = V::max(hi, V::max(V::max(v0, v1), V::max(v2, v3)));
    }
    total += double(V::sum((a0 + a1) + (a2 + a3)));
  }
  R a = V::splat(0.f);
  for (; i + W <= n; i += W) {
    const R v = V::load(x + i);
    a = a + v;
    lo = V::min(lo, v);
    hi = V::max(hi, v);
  }
  if (i < n) {
    const std::size_t rest = std::size_t(n - i);
    a = a + V::load_tail(x + i, rest, 0.f);
    const R v = V::load_tail(x + i, rest, x[i]);  // a repeated element is neutral
    lo = V::min(lo, v);
    hi = V::max(hi, v);
  }
  total += double(V::sum(a));
  return {total, V::hmin(lo), V::hmax(hi)};
}

// Four vectors per step, eight independent accumulator chains: a chain of
// fmas is latency-bound (4 cycles), so two chains ran at a quarter of the
// FMA throughput (LayerNorm 128x768: pass 2 was 30% of the time).
template <class A>
Moments shifted_moments(const float* x, int64_t n, float shift) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  constexpr int64_t kChunk = kLaneChunk * 4 * W;
  const R s = V::splat(shift);
  double s1 = 0.0, s2 = 0.0;
  int64_t i = 0;
  for (; i + 4 * W <= n;) {
    const int64_t end = std::min(n, i + kChunk);
    R a0 = V::splat(0.f), a1 = V::splat(0.f), a2 = V::splat(0.f), a3 = V::splat(0.f);
    R q0 = V::splat(0.f), q1 = V::splat(0.f), q2 = V::splat(0.f), q3 = V::splat(0.f);
    for (; i + 4 * W <= end; i += 4 * W) {
      const R d0 = V::load(x + i) - s, d1 = V::load(x + i + W) - s;
      const R d2 = V::load(x + i + 2 * W) - s, d3 = V::load(x + i + 3 * W) - s;
      a0 = a0 + d0; a1 = a1 + d1; a2 = a2 + d2; a3 = a3 + d3;
      q0 = V::fma(d0, d0, q0); q1 = V::fma(d1, d1, q1);
      q2 = V::fma(d2, d2, q2); q3 = V::fma(d3, d3, q3);
    }
    s1 += double(V::sum((a0 + a1) + (a2 + a3)));
    s2 += double(V::sum((q0 + q1) + (q2 + q3)));
  }
  R a = V::splat(0.f), q = V::splat(0.f);
  for (; i + W <= n; i += W) {
    const R d = V::load(x + i) - s;
    a = a + d;
    q = V::fma(d, d, q);
  }
  if (i < n) {
    const R d = V::load_tail(x + i, std::size_t(n - i), shift) - s;
    a = a + d;
    q = V::fma(d, d, q);
  }
  s1 += double(V::sum(a));
  s2 += double(V::sum(q));
  return {s1, s2};
}

template <class A, Activation act>
inline typename simd::Vec<A>::reg activate(typename simd::Vec<A>::reg v) {
  using V = simd::Vec<A>;
  if constexpr (act == Activation::relu) {
    // max(0, v), operands in this order: x86 max returns its second operand
    // when either is NaN, so a NaN input stays NaN (NEON and scalar agree).
    return V::max(V::splat(0.f), v);
  } else if constexpr (act == Activation::silu) {
    // v * sigmoid(v) = v / (1 + e^-v) with the fast exp (simd::Vec::silu,
    // <= 4 ulp). SiLU(-inf) = NaN as in the unfused Sigmoid + Mul graph
    // (-inf * 0), SiLU(+inf) = +inf, v < -88.73 gives -0.
    return V::silu(v);
  } else {
    return v;
  }
}

// Whether rows of `cols` floats from y on can all go out with streaming
// stores: every row starts on a vector boundary, so each store is a whole
// aligned vector. (Whether they should is the caller's: stream_output.)
template <class A>
bool stream_rows(const float* y, int64_t cols) {
  using V = simd::Vec<A>;
  constexpr auto W = int64_t(V::width);
  const bool aligned = reinterpret_cast<std::uintptr_t>(y) % (W * sizeof(float)) == 0;
  return V::can_stream && aligned && cols % W == 0;
}

// Elements before y + j is aligned for a streaming store (0 when not streaming).
// Hints `lines` 64-byte lines from pf on into the cache (prefetcht1: L2 and
// up) and moves pf past them. An address, not a pointer: what is prefetched
// may lie past the end of the tensor, and a prefetch of any address never
// faults. The scalar build leaves it to the hardware.
template <class A>
inline void prefetch_lines(std::uintptr_t& pf, int64_t lines) {
  if constexpr (simd::Vec<A>::width > 1) {
    for (int64_t i = 0; i < lines; ++i) {
      __builtin_prefetch(reinterpret_cast<const void*>(pf + 64 * std::uintptr_t(i)), 0, 2);
    }
    pf += 64 * std::uintptr_t(lines);
  }
}

template <class A, bool nt>
int64_t stream_head(const float* y, int64_t n) {
  if constexpr (!nt) {
    return 0;
  } else {
    constexpr auto W = std::uintptr_t(simd::Vec<A>::width);
    const std::uintptr_t lane = (reinterpret_cast<std::uintptr_t>(y) / sizeof(float)) % W;
    return std::min<int64_t>(n, int64_t((W - lane) % W));
  }
}

// A whole output vector: streamed past the cache (nt), or stored.
template <class A, bool nt>
inline void put(float* p, typename simd::Vec<A>::reg v) {
  if constexpr (nt) simd::Vec<A>::stream(p, v); else simd::Vec<A>::store(p, v);
}

// y[j] = act(((x[j] - shift) - corr) * a + b) for one channel's span, as
// act(fma(x[j] - shift, a, b - corr * a)): corr * a is tiny next to the
// output's spread, so folding it into b (in double, rounded once) costs
// nothing measurable and saves an operation a vector.
// nt: whole vectors are streamed past the cache (then fenced); the head
// before y is aligned for that goes through a tail vector.
template <class A, Activation act = Activation::none, bool nt = false>
void normalize_span(const float* x, float* y, int64_t n, float shift, float corr, float a,
                    float b) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  const float b_eff = fold_corr(b, corr, a);
  const R vs = V::splat(shift), va = V::splat(a), vb = V::splat(b_eff);
  auto out = [&](R xv) { return activate<A, act>(V::fma(xv - vs, va, vb)); };
  int64_t j = stream_head<A, nt>(y, n);
  if (j > 0) V::store_tail(y, out(V::load_tail(x, std::size_t(j), shift)), std::size_t(j));
  for (; j + 4 * W <= n; j += 4 * W) {
    const R o0 = out(V::load(x + j)), o1 = out(V::load(x + j + W));
    const R o2 = out(V::load(x + j + 2 * W)), o3 = out(V::load(x + j + 3 * W));
    put<A, nt>(y + j, o0);
    put<A, nt>(y + j + W, o1);
    put<A, nt>(y + j + 2 * W, o2);
    put<A, nt>(y + j + 3 * W, o3);
  }
  for (; j + W <= n; j += W) put<A, nt>(y + j, out(V::load(x + j)));
  if (j < n) {
    const std::size_t m = std::size_t(n - j);
    V::store_tail(y + j, out(V::load_tail(x + j, m, shift)), m);
  }
  if constexpr (nt) V::stream_fence();
}

}  // namespace normrt::ops::detail
