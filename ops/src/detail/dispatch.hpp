#pragma once
// Picks an op's kernel table for the ISA an ExecOptions asks for. Tables are
// built once, in baseline-ISA code, on first use.
#include "normrt/ops/exec.hpp"

namespace normrt::ops::detail {

inline Isa resolve_isa(const ExecOptions& exec) {
  if (!exec.isa) return best_isa();
  require_isa(*exec.isa);
  return *exec.isa;
}

}  // namespace normrt::ops::detail

#if defined(NORMRT_HAVE_AVX2)
#define NORMRT_IF_AVX2(...) __VA_ARGS__
#else
#define NORMRT_IF_AVX2(...)
#endif
#if defined(NORMRT_HAVE_AVX512)
#define NORMRT_IF_AVX512(...) __VA_ARGS__
#else
#define NORMRT_IF_AVX512(...)
#endif
#if defined(NORMRT_HAVE_NEON)
#define NORMRT_IF_NEON(...) __VA_ARGS__
#else
#define NORMRT_IF_NEON(...)
#endif

// Declares the per-ISA entry points of kernel table `op##_kernels` and defines
// `const op##_kernels& op##_kernels_for(Isa)`. Use in a baseline .cpp inside
// namespace normrt::ops::detail.
#define NORMRT_KERNEL_DISPATCH(op)                                              \
  op##_kernels op##_kernels_scalar();                                           \
  NORMRT_IF_AVX2(op##_kernels op##_kernels_avx2();)                             \
  NORMRT_IF_AVX512(op##_kernels op##_kernels_avx512();)                         \
  NORMRT_IF_NEON(op##_kernels op##_kernels_neon();)                             \
  const op##_kernels& op##_kernels_for(Isa isa) {                               \
    switch (isa) {                                                              \
      NORMRT_IF_AVX2(case Isa::avx2: {                                          \
        static const op##_kernels k = op##_kernels_avx2();                      \
        return k;                                                               \
      })                                                                        \
      NORMRT_IF_AVX512(case Isa::avx512: {                                      \
        static const op##_kernels k = op##_kernels_avx512();                    \
        return k;                                                               \
      })                                                                        \
      NORMRT_IF_NEON(case Isa::neon: {                                          \
        static const op##_kernels k = op##_kernels_neon();                      \
        return k;                                                               \
      })                                                                        \
      default: {                                                                \
        static const op##_kernels k = op##_kernels_scalar();                    \
        return k;                                                               \
      }                                                                         \
    }                                                                           \
  }
