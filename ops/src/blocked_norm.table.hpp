#pragma once
// Per-ISA kernels of the blocked layouts (nchw8c / nchw16c, layout.hpp).
// A blocked tensor is N x ceil(C/b) "block planes", each `spatial` positions
// of b contiguous channel lanes. Every kernel below works on whole block
// planes, whatever the ISA's vector width: a plane is a span whose lane
// coefficients repeat every b floats.
#include <cstdint>
#include <vector>

#include "norm_math.hpp"
#include "normrt/ops/activation.hpp"
#include "normrt/ops/exec.hpp"
#include "normrt/ops/lrn.hpp"

namespace normrt::ops::detail {

// Per-lane coefficients of one block plane (b entries each):
//   y = act(((x - shift) - corr) * a + b)   (shift / corr null: act(x * a + b)).
// Lanes >= `valid` are channel padding: written as 0.
struct BlockCoeffs {
  const float* shift;
  const float* corr;
  const float* a;
  const float* b;
};

// Statistics of one channel over one block plane, from the shifted two-pass
// scheme of norm_math (the plane is small enough to stay in cache between
// the passes): mean and sum of squared deviations m2, in double.
struct ChannelPartial {
  double mean = 0.0;
  double m2 = 0.0;
  float min = 0.f, max = 0.f;
};

struct blocked_norm_kernels {
  // One block plane: `positions` x b floats.
  void (*plane_affine)(const float* x, float* y, int64_t positions, int64_t b, int64_t valid,
                       const BlockCoeffs& k, Activation act);
  // out[l] for the lanes l < valid of one block plane.
  void (*plane_stats)(const float* x, int64_t positions, int64_t b, int64_t valid,
                      ChannelPartial* out);
  // LRN over the positions [p0, p1) of all images (p = image * spatial + position).
  void (*lrn_positions)(const LrnArgs& a, int64_t p0, int64_t p1);
};

const blocked_norm_kernels& blocked_norm_kernels_for(Isa isa);

}  // namespace normrt::ops::detail
