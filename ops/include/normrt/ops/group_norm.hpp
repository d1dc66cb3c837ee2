#pragma once
// GroupNormalization (ONNX opset 18: per-group affine; opset 21: per-channel
// affine) and InstanceNormalization (GroupNorm with one channel per group).
// Statistics per (image, group) over (C/G) x spatial.
#include <cstdint>

#include "normrt/ops/activation.hpp"
#include "normrt/ops/exec.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::ops {

enum class GroupAffine {
  per_channel,  // gamma / beta have C entries (opset 21)
  per_group,    // gamma / beta have G entries (opset 18)
};

struct GroupNormArgs {
  const float* x = nullptr;  // n x c x spatial in `layout`
  float* y = nullptr;        // same shape; may be x
  int64_t n = 0, c = 0, spatial = 1;
  int64_t groups = 1;  // must divide c
  Layout layout = Layout::nchw;
  const float* gamma = nullptr;  // null means 1
  const float* beta = nullptr;   // null means 0
  GroupAffine affine = GroupAffine::per_channel;
  float eps = 1e-5f;
  Activation act = Activation::none;  // e.g. silu for diffusion UNets
  float* mean = nullptr;              // [n, groups] optional
  float* inv_std_dev = nullptr;       // [n, groups] optional
};

// Throws normrt::Error naming the argument on bad input, before writing.
// Results are bitwise identical for any thread count. With eps = 0, a
// constant group has no defined output: it comes out NaN (0/0), as in the
// ONNX reference and PyTorch. NaN / Inf poison only their own group.
void group_norm(const GroupNormArgs& args, const ExecOptions& exec = {});

struct InstanceNormArgs {
  const float* x = nullptr;  // n x c x spatial in `layout` (rank 3 to 5)
  float* y = nullptr;        // same shape; may be x
  int64_t n = 0, c = 0, spatial = 1;
  Layout layout = Layout::nchw;
  const float* gamma = nullptr;  // [c]; null means 1
  const float* beta = nullptr;   // [c]; null means 0
  float eps = 1e-5f;
  Activation act = Activation::none;
};

// As group_norm with groups = c (so eps = 0 on a constant channel gives NaN).
void instance_norm(const InstanceNormArgs& args, const ExecOptions& exec = {});

}  // namespace normrt::ops
