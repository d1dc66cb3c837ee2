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

namespace normrt::simd {

// Fast exp, shared by every Vec: Cody-Waite range reduction x = n ln2 + r
// (|r| <= ln2 / 2; ln2 split in a 9-bit head, so n * head is exact) and
// Cephes' degree-6 polynomial for e^r, then 2^n put into the exponent bits.
// n comes from the 1.5 * 2^23 trick: fma(x, log2e, 1.5 * 2^23) rounds x log2e
// to an integer, which then sits in the low mantissa bits of t.
// Error bound (tests/ops/vec_math_test.cpp checks it against std::exp in
// double over the whole range): <= 2 ulp for x in [-87.33, 88.37]. Outside,
// x saturates: above 88.3763 the result is e^88.3763 ~ 2.4e38 (not inf),
// below -87.3365 it is about FLT_MIN = 1.2e-38 (never 0); NaN stays NaN.
// Saturating instead of selecting inf / 0 saves two compares and blends a
// vector (10% of a SiLU epilogue); sigmoid(x) = 1 / (1 + e^-x) is as exact
// either way. Mostly FMAs: on the 2 FMA pipes of this class of core it
// runs at about 6 cycles a vector, the cost of xsimd::exp without its
// range selects.
struct FastExp {
  static constexpr float hi = 88.3762626647949f;  // n = 127 still has an exponent
  static constexpr float lo = -87.3365447505531f;  // ln(FLT_MIN): n >= -126
  static constexpr float log2e = 1.44269504088896341f;
  static constexpr float magic = 12582912.0f;  // 1.5 * 2^23
  static constexpr float ln2_hi = 0.693359375f;
  static constexpr float ln2_lo = -2.12194440e-4f;
  static constexpr float p0 = 1.9875691500e-4f, p1 = 1.3981999507e-3f, p2 = 8.3334519073e-3f,
                         p3 = 4.1665795894e-2f, p4 = 1.6666665459e-1f, p5 = 5.0000001201e-1f;

  // e^r for the reduced r (of V, a Vec), and t, whose low bits hold n.
  template <class V>
  static typename V::reg reduced(typename V::reg x, typename V::reg& t) {
    using R = typename V::reg;
    const R xc = V::max(V::splat(lo), V::min(V::splat(hi), x));  // NaN passes (operand order)
    t = V::fma(xc, V::splat(log2e), V::splat(magic));
    const R n = t - V::splat(magic);
    R r = V::fma(n, V::splat(-ln2_hi), xc);
    r = V::fma(n, V::splat(-ln2_lo), r);
    R p = V::fma(V::splat(p0), r, V::splat(p1));
    p = V::fma(p, r, V::splat(p2));
    p = V::fma(p, r, V::splat(p3));
    p = V::fma(p, r, V::splat(p4));
    p = V::fma(p, r, V::splat(p5));
    return V::fma(p, r * r, r) + V::splat(1.f);
  }
};

// Tag of the width-1 portable path.
struct scalar_arch {};

template <class Arch>
struct Vec {
  using reg = xsimd::batch<float, Arch>;
  static constexpr std::size_t width = reg::size;
  // xsimd 8.1's pow/log on avx512bw reach its integer select, whose GCC 12
  // intrinsics are macros at -O0 that cannot take a batch (does not compile);
  // avx512dq has the same registers and float math without that path.
  using math_arch = typename std::conditional<std::is_same<Arch, xsimd::avx512bw>::value,
                                              xsimd::avx512dq, Arch>::type;

  static reg load(const float* p) { return reg::load_unaligned(p); }
  static void store(float* p, reg v) { v.store_unaligned(p); }
  // n < width elements; the missing lanes read as `fill`.
  static reg load_tail(const float* p, std::size_t n, float fill = 0.0f) {
    alignas(64) float buf[width];
    for (std::size_t i = 0; i < width; ++i) buf[i] = fill;
    std::memcpy(buf, p, n * sizeof(float));
    return reg::load_aligned(buf);
  }
  static void store_tail(float* p, reg v, std::size_t n) {
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
  static reg min(reg a, reg b) { return xsimd::min(a, b); }
  static reg max(reg a, reg b) { return xsimd::max(a, b); }
  // See FastExp.
  static reg exp_fast(reg x) {
    using ireg = xsimd::batch<int32_t, Arch>;
    reg t;
    const reg p = FastExp::reduced<Vec>(x, t);
    const ireg bits = (xsimd::bitwise_cast<ireg>(t) << 23) + ireg(0x3f800000);
    return p * xsimd::bitwise_cast<reg>(bits);
  }
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
};

template <>
struct Vec<scalar_arch> {
  using reg = float;
  static constexpr std::size_t width = 1;

  static reg load(const float* p) { return *p; }
  static void store(float* p, reg v) { *p = v; }
  static reg load_tail(const float*, std::size_t, float fill = 0.0f) { return fill; }
  static void store_tail(float*, reg, std::size_t) {}
  static reg splat(float x) { return x; }
  static constexpr bool can_stream = false;
  static void stream(float* p, reg v) { *p = v; }
  static void stream_fence() {}
  static reg fma(reg a, reg b, reg c) { return a * b + c; }
  static reg sqrt(reg a) { return std::sqrt(a); }
  static reg rsqrt(reg a) { return 1.f / std::sqrt(a); }
  static reg min(reg a, reg b) { return a < b ? a : b; }
  static reg max(reg a, reg b) { return a > b ? a : b; }
  // See FastExp.
  static reg exp_fast(reg x) {
    reg t;
    const reg p = FastExp::reduced<Vec>(x, t);
    uint32_t bits;
    std::memcpy(&bits, &t, sizeof bits);
    bits = (bits << 23) + 0x3f800000u;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
  }
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
