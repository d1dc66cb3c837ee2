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
  static reg fma(reg a, reg b, reg c) { return xsimd::fma(a, b, c); }
  static reg sqrt(reg a) { return xsimd::sqrt(a); }
  static reg min(reg a, reg b) { return xsimd::min(a, b); }
  static reg max(reg a, reg b) { return xsimd::max(a, b); }
  static reg exp(reg a) { return xsimd::exp(a); }
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
  static reg fma(reg a, reg b, reg c) { return a * b + c; }
  static reg sqrt(reg a) { return std::sqrt(a); }
  static reg min(reg a, reg b) { return a < b ? a : b; }
  static reg max(reg a, reg b) { return a > b ? a : b; }
  static reg exp(reg a) { return std::exp(a); }
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
