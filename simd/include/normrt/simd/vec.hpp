#pragma once
// The vector vocabulary kernel bodies are written in. Vec<Arch> wraps
// xsimd::batch<float, Arch>; Vec<scalar_arch> is the same interface on a plain
// float, so every kernel body also compiles to the portable scalar path
// (xsimd 8.1 has no scalar batch type).
//
// Include this only from kernel headers (ops/src/*.kernel.hpp): everything
// here is inline and is compiled once per ISA, in that ISA's translation units.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>  // every ISA's intrinsics are declared; each is used only where its Arch is
#endif

namespace normrt::simd {

// Fast exp. Every path has the same contract (tests/ops/vec_math_test.cpp
// checks it against std::exp in double): <= 2 ulp for x in [-87.33, 88.37];
// +inf from x = 88.7229 (128 ln2) up, where e^x overflows (between 88.37 and
// 88.72 either e^x within 2 ulp or +inf); below -87.34 (ln FLT_MIN) a value
// in [0, FLT_MIN]; NaN stays NaN. exp_signed<-1>(x) = e^-x folds SiLU's
// negation into the constants.
//
// Portable path (scalar, NEON, SSE): Cody-Waite range reduction x = n ln2 + r
// (|r| <= ln2 / 2; ln2 split in a 9-bit head, so n * head is exact) and
// Cephes' degree-6 polynomial for e^r, then 2^n put into the exponent bits.
// n comes from the 1.5 * 2^23 trick: fma(x, log2e, 1.5 * 2^23 + 127) rounds
// x log2e to an integer, and n + 127 (the biased exponent of 2^n) then sits
// in the low mantissa bits of t, so t << 23 is 2^n. x is clamped
// to [ln FLT_MIN, 128 ln2] first: n = 128 makes the exponent field all ones,
// so 2^n is exactly +inf, and n >= -126 keeps 2^n a normal number.
struct FastExp {
  static constexpr float hi = 88.7228394f;  // 128 ln2 (rounded up): n = 128, 2^n = +inf
  static constexpr float lo = -87.3365447505531f;  // ln(FLT_MIN): n >= -126
  static constexpr float log2e = 1.44269504088896341f;
  static constexpr float magic = 12583039.0f;  // 1.5 * 2^23 + 127 (the exponent bias)
  static constexpr float ln2_hi = 0.693359375f;
  static constexpr float ln2_lo = -2.12194440e-4f;
  static constexpr float p0 = 1.9875691500e-4f, p1 = 1.3981999507e-3f, p2 = 8.3334519073e-3f,
                         p3 = 4.1665795894e-2f, p4 = 1.6666665459e-1f, p5 = 5.0000001201e-1f;

  // sign * x clamped into [lo, hi] (NaN passes: x86 min/max return their
  // second operand when either is NaN).
  template <class V, int sign>
  static typename V::reg clamp(typename V::reg x) {
    if constexpr (sign > 0) return V::max(V::splat(lo), V::min(V::splat(hi), x));
    return V::max(V::splat(-hi), V::min(V::splat(-lo), x));
  }

  // a * b + sign * c
  template <class V, int sign>
  static typename V::reg fma_signed(typename V::reg a, typename V::reg b, typename V::reg c) {
    if constexpr (sign > 0) return V::fma(a, b, c);
    return V::fms(a, b, c);
  }

