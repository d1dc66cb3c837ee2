#pragma once
// The models `normrt demo` builds in memory: small, seeded, and written the
// way PyTorch's exporter writes them (Conv + BatchNormalization, LayerNorm
// and GroupNorm as decomposed subgraphs, SiLU as x * Sigmoid(x)), so the
// graph passes have real work to do.
#include <cstdint>
#include <string>
#include <vector>

namespace normrt::cli::demo {

struct DemoModel {
  std::string name;   // "resnet"
  std::string what;   // one line for the summary table
  std::string bytes;  // a serialized onnx::ModelProto
};

// ResNet-style CNN: input BN, conv-BN-ReLU stem, basic residual blocks,
// global pool, Gemm head with BatchNorm1d. [1,3,32,32] -> [1,10].
DemoModel build_resnet(uint32_t seed);
// Post-norm transformer encoder block: 4-head attention (MatMul/Softmax),
// residual + decomposed LayerNorm, erf-GELU MLP. [1,128,256] -> [1,128,256].
DemoModel build_transformer(uint32_t seed);
// Two UNet resnet blocks: decomposed GroupNorm(32) + SiLU + Conv, twice,
// plus the residual. [1,128,16,16] -> [1,128,16,16].
DemoModel build_unet(uint32_t seed);

// All three, each from its own seed derived from `seed`.
std::vector<DemoModel> build_demo_models(uint32_t seed);

}  // namespace normrt::cli::demo
