#pragma once
// LayerNormalization (ONNX opset 17) over the trailing `cols` elements of each
// of `rows` contiguous rows, with the optional fused residual of
// com.microsoft SkipLayerNormalization.
#include <cstdint>

#include "normrt/ops/exec.hpp"

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

}  // namespace normrt::ops
