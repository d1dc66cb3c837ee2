#pragma once
// BatchNormalization (ONNX opset 7-15).
//  - Inference: the statistics are constants, so they are folded once, in
//    double, into a per-channel y = x * scale + shift (fold_batch_norm), then
//    applied by batch_norm_apply with an optional fused ReLU.
//  - Training mode (ONNX training_mode=1): batch_norm_training computes the
//    batch mean and population variance per channel and the running stats.
//  - Folding into the weights of the producing Conv / ConvTranspose / Gemm /
//    MatMul, for deployment: fold_into_weights.
#include <cstdint>
#include <vector>

#include "normrt/ops/activation.hpp"
#include "normrt/ops/exec.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::ops {

struct BatchNormParams {
  int64_t channels = 0;
  const float* gamma = nullptr;  // [channels]; null means 1
  const float* beta = nullptr;   // [channels]; null means 0
  const float* mean = nullptr;   // [channels]; required
  const float* var = nullptr;    // [channels]; required, each >= 0
  float eps = 1e-5f;             // >= 0
};

// y = x * scale + shift per channel, exact in double:
//   scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
  std::vector<float> scale_f32() const;  // rounded once
  std::vector<float> shift_f32() const;
};

// Throws normrt::Error naming the parameter (null mean/var, negative var, eps).
ChannelAffine fold_batch_norm(const BatchNormParams& params);

struct BatchNormArgs {
  const float* x = nullptr;  // n x c x spatial in `layout`
  float* y = nullptr;        // same shape; may be x
  int64_t n = 0, c = 0, spatial = 1;
  Layout layout = Layout::nchw;
  const float* scale = nullptr;  // [c], from fold_batch_norm
  const float* shift = nullptr;  // [c]
  Activation act = Activation::none;
};

void batch_norm_apply(const BatchNormArgs& args, const ExecOptions& exec = {});

// ONNX training_mode=1 forward.
struct BatchNormTrainingArgs {
  const float* x = nullptr;
  float* y = nullptr;  // may be x
  int64_t n = 0, c = 0, spatial = 1;
  Layout layout = Layout::nchw;
  const float* gamma = nullptr;  // [c]; null means 1
  const float* beta = nullptr;   // [c]; null means 0
  float eps = 1e-5f;
  float momentum = 0.9f;               // running = running * momentum + batch * (1 - momentum)
  const float* running_mean = nullptr;  // [c] input running stats; needed for the outputs below
  const float* running_var = nullptr;   // [c]
  float* running_mean_out = nullptr;    // [c] optional
  float* running_var_out = nullptr;     // [c] optional (uses the population variance)
  float* batch_mean = nullptr;          // [c] optional
  float* batch_var = nullptr;           // [c] optional, population variance
};

void batch_norm_training(const BatchNormTrainingArgs& args, const ExecOptions& exec = {});

// The weight tensor a BN that follows a layer is folded into, and which axis
// of it carries that layer's output channels.
enum class WeightLayout {
  conv,            // Conv weight [Cout, Cin/groups, k...]: output channel = axis 0
  conv_transpose,  // ConvTranspose weight [Cin, Cout/groups, k...]: output channel
                   // = group * (Cout/groups) + axis 1, group = axis0 / (Cin/groups)
  matmul_kn,       // MatMul B / Gemm B with transB=0: [K, N], output channel = axis 1
  matmul_nk,       // Gemm B with transB=1: [N, K], output channel = axis 0
};

struct WeightFoldArgs {
  float* weight = nullptr;       // rescaled in place (clone shared weights first)
  const int64_t* dims = nullptr;  // weight shape
  int rank = 0;
  WeightLayout layout = WeightLayout::conv;
  int64_t groups = 1;  // conv / conv_transpose only
  float* bias = nullptr;  // [out channels], in/out: b' = b * scale + shift (pass zeros if
                          // the layer had no bias)
};

// W'[.., o, ..] = W * scale[o]; b'[o] = b[o] * scale[o] + shift[o]; in double,
// rounded once. Throws normrt::Error when the shapes do not match.
void fold_into_weights(const WeightFoldArgs& args, const ChannelAffine& bn);

}  // namespace normrt::ops
