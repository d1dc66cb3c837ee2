#pragma once
// Per-ISA kernels of LayerNorm and RMSNorm: each normalizes rows [r0, r1).
#include <cstdint>

#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/rms_norm.hpp"

namespace normrt::ops::detail {

struct row_norm_kernels {
  void (*layer_norm)(const LayerNormArgs& a, int64_t r0, int64_t r1);
  void (*rms_norm)(const RmsNormArgs& a, int64_t r0, int64_t r1);
};

}  // namespace normrt::ops::detail
