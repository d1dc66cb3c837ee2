#pragma once
// LRN across channels: y = x / (bias + alpha / size * sum_window x^2)^beta.
// Every window is summed directly, channel by channel in ascending order: no
// running add/subtract that would drift, and NCHW and NHWC add the same
// numbers in the same order (bitwise equal outputs). NCHW keeps a window's
// squares in registers as it walks down the channels; NHWC squares a batch
// of rows into a scratch buffer first. Both work in place.
#include <cstdint>
#include <limits>
#include <vector>

#include "lrn.table.hpp"
#include "norm_math.hpp"
#include "norm_math.kernel.hpp"
#include "normrt/simd/vec.hpp"

namespace normrt::ops::detail {

// Which power the denominator is raised to; the common ones avoid pow.
enum class LrnPower { three_quarters, one, half, general };

struct LrnCoeffs {
  float k;     // alpha / size, rounded once
  float bias;
  float beta;
};

// x / d^beta. The common powers go through V::rsqrt (estimate + Newton,
// about 1 ulp) instead of the divider: d^-0.75 = r * sqrt(r) with
// r = d^-0.5, one sqrt where sqrt(d) * sqrt(sqrt(d)) and a divide ran at a
// third of the speed. d >= bias > 0; an overflowed window sum (|x| > 1e19)
// is held at FLT_MAX, where the Newton step of rsqrt(inf) would give NaN
// (y is then ~0 instead of exactly 0; NaN still passes min's operand order).
template <class A, LrnPower P>
inline typename simd::Vec<A>::reg lrn_divide(typename simd::Vec<A>::reg x,
                                             typename simd::Vec<A>::reg d, float beta) {
  using V = simd::Vec<A>;
  if constexpr (P == LrnPower::three_quarters) {
    const auto r = V::rsqrt(V::min(V::splat(std::numeric_limits<float>::max()), d));
    return x * (r * V::sqrt(r));
  } else if constexpr (P == LrnPower::one) {
    return x / d;
  } else if constexpr (P == LrnPower::half) {
    return x * V::rsqrt(V::min(V::splat(std::numeric_limits<float>::max()), d));
  } else {
    return x / V::pow(d, V::splat(beta));
  }
}

// sq[j] = x[j]^2 for j < n.
template <class A>
void square_span(const float* x, float* sq, int64_t n) {
  using V = simd::Vec<A>;
  constexpr int64_t W = V::width;
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const auto v = V::load(x + j);
    V::store(sq + j, v * v);
  }
  if (j < n) {
    const std::size_t m = std::size_t(n - j);
    const auto v = V::load_tail(x + j, m);
    V::store_tail(sq + j, v * v, m);
  }
}

// y[j] = x[j] / (bias + k * sum_{w < count} sq[w * stride + j])^beta, j < n.
// NCHW: the window's channel planes of a tile (stride = tile); NHWC: a
// zero-padded squared row read at shifted offsets (stride = 1). The squares
// are always read as whole vectors, so sq must be readable up to n rounded
// up to the width (the lanes past n are computed and dropped). nt: streaming
// stores (y + j aligned for every whole vector, n a multiple of the width).
template <class A, LrnPower P, bool nt = false>
void window_divide(const float* x, float* y, int64_t n, const float* sq, int64_t stride,
                   int64_t count, const LrnCoeffs& co) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  const R k = V::splat(co.k), bias = V::splat(co.bias);
  auto denominator = [&](int64_t j) {
    const float* s = sq + j;
    R acc = V::load(s);
    for (int64_t w = 1; w < count; ++w) acc = acc + V::load(s += stride);
    return V::fma(acc, k, bias);
  };
  int64_t j = 0;
  // Four vectors a step: each output is a long dependent chain (window sum,
  // rsqrt and its Newton steps, sqrt), so independent chains must overlap.
  for (; j + 4 * W <= n; j += 4 * W) {
    const float* s = sq + j;
    R a0 = V::load(s), a1 = V::load(s + W), a2 = V::load(s + 2 * W), a3 = V::load(s + 3 * W);
    for (int64_t w = 1; w < count; ++w) {
      s += stride;
      a0 = a0 + V::load(s); a1 = a1 + V::load(s + W);
      a2 = a2 + V::load(s + 2 * W); a3 = a3 + V::load(s + 3 * W);
    }
    const R o0 = lrn_divide<A, P>(V::load(x + j), V::fma(a0, k, bias), co.beta);
    const R o1 = lrn_divide<A, P>(V::load(x + j + W), V::fma(a1, k, bias), co.beta);
    const R o2 = lrn_divide<A, P>(V::load(x + j + 2 * W), V::fma(a2, k, bias), co.beta);
    const R o3 = lrn_divide<A, P>(V::load(x + j + 3 * W), V::fma(a3, k, bias), co.beta);
    put<A, nt>(y + j, o0);
    put<A, nt>(y + j + W, o1);
    put<A, nt>(y + j + 2 * W, o2);
    put<A, nt>(y + j + 3 * W, o3);
  }
  for (; j + W <= n; j += W) put<A, nt>(y + j, lrn_divide<A, P>(V::load(x + j), denominator(j), co.beta));
  if (j < n) {
    const std::size_t m = std::size_t(n - j);
    V::store_tail(y + j, lrn_divide<A, P>(V::load_tail(x + j, m), denominator(j), co.beta), m);
  }
}

