#pragma once
// LayerNorm over the channels of NCHW (ConvNeXt): the statistics of every
// position run down the strided channel axis, so positions are the vector
// lanes. A block of up to four vectors of positions x C channels (96 x 4 x 8
// floats = 12 KB for ConvNeXt on AVX2) stays in L1 between the passes.
//
// Numerics follow norm_math per lane: moments around a per-lane shift (the
// mean of the first four channels taken around channel 0, so a position whose
// channels are all equal gets exactly beta), fp32 partial sums of kLaneChunk
// channels, and a second moments pass around the refined shift when any lane's
// shift was not within a std of its mean (or a lane is NaN / Inf).
#include "exact_fma.kernel.hpp"
#include "norm_math.kernel.hpp"
#include "row_norm.table.hpp"

namespace normrt::ops::detail {

// kV vectors of positions starting at x (channel 0 of one image), the last
// vector holding m lanes.
template <class A, int kV>
void channel_ln_block(const ChannelLayerNormArgs& a, const float* x, float* y, float* mean_out,
                      float* rstd_out, std::size_t m) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr std::size_t W = V::width;
  const int64_t C = a.c, hw = a.spatial;
  const bool part = m != W;
  auto ld = [&](const float* p, int v) {
    return (part && v == kV - 1) ? V::load_tail(p + v * W, m) : V::load(p + v * W);
  };
  auto st = [&](float* p, int v, R r) {
    if (part && v == kV - 1) {
      V::store_tail(p + v * W, r, m);
    } else {
      V::store(p + v * W, r);
    }
  };

  R shift[kV], s1[kV], s2[kV];
  {
    const int64_t h = std::min<int64_t>(C, 4);
    R v0[kV], acc[kV];
    for (int v = 0; v < kV; ++v) v0[v] = ld(x, v), acc[v] = V::splat(0.f);
    for (int64_t c = 1; c < h; ++c) {
      for (int v = 0; v < kV; ++v) acc[v] = acc[v] + (ld(x + c * hw, v) - v0[v]);
    }
    for (int v = 0; v < kV; ++v) shift[v] = v0[v] + acc[v] / V::splat(float(h));
  }
  auto moments = [&] {
    for (int v = 0; v < kV; ++v) s1[v] = s2[v] = V::splat(0.f);
    for (int64_t c0 = 0; c0 < C; c0 += kLaneChunk) {
      R pa[kV], pq[kV];
      for (int v = 0; v < kV; ++v) pa[v] = pq[v] = V::splat(0.f);
      const int64_t c1 = std::min(C, c0 + kLaneChunk);
      for (int64_t c = c0; c < c1; ++c) {
        for (int v = 0; v < kV; ++v) {
          const R d = ld(x + c * hw, v) - shift[v];
          pa[v] = pa[v] + d;
          pq[v] = exact_fma<A>(d, d, pq[v]);
        }
      }
      for (int v = 0; v < kV; ++v) s1[v] = s1[v] + pa[v], s2[v] = s2[v] + pq[v];
    }
  };
  const R fc = V::splat(float(C));
  R corr[kV], var[kV];
  // Lanes whose shift was more than a std away from the mean (or NaN):
  // sum(max(0, corr^2 - var)) is then positive or NaN.
  auto finish = [&] {
    R bad = V::splat(0.f);
    for (int v = 0; v < kV; ++v) {
      corr[v] = s1[v] / fc;
      const R c2 = corr[v] * corr[v];
      var[v] = s2[v] / fc - c2;
      bad = bad + V::max(V::splat(0.f), c2 - var[v]);
    }
    return !(V::sum(bad) <= 0.f);
  };
  moments();
  if (finish()) {
    for (int v = 0; v < kV; ++v) shift[v] = shift[v] + corr[v];
    moments();
    finish();
  }
  R rstd[kV], ncr[kV];
  const R eps = V::splat(a.eps), one = V::splat(1.f);
  for (int v = 0; v < kV; ++v) {
    rstd[v] = one / V::sqrt(V::max(V::splat(0.f), var[v]) + eps);  // NaN stays NaN
    ncr[v] = V::splat(0.f) - corr[v] * rstd[v];
    if (mean_out) st(mean_out, v, shift[v] + corr[v]);
    if (rstd_out) st(rstd_out, v, rstd[v]);
  }
  for (int64_t c = 0; c < C; ++c) {
    const R g = V::splat(a.gamma ? a.gamma[c] : 1.f), b = V::splat(a.beta ? a.beta[c] : 0.f);
    for (int v = 0; v < kV; ++v) {
      const R t = exact_fma<A>(ld(x + c * hw, v) - shift[v], rstd[v], ncr[v]);
      st(y + c * hw, v, exact_fma<A>(t, g, b));
    }
  }
}

template <class A>
void channel_layer_norm_blocks(const ChannelLayerNormArgs& a, int64_t t0, int64_t t1) {
  constexpr int64_t W = simd::Vec<A>::width;
  const int64_t hw = a.spatial;
  const int64_t per_image = (hw + kChannelTaskPositions - 1) / kChannelTaskPositions;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t img = t / per_image;
    const int64_t p1 = std::min(hw, (t % per_image + 1) * kChannelTaskPositions);
    int64_t p = (t % per_image) * kChannelTaskPositions;
    auto block = [&](auto kv, std::size_t m) {
      const int64_t at = img * hw + p;
      channel_ln_block<A, decltype(kv)::value>(a, a.x + img * a.c * hw + p,
                                               a.y + img * a.c * hw + p,
                                               a.mean ? a.mean + at : nullptr,
                                               a.inv_std_dev ? a.inv_std_dev + at : nullptr, m);
    };
    for (; p + 4 * W <= p1; p += 4 * W) block(std::integral_constant<int, 4>{}, std::size_t(W));
    for (; p + W <= p1; p += W) block(std::integral_constant<int, 1>{}, std::size_t(W));
    if (p < p1) block(std::integral_constant<int, 1>{}, std::size_t(p1 - p));
  }
}

}  // namespace normrt::ops::detail