  // e^r for the reduced r of e^(sign * x) (of V, a Vec), and t, whose low
  // bits hold n. Works on u = sign * r, so the odd coefficients carry the sign.
  template <class V, int sign>
  static typename V::reg reduced(typename V::reg x, typename V::reg& t) {
    using R = typename V::reg;
    constexpr float s = float(sign);
    const R xc = clamp<V, sign>(x);
    t = V::fma(xc, V::splat(s * log2e), V::splat(magic));
    const R n = t - V::splat(magic);
    R u = V::fma(n, V::splat(-s * ln2_hi), xc);
    u = V::fma(n, V::splat(-s * ln2_lo), u);
    R p = V::fma(V::splat(s * p0), u, V::splat(p1));
    p = V::fma(p, u, V::splat(s * p2));
    p = V::fma(p, u, V::splat(p3));
    p = V::fma(p, u, V::splat(s * p4));
    p = V::fma(p, u, V::splat(p5));
    return fma_signed<V, sign>(p, u * u, u) + V::splat(1.f);
  }
};

// The x86 vector paths: a table of 2^(j/N) takes the place of most of the
// polynomial, so e^r only needs a cubic (|r| <= ln2 / 2N): three FMAs fewer
// and a shorter dependency chain. GroupNorm+SiLU 1x320x64x64 went from 675
// to 480 us (AVX2) and 500 to 385 us (AVX-512) at 1 thread, GroupNorm alone
// being 190 us (perf/bench_ops, Zen 4).
// x = (n / N) ln2 + r, n = N k + j: e^x = 2^k * T[j] * e^r. The magic
// constant 1.5 * 2^23 / N rounds x log2e to a multiple of 1 / N, whose
// numerator n sits in t's low bits, so t itself indexes the table (the
// permutes read only the low log2 N bits of each lane).
// The cubic 1 + r + c2 r^2 + c3 r^3 is fitted for least maximum relative
// error on [-ln2 / 2N, ln2 / 2N] (2.6e-8 for N = 8, 1.6e-9 for N = 16).
// Measured and not kept: N = 32 with a quadratic on AVX-512 (vpermt2ps over
// two registers) was 5% faster on the epilogue alone but 0.3 ulp less exact.
template <int N>
struct FastExpTable;
// AVX-512: one vpermps over a register; 2^k by vscalefps, which rounds over-
// and underflow to +inf and 0 itself; |x| <= 150 keeps n ln2_hi exact and
// the reduction finite.
template <>
struct FastExpTable<16> {
  static constexpr float magic = 786432.0f;  // 1.5 * 2^19
  static constexpr float bound = 150.0f;
  static constexpr float c2 = 0.500016332f, c3 = 0.166676462f;
};
// AVX2: 2^k comes from shifting t's bits by 20 (the magic constant carries
// the exponent bias, as on the portable path), which also moves j into the
// top mantissa bits: the scale is 2^k (1 + j/8), so the table holds
// 2^(j/8) / (1 + j/8). Clamped like the portable path (n = 8 * 128 gives +inf).
template <>
struct FastExpTable<8> {
  static constexpr float magic = 1572991.0f;  // 1.5 * 2^20 + 127
  static constexpr float c2 = 0.500065923f, c3 = 0.166704133f;
};

// Tag of the width-1 portable path.
struct scalar_arch {};

template <class Arch>
struct Vec {
  using reg = xsimd::batch<float, Arch>;
  static constexpr std::size_t width = reg::size;
  // Architectural vector registers: 16 ymm on AVX2 (the 8-lane arch), 32 on
  // AVX-512 and NEON.
  static constexpr int registers = width == 8 ? 16 : 32;
  // xsimd 8.1's pow/log on avx512bw reach its integer select, whose GCC 12
  // intrinsics are macros at -O0 that cannot take a batch (does not compile);
  // avx512dq has the same registers and float math without that path.
  using math_arch = typename std::conditional<std::is_same<Arch, xsimd::avx512bw>::value,
                                              xsimd::avx512dq, Arch>::type;

