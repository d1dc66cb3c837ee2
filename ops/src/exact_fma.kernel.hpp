#pragma once
// fma that gives the same bits wherever it appears.
//
// Vec<scalar_arch>::fma is a * b + c, which the compiler may contract into one
// fused operation or not, and not necessarily the same way in two copies of a
// loop: GCC on aarch64 auto-vectorizes the scalar path behind a runtime alias
// check, so LayerNorm's output differed between y == x and y != x, and between
// thread counts. Where the target has a fused multiply-add, the scalar path
// always uses it; where it has none, a * b + c cannot be contracted.
#include <cmath>
#include <type_traits>

#include "normrt/simd/vec.hpp"

namespace normrt::ops::detail {

template <class A>
inline typename simd::Vec<A>::reg exact_fma(typename simd::Vec<A>::reg a,
                                            typename simd::Vec<A>::reg b,
                                            typename simd::Vec<A>::reg c) {
  if constexpr (std::is_same_v<A, simd::scalar_arch>) {
#if defined(__FP_FAST_FMAF)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
  } else {
    return simd::Vec<A>::fma(a, b, c);
  }
}

}  // namespace normrt::ops::detail
