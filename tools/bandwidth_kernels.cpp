#include "bandwidth_kernels.hpp"

#include "normrt/simd/isa.hpp"

namespace normrt::bench {

#if defined(__x86_64__) || defined(__i386__)
namespace detail {
#define NORMRT_BW_DECLARE(isa)                                                    \
  void copy_##isa(const float* src, float* dst, std::size_t n);                   \
  void nt_copy_##isa(const float* src, float* dst, std::size_t n);                \
  void triad_##isa(const float* b, const float* c, float* a, float s, std::size_t n);
NORMRT_BW_DECLARE(sse2)
NORMRT_BW_DECLARE(avx2)
NORMRT_BW_DECLARE(avx512)
#undef NORMRT_BW_DECLARE
}  // namespace detail

const BandwidthKernels& bandwidth_kernels() {
  static const BandwidthKernels sse2{"sse2", &detail::copy_sse2, &detail::nt_copy_sse2,
                                     &detail::triad_sse2};
  static const BandwidthKernels avx2{"avx2", &detail::copy_avx2, &detail::nt_copy_avx2,
                                     &detail::triad_avx2};
  static const BandwidthKernels avx512{"avx512", &detail::copy_avx512, &detail::nt_copy_avx512,
                                       &detail::triad_avx512};
  const CpuFeatures& f = cpu_features();
  if (f.avx512f && f.os_avx512) return avx512;
  if (f.avx2 && f.os_avx) return avx2;
  return sse2;
}
#else
namespace {
// Plain loops: the compiler vectorizes them for the target's baseline ISA.
// There is no portable non-temporal store, so nt_copy is an ordinary copy.
void copy_generic(const float* src, float* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
}
void triad_generic(const float* b, const float* c, float* a, float s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}
}  // namespace

const BandwidthKernels& bandwidth_kernels() {
  static const BandwidthKernels generic{"generic", &copy_generic, &copy_generic, &triad_generic};
  return generic;
}
#endif

}  // namespace normrt::bench