  static reg load(const float* p) { return reg::load_unaligned(p); }
  static void store(float* p, reg v) { v.store_unaligned(p); }
  // Partial vectors (row, plane and channel-block ends). load_tail: the
  // first n <= width floats of p, lanes n.. read as `fill`; store_tail
  // writes exactly p[0, n). Neither touches p[n, width), so both are safe at
  // the very end of a mapping.
  // x86 skips the trip through a stack buffer and a variable-length memcpy
  // (a store-forwarding stall on the load). AVX-512: masked load and store,
  // whose masked-out lanes never fault. AVX2: a 4-, 2- and 1-float piece
  // each way, not vmaskmovps: AMD's manual leaves faults on masked-out lanes
  // to the implementation (QEMU 7.2 does fault on a guard page).
  // Measured on Zen 4 (perf/bench_ops, 1 thread, median us, memcpy -> now):
  // LRN NCHW 1x256x27x27 72.0 -> 66.7 (AVX2), 57.1 -> 50.1 (AVX-512);
  // 1x96x55x55 89.5 -> 88.6, 77.0 -> 75.1. There the AVX2 variants (memcpy
  // or vmaskmovps store, vmaskmovps load) came within 1-2% of each other. On
  // 1000 rows of 5-15 floats (y = x * a + b, microbenchmark): both memcpy
  // 11.7 us; vmaskmovps load with memcpy / vmaskmovps / piece store 3.5-3.8,
  // 4.0-4.6, 1.4-1.7; pieces both ways 1.9-2.5.
  static reg load_tail(const float* p, std::size_t n, float fill = 0.0f) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (width == 16) {
      return reg(_mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail_mask16(n), p));
    } else if constexpr (width == 8) {
      return reg(load_tail_pieces(p, n, fill));
    } else
#endif
    {
      alignas(64) float buf[width];
      for (std::size_t i = 0; i < width; ++i) buf[i] = fill;
      std::memcpy(buf, p, n * sizeof(float));
      return reg::load_aligned(buf);
    }
  }
  static void store_tail(float* p, reg v, std::size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (width == 16) {
      _mm512_mask_storeu_ps(p, tail_mask16(n), v);
      return;
    } else if constexpr (width == 8) {
      store_tail_pieces(p, v, n);
      return;
    }
#endif
    alignas(64) float buf[width];
    v.store_aligned(buf);
    std::memcpy(p, buf, n * sizeof(float));
  }
  static reg splat(float x) { return reg(x); }
  // Non-temporal store of a whole vector to p, aligned to `width` floats:
  // the line goes to DRAM without being read first or evicting the cache
  // (outputs far larger than the cache). Plain store where the ISA has no
  // such store; stream_fence() orders them before other threads read.
  static constexpr bool can_stream =
#if defined(__x86_64__) || defined(__i386__)
      true;
#else
      false;
#endif
  static void stream(float* p, reg v) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (width == 16) {
      _mm512_stream_ps(p, v);
    } else if constexpr (width == 8) {
      _mm256_stream_ps(p, v);
    } else {
      _mm_stream_ps(p, v);
    }
#else
    v.store_aligned(p);
#endif
  }
  static void stream_fence() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_sfence();
#endif
  }
  static reg fma(reg a, reg b, reg c) { return xsimd::fma(a, b, c); }
  static reg fms(reg a, reg b, reg c) { return xsimd::fms(a, b, c); }  // a * b - c
  static reg sqrt(reg a) { return xsimd::sqrt(a); }
  // 1 / sqrt(a) without the divider, for 0 < a < inf (rsqrt(inf) is NaN):
  // the hardware estimate refined by Newton steps r *= 1.5 - a/2 r^2, each
  // squaring the relative error e (to 1.5 e^2). x86 rsqrtps (e <= 1.5 * 2^-12)
  // gets one step: <= 3 ulp (2.05 measured here, tests/ops/vec_math_test.cpp),
  // a second step cost LRN 25%; AVX-512 rsqrt14 (2^-14) one step: ~1 ulp;
  // NEON's 8-bit estimate three steps. With a sqrt, LRN's d^-0.75 ran 1.3-1.6x
  // faster than sqrt(d) * sqrt(sqrt(d)) and a divide.
  static reg rsqrt(reg a) {
    reg r;
    int steps = 1;
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
      r = reg(_mm512_rsqrt14_ps(a));  // xsimd 8.1 uses rsqrt23, which is AVX-512ER only
      steps = 1;
    } else {
      r = xsimd::rsqrt(a);
    }
#else
    r = xsimd::rsqrt(a);
    steps = 3;
#endif
    const reg half_a = a * reg(0.5f);
    for (int i = 0; i < steps; ++i) r = r * xsimd::fnma(half_a * r, r, reg(1.5f));
    return r;
  }
