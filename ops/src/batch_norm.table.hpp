#pragma once
// Per-ISA kernels of BatchNorm inference: y = act(x * scale[c] + shift[c]).
#include <cstdint>

#include "normrt/ops/batch_norm.hpp"

namespace normrt::ops::detail {

struct batch_norm_kernels {
  // NCHW: the (n, c) planes [p0, p1), plane p = n * c + channel, each a
  // contiguous span of `spatial` floats sharing one scale and shift.
  void (*apply_planes)(const BatchNormArgs& a, int64_t p0, int64_t p1);
  // NHWC (and rank 2): the positions [r0, r1), each a contiguous run of c floats.
  void (*apply_rows)(const BatchNormArgs& a, int64_t r0, int64_t r1);
};

}  // namespace normrt::ops::detail
