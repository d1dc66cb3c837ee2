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

// lanes[l] += double(v[l]) for the first m lanes. Whole x86 vectors widen
// in registers: GCC turns the lane loop into one scalar convert and add per
// lane, which cost the AVX-512 moments walk a third of its time (16 folds of
// 16 lanes per 32 rows of a 128-channel row).
template <class A>
void fold_lanes(typename simd::Vec<A>::reg v, double* lanes, std::size_t m) {
  using V = simd::Vec<A>;
#if defined(__AVX512F__) && defined(__AVX512DQ__)
  if constexpr (V::width == 16) {
    if (m == 16) {
      const __m512 f = v;
      const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(f));
      const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(f, 1));
      _mm512_storeu_pd(lanes, _mm512_add_pd(_mm512_loadu_pd(lanes), lo));
      _mm512_storeu_pd(lanes + 8, _mm512_add_pd(_mm512_loadu_pd(lanes + 8), hi));
      return;
    }
  }
#endif
#if defined(__AVX__)
  if constexpr (V::width == 8) {
    if (m == 8) {
      const __m256 f = v;
      const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(f));
      const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));
      _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_loadu_pd(lanes), lo));
      _mm256_storeu_pd(lanes + 4, _mm256_add_pd(_mm256_loadu_pd(lanes + 4), hi));
      return;
    }
  }
#endif
  float buf[V::width];
  V::store(buf, v);
  for (std::size_t l = 0; l < m; ++l) lanes[l] += double(buf[l]);
}

// Whole vectors of sums (added to out.sum), minima and maxima go straight
// to the caller's arrays: a SumMinMax per channel written through the stack
// (a scalar loop per lane) made the head shift of a 1280-channel GroupNorm
// NHWC cost more than its data.
template <class A>
void rows_sum_min_max(const float* x, int64_t rows, int64_t c, ChannelSumMinMax out) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  for (int64_t c0 = 0; c0 < c; c0 += W) {
    const auto m = std::size_t(std::min(W, c - c0));
    const float* p = x + c0;
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
      fold_lanes<A>(a0 + a1, out.sum + c0, m);
    }
    store_block<A>(out.min + c0, lo, m);
    store_block<A>(out.max + c0, hi, m);
  }
}

// Moments of `m <= W` channels at p (lanes past m read as the shift).
template <class A>
void rows_moments_block(const float* p, int64_t rows, int64_t c, std::size_t m,
                        const float* shift_in, Moments* out) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  const R s = load_block<A>(shift_in, m);
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
  for (std::size_t l = 0; l < m; ++l) out[l] = merge(out[l], {s1[l], s2[l]});
}

// Moments of rows of exactly K whole vectors of channels, walked linearly
// (the hardware prefetchers follow that), U rows a step: accumulators stay
// in registers; U = 2 keeps eight chains in flight for narrow rows (one
// two-vector column ran at 40 GB/s from L3 with four chains).
template <class A, int K>
void moments_column(const float* x, int64_t rows, const float* shift, Moments* out) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width, c = K * W;
  constexpr int U = K >= 4 ? 1 : 2;
  R h[K];
  for (int k = 0; k < K; ++k) h[k] = V::load(shift + k * W);
  double s1[K * W] = {}, s2[K * W] = {};
  for (int64_t r = 0; r < rows;) {
    const int64_t end = std::min(rows, r + kLaneChunk);
    R a[U][K], q[U][K];
    for (int u = 0; u < U; ++u) {
      for (int k = 0; k < K; ++k) a[u][k] = q[u][k] = V::splat(0.f);
    }
    auto step = [&](int u, const float* row) {
      for (int k = 0; k < K; ++k) {
        const R d = V::load(row + k * W) - h[k];
        a[u][k] = a[u][k] + d;
        q[u][k] = V::fma(d, d, q[u][k]);
      }
    };
    for (; r + U <= end; r += U) {
      for (int u = 0; u < U; ++u) step(u, x + (r + u) * c);
    }
    for (; r < end; ++r) step(0, x + r * c);
    for (int k = 0; k < K; ++k) {
      R sa = a[0][k], sq = q[0][k];
      for (int u = 1; u < U; ++u) { sa = sa + a[u][k]; sq = sq + q[u][k]; }
      fold_lanes<A>(sa, s1 + k * W, W);
      fold_lanes<A>(sq, s2 + k * W, W);
    }
  }
  for (int64_t l = 0; l < c; ++l) out[l] = merge(out[l], {s1[l], s2[l]});
}

