#pragma once
// Sliding-window geometry shared by Conv, ConvTranspose and the pools: the
// ONNX attributes (kernel_shape, strides, dilations, pads, auto_pad,
// ceil_mode, output_padding, output_shape) turned into per-axis numbers, with
// every value range- and overflow-checked so that a hostile model ends in an
// error naming the node.
#include "kernels/kernel.hpp"

namespace normrt::rt::onednn {

struct Window {
  Dims kernel;     // taps per spatial axis
  Dims strides;
  Dims dilations;  // ONNX convention: 1 = dense
  Dims pad_begin;
  Dims pad_end;    // see transpose_window()
  Dims out;        // output spatial size

  // Extent of one dilated window on axis d: (k - 1) * dilation + 1.
  int64_t extent(std::size_t d) const { return (kernel[d] - 1) * dilations[d] + 1; }
  // oneDNN's zero-based dilations.
  Dims dnnl_dilations() const;
};

// Conv / pooling window over `in` (spatial dims only) with `kernel` taps.
// Reads strides, dilations (when `with_dilations`), pads and auto_pad; with
// `ceil_mode` the output size rounds up (the last window must still start
// inside the input or its begin padding, as in PyTorch).
Window forward_window(const PrepareContext& ctx, const Dims& in, const Dims& kernel,
                      bool with_dilations, bool ceil_mode);

// ConvTranspose window: also reads output_padding and output_shape, and
// derives pads from output_shape / auto_pad like ONNX Runtime. pad_end is
// oneDNN's padding_r: relative to the output without output_padding, so it
// is negative when output_padding or output_shape extends the output.
Window transpose_window(const PrepareContext& ctx, const Dims& in, const Dims& kernel);

// kernel_shape attribute if present (checked against `from_weights` when
// that is non-empty), else `from_weights`.
Dims kernel_shape(const PrepareContext& ctx, const Dims& from_weights, std::size_t spatial);

}  // namespace normrt::rt::onednn
