#pragma once
// Per-ISA kernels of LayerNorm (over rows or over the channels of NCHW) and
// RMSNorm.
#include <cstdint>

#include "normrt/ops/exec.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/rms_norm.hpp"

namespace normrt::ops::detail {

struct row_norm_kernels {
  // Rows [r0, r1); `stream`: the whole output is large enough to go out
  // with streaming stores (stream_output), where the rows allow them.
  void (*layer_norm)(const LayerNormArgs& a, int64_t r0, int64_t r1, bool stream);
  void (*rms_norm)(const RmsNormArgs& a, int64_t r0, int64_t r1, bool stream);
  // Tasks [t0, t1) of kChannelTaskPositions positions of one image each
  // (channel_layer_norm.cpp numbers them), Layout::nchw.
  void (*channel_layer_norm)(const ChannelLayerNormArgs& a, int64_t t0, int64_t t1);
};

// Positions per task of the channel LayerNorm: a multiple of every vector
// width x 4, so every task but an image's last takes only whole vectors.
constexpr int64_t kChannelTaskPositions = 64;

// Defined in row_norm.cpp (NORMRT_KERNEL_DISPATCH).
const row_norm_kernels& row_norm_kernels_for(Isa isa);

}  // namespace normrt::ops::detail
