#pragma once
// BatchNorm inference is a pure stream: one fma per element (plus the
// epilogue). The loops below move four vectors per iteration so that loads,
// fmas and stores of independent vectors overlap.
#include "batch_norm.table.hpp"
#include "norm_math.kernel.hpp"

namespace normrt::ops::detail {

// The last n < W elements, one at a time: a tail vector assembled through
// memory costs more than a few scalar fmas, and spans are short (NHWC rows
// of C = 17, NCHW planes shorter than a vector). Only vector ISAs get here, and they all have a hardware fma.
template <Activation act>
inline float affine_one(float x, float a, float b) {
  return activate<simd::scalar_arch, act>(std::fma(x, a, b));
}

// y[i] = out(i) for the whole vectors from j on that end by `end`, four at
// a time; returns the index after the last (fewer than a vector left).
// Always inlined: left to GCC, the 7x7 sweep called it out of line
// (BatchNorm NCHW 1x2048x7x7 AVX-512 11 -> 19 us).
template <class A, bool nt, class Out>
[[gnu::always_inline]] inline int64_t put_vectors(float* y, int64_t j, int64_t end,
                                                 const Out& out) {
  using R = typename simd::Vec<A>::reg;
  constexpr int64_t W = simd::Vec<A>::width;
  for (; j + 4 * W <= end; j += 4 * W) {
    const R o0 = out(j), o1 = out(j + W), o2 = out(j + 2 * W), o3 = out(j + 3 * W);
    put<A, nt>(y + j, o0);
    put<A, nt>(y + j + W, o1);
    put<A, nt>(y + j + 2 * W, o2);
    put<A, nt>(y + j + 3 * W, o3);
  }
  for (; j + W <= end; j += W) put<A, nt>(y + j, out(j));
  return j;
}

// y[j] = act(x[j] * a + b): one channel's span, scalar scale and shift.
template <class A, Activation act, bool nt>
void affine_span(const float* x, float* y, int64_t n, float a, float b) {
  using V = simd::Vec<A>;
  const auto va = V::splat(a), vb = V::splat(b);
  int64_t j = stream_head<A, nt>(y, n);
  for (int64_t i = 0; i < j; ++i) y[i] = affine_one<act>(x[i], a, b);
  j = put_vectors<A, nt>(y, j, n, [&](int64_t i) {
    return activate<A, act>(V::fma(V::load(x + i), va, vb));
  });
  for (; j < n; ++j) y[j] = affine_one<act>(x[j], a, b);
}

// y[j] = act(x[j] * a[j] + b[j]): one position's channels, per-channel scale
// and shift read from the (L1-resident) parameter arrays.
template <class A, Activation act, bool nt>
void affine_channels(const float* x, float* y, int64_t n, const float* a, const float* b) {
  using V = simd::Vec<A>;
  auto out = [&](int64_t j) {
    return activate<A, act>(V::fma(V::load(x + j), V::load(a + j), V::load(b + j)));
  };
  int64_t j = stream_head<A, nt>(y, n);
  for (int64_t i = 0; i < j; ++i) y[i] = affine_one<act>(x[i], a[i], b[i]);
  j = put_vectors<A, nt>(y, j, n, out);
  for (; j < n; ++j) y[j] = affine_one<act>(x[j], a[j], b[j]);
}

// Lane numbers, for the lane masks of flat_planes. Not inline: g++ emits
// inline variables as unique globals, which the per-ISA objects could not
// localize.
alignas(64) constexpr float kLaneIndex[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// NCHW planes [p0, p1) of at least a vector each as one flat sweep over
// x and y: whole vectors inside a plane use its scale and shift; a vector
// across a plane boundary blends the two planes' by lane (a plane is at
// least a vector long, so a vector meets at most two). The vectors follow
// y's alignment, not the planes', so every store but the range's first and
// last is a whole aligned vector: the sweep can stream any plane size (per
// plane, a 14x14 plane's ends shared lines with its neighbours'), and short
// planes lose their per-plane set-up and scalar ends (7x7 = 49 floats on
// AVX-512: three vectors and a scalar a plane ran at 60-70% of the L3
// roofline, NHWC at 90%). Every element goes through the vector path, the
// range's ends as partial vectors, so each gets the same arithmetic wherever
// a thread's range starts: bitwise equal results for any thread count.
template <class A, Activation act, bool nt>
void flat_planes(const BatchNormArgs& a, int64_t p0, int64_t p1) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  static_assert(W <= 16);
  const int64_t s = a.spatial, n = (p1 - p0) * s;
  const float* x = a.x + p0 * s;
  float* y = a.y + p0 * s;
  const R lane = V::load(kLaneIndex);
  int64_t ch = p0 % a.c, off = 0;  // the plane of element j, j's place in it
  auto next_channel = [&] { return ch + 1 == a.c ? 0 : ch + 1; };
  // m <= W elements from j, lane k in plane ch while off + k < s, else in the
  // next one; j moves on by m.
  int64_t j = 0;
  auto blended = [&](std::size_t m) {
    const int64_t next = next_channel();
    const auto here = lane < V::splat(float(s - off));
    const R va = xsimd::select(here, V::splat(a.scale[ch]), V::splat(a.scale[next]));
    const R vb = xsimd::select(here, V::splat(a.shift[ch]), V::splat(a.shift[next]));
    if (m == std::size_t(W)) {
      put<A, nt>(y + j, activate<A, act>(V::fma(V::load(x + j), va, vb)));
    } else {
      V::store_tail(y + j, activate<A, act>(V::fma(V::load_tail(x + j, m), va, vb)), m);
    }
    j += int64_t(m);
    off += int64_t(m);
    if (off >= s) {
      off -= s;
      ch = next;
    }
  };
  // Up to y's alignment (the head of a streamed range, else of AVX-512's
  // loads and stores), then whole vectors.
  const auto lane0 = (reinterpret_cast<std::uintptr_t>(y) / sizeof(float)) % std::uintptr_t(W);
  const int64_t head = std::min<int64_t>(n, int64_t((W - int64_t(lane0)) % W));
  if (head > 0) blended(std::size_t(head));
  while (j + W <= n) {
    // Whole vectors inside plane ch, four at a time, then one across the
    // boundary.
    const int64_t inside = std::min(s - off, n - j) / W;
    const R va = V::splat(a.scale[ch]), vb = V::splat(a.shift[ch]);
    const auto out = [&](int64_t i) { return activate<A, act>(V::fma(V::load(x + i), va, vb)); };
    j = put_vectors<A, nt>(y, j, j + inside * W, out);
    off += inside * W;
    if (off == s) {
      off = 0;
      ch = next_channel();
    } else if (j + W <= n) {
      blended(std::size_t(W));
    }
  }
  if (j < n) blended(std::size_t(n - j));
  if constexpr (nt) V::stream_fence();
}

// NCHW planes [b, e) (one scale per plane) or NHWC positions [b, e) (a
// vector of scales per position).
template <class A, Activation act, Layout L, bool nt>
void bn_range(const BatchNormArgs& a, int64_t b, int64_t e) {
  if constexpr (L == Layout::nchw && simd::Vec<A>::width > 1) {
    if (a.spatial >= int64_t(simd::Vec<A>::width)) return flat_planes<A, act, nt>(a, b, e);
  }
  for (int64_t t = b; t < e; ++t) {
    if constexpr (L == Layout::nchw) {
      const int64_t ch = t % a.c;
      affine_span<A, act, nt>(a.x + t * a.spatial, a.y + t * a.spatial, a.spatial, a.scale[ch],
                              a.shift[ch]);
    } else {
      affine_channels<A, act, nt>(a.x + t * a.c, a.y + t * a.c, a.c, a.scale, a.shift);
    }
  }
  if constexpr (nt) simd::Vec<A>::stream_fence();
}

template <class A, Layout L, bool nt>
void bn_apply_as(const BatchNormArgs& a, int64_t b, int64_t e) {
  switch (a.act) {
    case Activation::relu: return bn_range<A, Activation::relu, L, nt>(a, b, e);
    case Activation::silu: return bn_range<A, Activation::silu, L, nt>(a, b, e);
    default: return bn_range<A, Activation::none, L, nt>(a, b, e);
  }
}

// The epilogue and the store are template parameters, so each loop body is
// branch-free.
template <class A, Layout L>
void bn_apply(const BatchNormArgs& a, int64_t b, int64_t e, bool stream) {
  if (stream && simd::Vec<A>::can_stream) return bn_apply_as<A, L, true>(a, b, e);
  bn_apply_as<A, L, false>(a, b, e);
}

template <class A>
batch_norm_kernels make_batch_norm_kernels() {
  return {&bn_apply<A, Layout::nchw>, &bn_apply<A, Layout::nhwc>};
}

}  // namespace normrt::ops::detail
