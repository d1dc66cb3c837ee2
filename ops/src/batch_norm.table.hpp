#pragma once
// Per-ISA kernels of BatchNorm inference: y = act(x * scale[c] + shift[c]).
#include <cstdint>

#include "norm_math.hpp"
#include "normrt/ops/batch_norm.hpp"

namespace normrt::ops::detail {

// `stream`: write y with non-temporal stores (outputs far larger than the
// cache, which would only evict what the next op needs and cost a read of
// every output line first).
struct batch_norm_kernels {
  // NCHW: the (n, c) planes [p0, p1), plane p = n * c + channel, each a
  // contiguous span of `spatial` floats sharing one scale and shift.
  void (*apply_planes)(const BatchNormArgs& a, int64_t p0, int64_t p1, bool stream);
  // NHWC (and rank 2): the positions [r0, r1), each a contiguous run of c floats.
  void (*apply_rows)(const BatchNormArgs& a, int64_t r0, int64_t r1, bool stream);
};


}  // namespace normrt::ops::detail
