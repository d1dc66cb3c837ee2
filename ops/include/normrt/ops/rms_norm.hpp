#pragma once
// RMSNormalization (ONNX opset 23) / SimplifiedLayerNormalization:
// y = x / sqrt(mean(x^2) + eps) * gamma over the trailing `cols` elements of
// each row, with the optional fused residual of SkipSimplifiedLayerNormalization.
#include <cstdint>

#include "normrt/ops/exec.hpp"

namespace normrt::ops {

struct RmsNormArgs {
  const float* x = nullptr;  // [rows, cols]
  float* y = nullptr;        // [rows, cols]; may be x (in place)
  int64_t rows = 0;
  int64_t cols = 0;
  const float* gamma = nullptr;  // [cols]; null means 1
  float eps = 1e-5f;             // inside the square root; >= 0
  float* inv_std_dev = nullptr;  // [rows]; optional output, 1 / sqrt(mean(x^2) + eps)

  // Fused residual: s = x + skip (+ bias) is what gets normalized.
  const float* skip = nullptr;  // [skip_rows, cols]; row r adds skip row r % skip_rows
  int64_t skip_rows = 0;        // 0 means rows
  const float* bias = nullptr;  // [cols]; only with skip
  float* sum = nullptr;         // [rows, cols]; optional output of s (may be x)
};

// Throws normrt::Error naming the argument on bad input, before writing.
void rms_norm(const RmsNormArgs& args, const ExecOptions& exec = {});

}  // namespace normrt::ops