#if defined(__x86_64__) || defined(__i386__)
  // The table exp of FastExpTable: AVX-512 (N = 16) and AVX2 (N = 8).
  static constexpr bool table_exp = std::is_base_of<xsimd::avx512f, Arch>::value ||
                                    std::is_base_of<xsimd::fma3<xsimd::avx2>, Arch>::value;
  template <int sign, bool nan_out>
  static reg table_clamp(reg x) {
    if constexpr (width == 16) {
      const __m512 bound = _mm512_set1_ps(FastExpTable<16>::bound);
      if constexpr (nan_out) return reg(_mm512_max_ps(-bound, _mm512_min_ps(bound, x)));
      return reg(_mm512_range_ps(__m512(x), bound, 0x02));  // the smaller |.|, x's sign; NaN -> 150
    } else {
      return FastExp::clamp<Vec, sign>(x);
    }
  }
  // T[j] for the j in t's low bits (the permutes read only those).
  static reg table_lookup(reg t) {
    if constexpr (width == 16) {
      const __m512 table = _mm512_setr_ps(
          1.f, 1.04427373f, 1.09050775f, 1.13878858f, 1.18920708f, 1.24185777f, 1.29683959f,
          1.35425556f, 1.41421354f, 1.47682619f, 1.54221082f, 1.61049032f, 1.68179286f,
          1.75625217f, 1.8340081f, 1.91520655f);  // 2^(j/16)
      return reg(_mm512_permutexvar_ps(_mm512_castps_si512(t), table));
    } else {
      const __m256 table = _mm256_setr_ps(1.f, 0.969340205f, 0.951365709f, 0.943156064f,
                                          0.942809045f, 0.949052811f, 0.961024463f,
                                          0.978137672f);  // 2^(j/8) / (1 + j/8)
      return reg(_mm256_permutevar8x32_ps(table, _mm256_castps_si256(t)));
    }
  }
  // e * 2^k, k = floor(n / N).
  static reg table_scale(reg e, reg t, reg n) {
    if constexpr (width == 16) {
      return reg(_mm512_scalef_ps(e, n));
    } else {
      return e * reg(_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 20)));
    }
  }
#endif
  static reg min(reg a, reg b) { return xsimd::min(a, b); }
  static reg max(reg a, reg b) { return xsimd::max(a, b); }
  // e^(sign * x), see FastExp and FastExpTable.
  // nan_out = false: a NaN x may give any value (the caller keeps NaN another
  // way), which lets AVX-512 clamp with one vrangeps instead of min and max.
  template <int sign, bool nan_out = true>
  static reg exp_signed(reg x) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (table_exp) {
      using T = FastExpTable<width>;
      constexpr float s = float(sign);
      const reg xc = table_clamp<sign, nan_out>(x);
      const reg t = fma(xc, reg(s * FastExp::log2e), reg(T::magic));
      const reg n = t - reg(T::magic);
      reg u = fma(n, reg(-s * FastExp::ln2_hi), xc);
      u = fma(n, reg(-s * FastExp::ln2_lo), u);
      const reg tj = table_lookup(t);
      const reg q = FastExp::fma_signed<Vec, sign>(fma(reg(s * T::c3), u, reg(T::c2)), u * u, u);
      return table_scale(fma(tj, q, tj), t, n);
    } else
#endif
    {
      using ireg = xsimd::batch<int32_t, Arch>;
      reg t;
      const reg p = FastExp::reduced<Vec, sign>(x, t);
      return p * xsimd::bitwise_cast<reg>(xsimd::bitwise_cast<ireg>(t) << 23);
    }
  }
  // SiLU, v * sigmoid(v) = v / (1 + e^-v), <= 4 ulp (tests/ops/vec_math_test.cpp).
  // Special values follow from e^-v's overflow: -inf -> NaN (-inf / inf, as
  // the unfused Sigmoid then Mul gives: -inf * 0), +inf -> +inf, NaN -> NaN,
  // v < -88.73 -> -0 (the true value is below 1e-36). A divide, not rcp +
  // Newton: it was faster on every x86 path measured (the divider is idle
  // while the exp fills the FMA pipes), and rcp(inf) * inf is NaN.
  static reg silu(reg v) { return v / (reg(1.f) + exp_signed<-1, false>(v)); }
  static reg pow(reg a, reg b) {
    using m = xsimd::batch<float, math_arch>;
    using raw = typename reg::register_type;
    return reg(static_cast<raw>(xsimd::pow(m(static_cast<raw>(a)), m(static_cast<raw>(b)))));
  }
  static float sum(reg a) { return xsimd::hadd(a); }
  static float hmin(reg a) {
    alignas(64) float buf[width];
    a.store_aligned(buf);
    return *std::min_element(buf, buf + width);
  }
  static float hmax(reg a) {
    alignas(64) float buf[width];
    a.store_aligned(buf);
    return *std::max_element(buf, buf + width);
  }

 private:
