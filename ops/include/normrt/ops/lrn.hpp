#pragma once
// LRN across channels (ONNX opset 13):
//   y = x / (bias + alpha / size * sum_{c' in window(c)} x[c']^2) ^ beta,
//   window(c) = [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] within [0, C).
// beta = 0.75 takes a fast path (two square roots instead of pow).
#include <cstdint>

#include "normrt/ops/exec.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::ops {

struct LrnArgs {
  const float* x = nullptr;  // n x c x spatial in `layout`
  float* y = nullptr;        // same shape; must not overlap x unless y == x
  int64_t n = 0, c = 0, spatial = 1;
  Layout layout = Layout::nchw;
  int64_t size = 5;  // odd and positive; an even size is rejected (asymmetric window)
  float alpha = 1e-4f;  // finite, >= 0
  float beta = 0.75f;   // finite
  float bias = 1.0f;    // finite, > 0 (so the denominator is never 0 or negative)
};

void lrn(const LrnArgs& args, const ExecOptions& exec = {});

}  // namespace normrt::ops