// The widest column whose accumulators and shifts fit in registers.
template <class A>
constexpr int max_column_vectors() {
  return simd::Vec<A>::width >= 16 ? 8 : 4;
}

// moments_column for rows of `vectors` <= K whole vectors (K = 0: none).
template <class A, int K>
void moments_narrow(const float* x, int64_t rows, int64_t vectors, const float* shift,
                    Moments* out) {
  if constexpr (K > 0) {
    if (vectors == K) return moments_column<A, K>(x, rows, shift, out);
    moments_narrow<A, K - 1>(x, rows, vectors, shift, out);
  }
}

// Two-vector columns (a 64-byte line of AVX2 floats) walked down the rows
// one after the other, two rows a step: eight independent chains hide the
// fma latency; then one-vector columns for the last < 2W channels. Written
// out: a form generic over the column width (arrays of registers, as
// moments_column) ran 20-40% slower from L3 here (GCC 12, AVX2, C = 320,
// 640). Rows are `stride` floats apart, of which the first c are reduced;
// the next piece (from pf) is prefetched only when the rows are whole. The
// column walk is a strided pattern that the hardware prefetchers of this
// class of core do not follow from DRAM (12 GB/s against 28 GB/s for a
// linear read), so it streams in the next piece, linearly, at the pace it
// consumes this one (GroupNorm NHWC 2x320x96x96 statistics pass 1.6 ->
// 1.0 ms, AVX-512, 1 thread).
template <class A>
void moments_pairs(const float* x, int64_t rows, int64_t stride, int64_t c, const float* shift,
                   Moments* out, std::uintptr_t pf) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  constexpr int64_t kStepLines = std::max<int64_t>(1, 4 * W / 16);  // 2 rows x 2W floats
  const int64_t step_lines = c == stride ? kStepLines : 0;
  int64_t c0 = 0;
  for (; c0 + 2 * W <= c; c0 += 2 * W) {
    const float* p = x + c0;
    const R s0 = V::load(shift + c0), s1v = V::load(shift + c0 + W);
    double s1[2 * W] = {}, s2[2 * W] = {};
    for (int64_t r = 0; r < rows;) {
      const int64_t end = std::min(rows, r + kLaneChunk);
      R a0 = V::splat(0.f), a1 = V::splat(0.f), a2 = V::splat(0.f), a3 = V::splat(0.f);
      R q0 = V::splat(0.f), q1 = V::splat(0.f), q2 = V::splat(0.f), q3 = V::splat(0.f);
      for (; r + 2 <= end; r += 2) {
        const float* p0 = p + r * stride;
        prefetch_lines<A>(pf, step_lines);
        const R d0 = V::load(p0) - s0, d1 = V::load(p0 + W) - s1v;
        const R d2 = V::load(p0 + stride) - s0, d3 = V::load(p0 + stride + W) - s1v;
        a0 = a0 + d0; a1 = a1 + d1; a2 = a2 + d2; a3 = a3 + d3;
        q0 = V::fma(d0, d0, q0); q1 = V::fma(d1, d1, q1);
        q2 = V::fma(d2, d2, q2); q3 = V::fma(d3, d3, q3);
      }
      if (r < end) {
        const R d0 = V::load(p + r * stride) - s0, d1 = V::load(p + r * stride + W) - s1v;
        a0 = a0 + d0; a1 = a1 + d1;
        q0 = V::fma(d0, d0, q0); q1 = V::fma(d1, d1, q1);
        ++r;
      }
      fold_lanes<A>(a0 + a2, s1, W);
      fold_lanes<A>(a1 + a3, s1 + W, W);
      fold_lanes<A>(q0 + q2, s2, W);
      fold_lanes<A>(q1 + q3, s2 + W, W);
    }
    for (int64_t l = 0; l < 2 * W; ++l) out[c0 + l] = merge(out[c0 + l], {s1[l], s2[l]});
  }
  for (; c0 < c; c0 += W) {
    const auto m = std::size_t(std::min(W, c - c0));
    rows_moments_block<A>(x + c0, rows, stride, m, shift + c0, out + c0);
  }
}