// NCHW: one vector of positions walks down the channels. The squares of the
// window (kHalf channels either side) stay in registers and move along, so
// x is read from memory once (again from L1 as the centre kHalf channels
// later) and nothing is stored but y; that replaced squaring every tile
// into a scratch buffer and reading 2 * half + 1 planes of it per output.
// Out-of-range channels hold +0, which adds exactly, so every sum runs over
// its window in ascending channel order as in the NHWC kernel. Each step
// prefetches the line `ahead` floats on in its plane for a later walk (a
// prefetch never faults, also past the end of x or y): see walk_ahead.
template <class A, LrnPower P, int kHalf, bool kFull>
void channel_walk(const float* x, float* y, int64_t c, int64_t plane, std::size_t m,
                  const LrnCoeffs& co, int64_t ahead) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  const R k = V::splat(co.k), bias = V::splat(co.bias);
  auto load = [&](int64_t ch) {
    const float* p = x + ch * plane;
    return kFull ? V::load(p) : V::load_tail(p, m);
  };
  auto square = [&](int64_t ch) {
    if (ch >= c) return V::splat(0.f);
    const R v = load(ch);
    return v * v;
  };
  R w[2 * kHalf + 1];
  for (int i = 0; i < kHalf; ++i) w[i] = V::splat(0.f);
  for (int i = 0; i < kHalf; ++i) w[kHalf + i] = square(i);
  for (int64_t ch = 0; ch < c; ++ch) {
    // A line of this plane for a later walk: a walk touches a new line in
    // every plane, more streams than the hardware prefetcher follows.
    __builtin_prefetch(x + ch * plane + ahead);
    __builtin_prefetch(y + ch * plane + ahead, 1);
    w[2 * kHalf] = square(ch + kHalf);
    R acc = w[0];
    for (int i = 1; i <= 2 * kHalf; ++i) acc = acc + w[i];
    const R out = lrn_divide<A, P>(load(ch), V::fma(acc, k, bias), co.beta);
    if constexpr (kFull) {
      V::store(y + ch * plane, out);
    } else {
      V::store_tail(y + ch * plane, out, m);
    }
    for (int i = 0; i < 2 * kHalf; ++i) w[i] = w[i + 1];
  }
}

// Windows wider than the registers hold: squares of a tile into a scratch
// buffer, then each channel's window summed from it.
template <class A, LrnPower P>
void wide_window_tile(const LrnArgs& a, const LrnCoeffs& co, int64_t base, int64_t len,
                      std::vector<float>& sq) {
  // Tiles are multiples of 16 floats, so whole-vector reads stay in each plane.
  static_assert(16 % simd::Vec<A>::width == 0);
  const int64_t c = a.c, spatial = a.spatial, tile = lrn_tile(c), half = lrn_half_window(a);
  sq.resize(std::size_t(c * tile));
  for (int64_t ch = 0; ch < c; ++ch) square_span<A>(a.x + base + ch * spatial, &sq[std::size_t(ch * tile)], len);
  for (int64_t ch = 0; ch < c; ++ch) {
    const int64_t lo = std::max<int64_t>(0, ch - half), hi = std::min(c - 1, ch + half);
    window_divide<A, P>(a.x + base + ch * spatial, a.y + base + ch * spatial, len,
                        &sq[std::size_t(lo * tile)], tile, hi - lo + 1, co);
  }
}

// How far ahead a walk prefetches. DRAM-sized tensors: four walks, so that
// the misses of ~100 planes are in flight long enough (LRN 16x96x55x55, 1
// thread, Zen 4: AVX-512 4.1-4.3 ms with one walk ahead, 1.8 ms with four;
// 2 threads 1.9-2.4 -> 0.83-0.92 ms). Otherwise the next line, 16 floats:
// further ahead cost the cache-resident shapes 7-15% (AVX2 1x96x55x55 90 ->
// 97 us; AVX-512 at 2 threads 1x256x27x27 28 -> 32 us, prefetches reaching
// into the other thread's tiles).
template <class A>
int64_t walk_ahead(const LrnArgs& a) {
  constexpr auto W = int64_t(simd::Vec<A>::width);
  return stream_output(a.n * a.c * a.spatial) ? std::max<int64_t>(16, 4 * W) : 16;
}

template <class A, LrnPower P, int kHalf>
void walk_tile(const LrnArgs& a, const LrnCoeffs& co, int64_t base, int64_t len,
               int64_t ahead) {
  constexpr auto W = int64_t(simd::Vec<A>::width);
  int64_t j = 0;
  for (; j + W <= len; j += W) {
    channel_walk<A, P, kHalf, true>(a.x + base + j, a.y + base + j, a.c, a.spatial, W, co, ahead);
  }
  if (j < len) {
    channel_walk<A, P, kHalf, false>(a.x + base + j, a.y + base + j, a.c, a.spatial,
                                     std::size_t(len - j), co, ahead);
  }
}

