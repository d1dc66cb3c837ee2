#pragma once
#include <cstdint>

namespace normrt::ops {

// Where channels sit in a tensor of N images with C channels and `spatial`
// positions each (spatial = product of the dims after the channel dim: 1 for
// rank 2, H*W for rank 4, D*H*W for rank 5).
//   nchw:    [N, C, spatial...] (channels first, ONNX's layout)
//   nhwc:    [N, spatial..., C] (channels last)
//   nchw8c:  [N, ceil(C/8), spatial..., 8]  (oneDNN's nChw8c, what its AVX2
//   nchw16c: [N, ceil(C/16), spatial..., 16] convolutions read and write; nChw16c
//            on AVX-512). The channel tail is padded: the last block's lanes
//            C..ceil(C/b)*b-1 are ignored on input and written as 0 on output,
//            so a following oneDNN convolution reads zeros there.
// The blocked layouts are supported by batch_norm_apply, group_norm,
// instance_norm and lrn (not by batch_norm_training). n, c and spatial always
// describe the logical tensor; x / y hold layout_elements() floats.
enum class Layout { nchw, nhwc, nchw8c, nchw16c };

// Channels per block: 8 / 16 for the blocked layouts, 1 for nchw / nhwc.
constexpr int64_t channel_block(Layout layout) {
  return layout == Layout::nchw8c ? 8 : layout == Layout::nchw16c ? 16 : 1;
}

constexpr bool is_blocked(Layout layout) { return channel_block(layout) > 1; }

// Channels rounded up to whole blocks (c itself for nchw / nhwc).
constexpr int64_t padded_channels(Layout layout, int64_t c) {
  const int64_t b = channel_block(layout);
  return (c + b - 1) / b * b;
}

// Floats a tensor of n x c x spatial occupies in `layout` (no overflow check:
// the ops check their own sizes).
constexpr int64_t layout_elements(Layout layout, int64_t n, int64_t c, int64_t spatial) {
  return n * padded_channels(layout, c) * spatial;
}

}  // namespace normrt::ops