// Whether rows of c channels are one linear column (moments_narrow).
template <class A>
bool linear_rows(int64_t c) {
  constexpr int64_t W = simd::Vec<A>::width;
  return c % W == 0 && c / W <= max_column_vectors<A>();
}

// A row that fits one column is walked linearly (AVX-512 C = 128: DRAM-sized
// images 1.5x faster); wider rows go down two-vector columns, which ran
// faster from L3 than wider ones (C = 320, 512, 1280). A range of channels
// of wider rows (c < stride, starting at a multiple of 2W: see
// rows_moments_split) goes down the same columns, so each channel gets the
// same bits as in a call over whole rows.
template <class A>
void rows_moments(const float* x, int64_t rows, int64_t stride, int64_t c, const float* shift,
                  Moments* out) {
  constexpr int64_t W = simd::Vec<A>::width;
  constexpr int K = max_column_vectors<A>();
  if (c == stride && linear_rows<A>(c)) return moments_narrow<A, K>(x, rows, c / W, shift, out);
  const auto next = reinterpret_cast<std::uintptr_t>(x + rows * stride);  // the next piece
  moments_pairs<A>(x, rows, stride, c, shift, out, next);
}

// Channels per block at which rows of c channels may be cut into ranges for
// rows_moments without changing any channel's bits (0: they may not).
template <class A>
int64_t rows_moments_split(int64_t c) {
  return linear_rows<A>(c) ? 0 : 2 * int64_t(simd::Vec<A>::width);
}

// act((x - shift) * a + b): every output of the channels-last pass.
template <class A, Activation act>
typename simd::Vec<A>::reg channel_out(typename simd::Vec<A>::reg x,
                                       typename simd::Vec<A>::reg shift,
                                       typename simd::Vec<A>::reg a,
                                       typename simd::Vec<A>::reg b) {
  return activate<A, act>(simd::Vec<A>::fma(x - shift, a, b));
}

// y[c0, c0 + m) of one row, as partial vectors (m < W).
template <class A, Activation act>
void normalize_part(const float* xr, float* yr, int64_t c0, std::size_t m, const ChannelCoeffs& k) {
  using V = simd::Vec<A>;
  const auto v = channel_out<A, act>(V::load_tail(xr + c0, m), V::load_tail(k.shift + c0, m),
                                     V::load_tail(k.a + c0, m), V::load_tail(k.b + c0, m));
  V::store_tail(yr + c0, v, m);
}

// Four rows a step share each load of a vector of coefficients (4 loads per
// output vector become 1.75): the GroupNorm NHWC output pass ran 1.1-1.3x
// faster from L2/L3. Not for DRAM-sized outputs, where four interleaved
// store streams were up to 1.8x slower (SiLU through the cache,
// 1x128x256x256), nor behind SiLU, which is compute-bound (5-8% slower on
// 1x512x64x64). Returns the rows done (a multiple of 4).
template <class A, Activation act>
int64_t rows_normalize_quads(const float* x, float* y, int64_t rows, int64_t c,
                             const ChannelCoeffs& k, std::uintptr_t& pf, const float* ahead) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width, G = 4;
  const int64_t row_lines = (c + 15) / 16;
  int64_t r = 0;
  for (; r + G <= rows; r += G) {
    const float* x0 = x + r * c;
    float* y0 = y + r * c;
    if (ahead) prefetch_lines<A>(pf, G * row_lines);
    int64_t c0 = 0;
    for (; c0 + W <= c; c0 += W) {
      const R s = V::load(k.shift + c0), a = V::load(k.a + c0), b = V::load(k.b + c0);
      R o[G];
      for (int64_t g = 0; g < G; ++g) {
        o[g] = channel_out<A, act>(V::load(x0 + g * c + c0), s, a, b);
      }
      for (int64_t g = 0; g < G; ++g) V::store(y0 + g * c + c0, o[g]);
    }
    if (c0 < c) {
      for (int64_t g = 0; g < G; ++g) {
        normalize_part<A, act>(x0 + g * c, y0 + g * c, c0, std::size_t(c - c0), k);
      }
    }
  }
  return r;
}

