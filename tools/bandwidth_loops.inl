// The bandwidth loops, written once and included by one translation unit per
// x86 ISA (bandwidth_<isa>.cpp), each compiled with that ISA's flags only.
// Only intrinsics (gnu_inline, never emitted out of line) and functions with
// internal linkage are used, so nothing compiled with AVX-512 flags can be
// shared with another unit through a weak symbol (the ODR trap of DESIGN.md).
// The includer defines NORMRT_BW_ENTRY(name) to name the entry points.
#include <immintrin.h>

#include <cstddef>

namespace {

#if defined(__AVX512F__)
using V = __m512;
constexpr std::size_t kLanes = 16;
V load(const float* p) { return _mm512_loadu_ps(p); }
void store(float* p, V v) { _mm512_storeu_ps(p, v); }
void stream(float* p, V v) { _mm512_stream_ps(p, v); }
V splat(float s) { return _mm512_set1_ps(s); }
V mul_add(V a, V b, V c) { return _mm512_add_ps(_mm512_mul_ps(a, b), c); }
#elif defined(__AVX__)
using V = __m256;
constexpr std::size_t kLanes = 8;
V load(const float* p) { return _mm256_loadu_ps(p); }
void store(float* p, V v) { _mm256_storeu_ps(p, v); }
void stream(float* p, V v) { _mm256_stream_ps(p, v); }
V splat(float s) { return _mm256_set1_ps(s); }
V mul_add(V a, V b, V c) { return _mm256_add_ps(_mm256_mul_ps(a, b), c); }
#else
using V = __m128;
constexpr std::size_t kLanes = 4;
V load(const float* p) { return _mm_loadu_ps(p); }
void store(float* p, V v) { _mm_storeu_ps(p, v); }
void stream(float* p, V v) { _mm_stream_ps(p, v); }
V splat(float s) { return _mm_set1_ps(s); }
V mul_add(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
#endif

// Four independent vectors per step keep enough loads in flight.
constexpr std::size_t kStep = 4 * kLanes;

template <bool kStream>
void copy_range(const float* src, float* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    const V a = load(src + i), b = load(src + i + kLanes);
    const V c = load(src + i + 2 * kLanes), d = load(src + i + 3 * kLanes);
    if (kStream) {
      stream(dst + i, a), stream(dst + i + kLanes, b);
      stream(dst + i + 2 * kLanes, c), stream(dst + i + 3 * kLanes, d);
    } else {
      store(dst + i, a), store(dst + i + kLanes, b);
      store(dst + i + 2 * kLanes, c), store(dst + i + 3 * kLanes, d);
    }
  }
  for (; i < n; ++i) dst[i] = src[i];
  if (kStream) _mm_sfence();  // order the weakly-ordered stores before returning
}

}  // namespace

namespace normrt::bench::detail {

void NORMRT_BW_ENTRY(copy)(const float* src, float* dst, std::size_t n) {
  copy_range<false>(src, dst, n);
}

// dst must be 64-byte aligned (the stores themselves are aligned ones).
void NORMRT_BW_ENTRY(nt_copy)(const float* src, float* dst, std::size_t n) {
  copy_range<true>(src, dst, n);
}

void NORMRT_BW_ENTRY(triad)(const float* b, const float* c, float* a, float s, std::size_t n) {
  const V vs = splat(s);
  std::size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    for (std::size_t k = 0; k < kStep; k += kLanes) {
      store(a + i + k, mul_add(vs, load(c + i + k), load(b + i + k)));
    }
  }
  for (; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace normrt::bench::detail
