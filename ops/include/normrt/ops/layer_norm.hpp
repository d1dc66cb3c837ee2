#pragma once
// LayerNormalization (ONNX opset 17) over the trailing `cols` elements of each
// of `rows` contiguous rows, with the optional fused residual of
// com.microsoft SkipLayerNormalization.
#include <cstdint>

#include "normrt/ops/exec.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::ops {

struct LayerNormArgs {
  const float* x = nullptr;  // [rows, cols]
  float* y = nullptr;        // [rows, cols]; may be x (in place)
  int64_t rows = 0;
  int64_t cols = 0;
  const float* gamma = nullptr;  // [cols]; null means 1
  const float* beta = nullptr;   // [cols]; null means 0
  float eps = 1e-5f;             // inside the square root; >= 0
  float* mean = nullptr;         // [rows]; optional output
  float* inv_std_dev = nullptr;  // [rows]; optional output, 1 / sqrt(var + eps)

  // Fused residual: s = x + skip (+ bias) is what gets normalized.
  const float* skip = nullptr;  // [skip_rows, cols]; row r adds skip row r % skip_rows
  int64_t skip_rows = 0;        // 0 means rows
  const float* bias = nullptr;  // [cols]; only with skip
  float* sum = nullptr;         // [rows, cols]; optional output of s (may be x)
};

// Throws normrt::Error naming the argument on bad input, before writing.
// With eps = 0, a constant row has no defined output: it comes out NaN (0/0),
// as in the ONNX reference and PyTorch.
void layer_norm(const LayerNormArgs& args, const ExecOptions& exec = {});

// LayerNorm over the channels of each position of an [N, C, spatial...]
// tensor, as ConvNeXt applies it to NCHW activations
// (LayerNormalization(axis=-1) between transposes to NHWC and back): for every
// image i and position p, x[i, :, p] is normalized over its C channels, with
// per-channel gamma / beta. Layout::nchw reads the channels strided;
// Layout::nhwc is the same as layer_norm with rows = n * spatial, cols = c.
struct ChannelLayerNormArgs {
  const float* x = nullptr;  // [n, c, spatial] (nchw) or [n, spatial, c] (nhwc)
  float* y = nullptr;        // same shape and layout; may be x (in place)
  int64_t n = 0;
  int64_t c = 0;
  int64_t spatial = 0;  // product of the dims after C (H * W)
  Layout layout = Layout::nchw;  // nchw or nhwc
  const float* gamma = nullptr;  // [c]; null means 1
  const float* beta = nullptr;   // [c]; null means 0
  float eps = 1e-5f;             // inside the square root; >= 0 (ConvNeXt uses 1e-6)
  float* mean = nullptr;         // [n, spatial]; optional output
  float* inv_std_dev = nullptr;  // [n, spatial]; optional output
};

// Throws normrt::Error naming the argument on bad input, before writing.
void layer_norm_channels(const ChannelLayerNormArgs& args, const ExecOptions& exec = {});

}  // namespace normrt::ops