#if defined(__x86_64__) || defined(__i386__)
  // Lanes [0, n) of a 16-lane mask (n <= 16: 1u << 16 is still in range).
  static __mmask16 tail_mask16(std::size_t n) { return __mmask16((1u << n) - 1u); }
  // p[0, n) as a 4-, a 2- and a 1-float load into a vector of `fill`.
  static __m256 load_tail_pieces(const float* p, std::size_t n, float fill) {
    if (n & 8) return _mm256_loadu_ps(p);
    const __m128 f = _mm_set1_ps(fill);
    const float* rest = p + (n & 4);
    __m128 part = f;
    if (n & 2) part = _mm_loadl_pi(part, reinterpret_cast<const __m64*>(rest));
    if (n & 1) {
      const __m128 last = _mm_load_ss(rest + (n & 2));
      part = (n & 2) ? _mm_insert_ps(part, last, 0x20) : _mm_move_ss(part, last);
    }
    if (n & 4) return _mm256_set_m128(part, _mm_loadu_ps(p));
    return _mm256_set_m128(f, part);
  }
  // p[0, n) = v's first n lanes as a 4-, a 2- and a 1-float store.
  static void store_tail_pieces(float* p, __m256 v, std::size_t n) {
    if (n & 8) {
      _mm256_storeu_ps(p, v);
      return;
    }
    __m128 part = _mm256_castps256_ps128(v);
    if (n & 4) {
      _mm_storeu_ps(p, part);
      part = _mm256_extractf128_ps(v, 1);
      p += 4;
    }
    if (n & 2) {
      _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
      part = _mm_movehl_ps(part, part);
      p += 2;
    }
    if (n & 1) _mm_store_ss(p, part);
  }
#endif
};

template <>
struct Vec<scalar_arch> {
  using reg = float;
  static constexpr std::size_t width = 1;
  static constexpr int registers = 16;

  static reg load(const float* p) { return *p; }
  static void store(float* p, reg v) { *p = v; }
  // n <= 1, the same contract as the vector paths.
  static reg load_tail(const float* p, std::size_t n, float fill = 0.0f) { return n ? *p : fill; }
  static void store_tail(float* p, reg v, std::size_t n) {
    if (n) *p = v;
  }
  static reg splat(float x) { return x; }
  static constexpr bool can_stream = false;
  static void stream(float* p, reg v) { *p = v; }
  static void stream_fence() {}
  static reg fma(reg a, reg b, reg c) { return a * b + c; }
  static reg fms(reg a, reg b, reg c) { return a * b - c; }
  static reg sqrt(reg a) { return std::sqrt(a); }
  static reg rsqrt(reg a) { return 1.f / std::sqrt(a); }
  static reg min(reg a, reg b) { return a < b ? a : b; }
  static reg max(reg a, reg b) { return a > b ? a : b; }
  // See FastExp.
  template <int sign, bool = true>
  static reg exp_signed(reg x) {
    reg t;
    const reg p = FastExp::reduced<Vec, sign>(x, t);
    uint32_t bits;
    std::memcpy(&bits, &t, sizeof bits);
    bits <<= 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
  }
  static reg silu(reg v) { return v / (1.f + exp_signed<-1>(v)); }
  static reg pow(reg a, reg b) { return std::pow(a, b); }
  static float sum(reg a) { return a; }
  static float hmin(reg a) { return a; }
  static float hmax(reg a) { return a; }
};

}  // namespace normrt::simd

// Arch of each ISA name used by the generated per-ISA translation units.
#define NORMRT_ARCH_scalar ::normrt::simd::scalar_arch
#define NORMRT_ARCH_avx2 ::xsimd::fma3<::xsimd::avx2>
#define NORMRT_ARCH_avx512 ::xsimd::avx512bw
#define NORMRT_ARCH_neon ::xsimd::neon64