// Row-major, so the output streams; the coefficients stay in L1. After the
// four-row steps of row_quads, row by row: whole vectors two at a time, the
// ends of a row through tail vectors (the channel tail, and with streaming
// stores the head before y is aligned).
// `ahead` (or null): as many floats as x has here, prefetched a row's worth
// per row (the piece a statistics pass reads next, see run_overlapped).
template <class A, Activation act, RowsOutput path>
void rows_normalize_act(const float* x, float* y, int64_t rows, int64_t c,
                        const ChannelCoeffs& k, const float* ahead) {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  constexpr int64_t W = V::width;
  constexpr bool nt = path == RowsOutput::streamed;
  const int64_t row_lines = (c + 15) / 16;
  std::uintptr_t pf = reinterpret_cast<std::uintptr_t>(ahead);
  auto out = [&](R xv, int64_t c0) {
    return channel_out<A, act>(xv, V::load(k.shift + c0), V::load(k.a + c0), V::load(k.b + c0));
  };
  int64_t r = 0;
  if constexpr (path == RowsOutput::row_quads) {
    r = rows_normalize_quads<A, act>(x, y, rows, c, k, pf, ahead);
  }
  for (; r < rows; ++r) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    if (ahead) prefetch_lines<A>(pf, row_lines);
    int64_t c0 = stream_head<A, nt>(yr, c);
    if (c0 > 0) normalize_part<A, act>(xr, yr, 0, std::size_t(c0), k);
    for (; c0 + 2 * W <= c; c0 += 2 * W) {
      const R o0 = out(V::load(xr + c0), c0), o1 = out(V::load(xr + c0 + W), c0 + W);
      put<A, nt>(yr + c0, o0);
      put<A, nt>(yr + c0 + W, o1);
    }
    if (c0 + W <= c) {
      put<A, nt>(yr + c0, out(V::load(xr + c0), c0));
      c0 += W;
    }
    if (c0 < c) normalize_part<A, act>(xr, yr, c0, std::size_t(c - c0), k);
  }
  if constexpr (nt) V::stream_fence();
}

template <class A, Activation act>
void rows_normalize_as(const float* x, float* y, int64_t rows, int64_t c, const ChannelCoeffs& k,
                       RowsOutput path, const float* ahead) {
  switch (path) {
    case RowsOutput::row_quads:
      return rows_normalize_act<A, act, RowsOutput::row_quads>(x, y, rows, c, k, ahead);
    case RowsOutput::streamed:
      if constexpr (simd::Vec<A>::can_stream) {
        return rows_normalize_act<A, act, RowsOutput::streamed>(x, y, rows, c, k, ahead);
      }
      break;
    case RowsOutput::by_row: break;
  }
  rows_normalize_act<A, act, RowsOutput::by_row>(x, y, rows, c, k, ahead);
}

template <class A>
void rows_normalize(const float* x, float* y, int64_t rows, int64_t c, const ChannelCoeffs& k,
                    Activation act, RowsOutput path, const float* ahead) {
  using Act = Activation;
  switch (act) {
    case Act::relu: return rows_normalize_as<A, Act::relu>(x, y, rows, c, k, path, ahead);
    case Act::silu: return rows_normalize_as<A, Act::silu>(x, y, rows, c, k, path, ahead);
    case Act::none: break;
  }
  rows_normalize_as<A, Act::none>(x, y, rows, c, k, path, ahead);
}

}  // namespace normrt::ops::detail
