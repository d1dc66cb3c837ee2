// The UNet blocks of `normrt demo` (Stable Diffusion's resnet block without
// the time embedding): GroupNorm as PyTorch exports it before opset 18,
// Reshape -> InstanceNormalization -> Reshape -> Mul -> Add, then SiLU.
#include "demo_builder.hpp"
#include "demo_models.hpp"

namespace normrt::cli::demo {
namespace {

constexpr int64_t kChannels = 128, kGroups = 32, kSize = 16;

std::string decomposed_group_norm(DemoBuilder& b, const std::string& x) {
  const std::string groups = b.op("Reshape", {x, b.int64s("group_shape", {0, kGroups, -1})}, "groups");
  const std::string inst = b.op("InstanceNormalization",
                                {groups, b.filled("ones", {kGroups}, 1.0f), b.filled("zeros", {kGroups}, 0.0f)},
                                "instance_norm");
  rt::OnnxBuilder::attr_float(b.last(), "epsilon", 1e-5f);
  // The target as a constant, as torch.onnx writes it for static shapes.
  // (Shape(x) would do for the first block only: ONNX shape inference does
  // not see through Reshape(.., Shape(x)), so later blocks lose their shapes.)
  const std::string back =
      b.op("Reshape", {inst, b.int64s("image_shape", {1, kChannels, kSize, kSize})}, "ungroup");
  const std::string scaled = b.op("Mul", {back, b.uniform("gn_gamma", {kChannels, 1, 1}, 0.5f, 1.5f)}, "gn_scaled");
  return b.op("Add", {scaled, b.uniform("gn_beta", {kChannels, 1, 1}, -0.2f, 0.2f)}, "gn");
}

// x + conv(silu(gn(conv(silu(gn(x)))))).
std::string unet_block(DemoBuilder& b, const std::string& x) {
  std::string h = x;
  for (int i = 0; i < 2; ++i) h = b.conv(b.silu(decomposed_group_norm(b, h)), kChannels, kChannels, 3, true);
  return b.op("Add", {h, x}, "residual");
}

}  // namespace

DemoModel build_unet(uint32_t seed) {
  DemoBuilder b("demo_unet", seed);
  b.onnx().input("latent", {1, kChannels, kSize, kSize});
  unet_block(b, unet_block(b, "latent"));
  b.graph_output("features");
  return {"unet", "UNet resnet blocks: GroupNorm(32) + SiLU + Conv, residual", b.bytes()};
}

}  // namespace normrt::cli::demo