template <class A, LrnPower P>
void lrn_tiles_impl(const LrnArgs& a, const LrnCoeffs& co, int64_t t0, int64_t t1) {
  const int64_t spatial = a.spatial, tile = lrn_tile(a.c), half = lrn_half_window(a);
  const int64_t tiles = (spatial + tile - 1) / tile;
  const int64_t ahead = walk_ahead<A>(a);
  std::vector<float> sq;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t s0 = (t % tiles) * tile, len = std::min(tile, spatial - s0);
    const int64_t base = (t / tiles) * a.c * spatial + s0;
    switch (half) {
      case 0: walk_tile<A, P, 0>(a, co, base, len, ahead); break;
      case 1: walk_tile<A, P, 1>(a, co, base, len, ahead); break;
      case 2: walk_tile<A, P, 2>(a, co, base, len, ahead); break;
      case 3: walk_tile<A, P, 3>(a, co, base, len, ahead); break;
      default: wide_window_tile<A, P>(a, co, base, len, sq);
    }
  }
}

template <class A, LrnPower P, bool nt>
void lrn_rows_as(const LrnArgs& a, const LrnCoeffs& co, int64_t r0, int64_t r1) {
  const int64_t c = a.c, half = lrn_half_window(a);
  // Per row: [half zeros | c squares | half zeros | a vector of slack for
  // whole-vector reads]: channel ch's window starts at pad[ch]. A batch of
  // rows is squared before any is summed: reading a square right after its
  // store, at a shifted offset, cannot be forwarded from the store buffer
  // and stalled every window (NHWC ran 20% slower than NCHW).
  const int64_t stride = c + 2 * half + int64_t(simd::Vec<A>::width);
  const int64_t batch = std::clamp<int64_t>(4096 / stride, 1, 64);
  std::vector<float> pad(std::size_t(stride * batch), 0.f);
  // DRAM-sized x: each batch's outputs prefetch the next batch's rows, so
  // its reads overlap this batch's arithmetic instead of waiting for it
  // (16x96x55x55 AVX-512 1 thread 2.6-3.3 -> 1.7-2.1 ms, 2 threads 1.03-1.23
  // -> 0.92-0.99 ms). From L2/L3 it gained nothing.
  const bool ahead = stream_output(a.n * a.c * a.spatial);
  const int64_t row_lines = (c + 15) / 16;
  for (int64_t b0 = r0; b0 < r1; b0 += batch) {
    const int64_t b1 = std::min(r1, b0 + batch);
    std::uintptr_t next =
        reinterpret_cast<std::uintptr_t>(a.x) + std::uintptr_t(b1 * c) * sizeof(float);
    for (int64_t r = b0; r < b1; ++r) {
      square_span<A>(a.x + r * c, &pad[std::size_t((r - b0) * stride + half)], c);
    }
    for (int64_t r = b0; r < b1; ++r) {
      if (ahead) prefetch_lines<A>(next, row_lines);
      window_divide<A, P, nt>(a.x + r * c, a.y + r * c, c, &pad[std::size_t((r - b0) * stride)],
                              1, 2 * half + 1, co);
    }
  }
  if constexpr (nt) simd::Vec<A>::stream_fence();
}

// Streaming stores where stream_rows allows them.
template <class A, LrnPower P>
void lrn_rows_impl(const LrnArgs& a, const LrnCoeffs& co, int64_t r0, int64_t r1) {
  if constexpr (simd::Vec<A>::can_stream) {
    if (stream_rows<A>(a.y, a.c) && stream_output(a.n * a.c * a.spatial)) {
      return lrn_rows_as<A, P, true>(a, co, r0, r1);
    }
  }
  lrn_rows_as<A, P, false>(a, co, r0, r1);
}

inline LrnCoeffs lrn_coeffs(const LrnArgs& a) {
  return {float(double(a.alpha) / double(a.size)), a.bias, a.beta};
}

template <class A, LrnPower P, Layout L>
void lrn_range(const LrnArgs& a, const LrnCoeffs& co, int64_t b, int64_t e) {
  if constexpr (L == Layout::nchw) {
    lrn_tiles_impl<A, P>(a, co, b, e);
  } else {
    lrn_rows_impl<A, P>(a, co, b, e);
  }
}

// The power is a template parameter, so each loop body is branch-free.
template <class A, Layout L>
void lrn_apply(const LrnArgs& a, int64_t b, int64_t e) {
  const LrnCoeffs co = lrn_coeffs(a);
  if (a.beta == 0.75f) return lrn_range<A, LrnPower::three_quarters, L>(a, co, b, e);
  if (a.beta == 1.0f) return lrn_range<A, LrnPower::one, L>(a, co, b, e);
  if (a.beta == 0.5f) return lrn_range<A, LrnPower::half, L>(a, co, b, e);
  return lrn_range<A, LrnPower::general, L>(a, co, b, e);
}

template <class A>
lrn_kernels make_lrn_kernels() {
  return {&lrn_apply<A, Layout::nchw>, &lrn_apply<A, Layout::nhwc>};
}

}  // namespace normrt::ops::detail
