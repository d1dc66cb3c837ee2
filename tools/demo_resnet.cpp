// The ResNet-style CNN of `normrt demo`: every BatchNormalization but the one
// on the input follows a Conv or the Gemm head, so folding can remove it.
#include "demo_builder.hpp"
#include "demo_models.hpp"

namespace normrt::cli::demo {
namespace {

std::string conv_bn(DemoBuilder& b, const std::string& x, int64_t c_in, int64_t c_out,
                    int64_t kernel) {
  return b.batch_norm(b.conv(x, c_in, c_out, kernel, /*bias=*/false), c_out);
}

// conv-BN-ReLU-conv-BN, + x, ReLU (torchvision's BasicBlock).
std::string basic_block(DemoBuilder& b, const std::string& x, int64_t channels) {
  const std::string h = b.op("Relu", {conv_bn(b, x, channels, channels, 3)}, "relu");
  const std::string sum = b.op("Add", {conv_bn(b, h, channels, channels, 3), x}, "residual");
  return b.op("Relu", {sum}, "relu");
}

}  // namespace

DemoModel build_resnet(uint32_t seed) {
  DemoBuilder b("demo_resnet", seed);
  b.onnx().input("image", {1, 3, 32, 32});
  // Input normalization as a BN: nothing before it to fold into.
  std::string x = b.batch_norm("image", 3);
  x = b.op("Relu", {conv_bn(b, x, 3, 32, 3)}, "relu");
  x = basic_block(b, x, 32);
  x = basic_block(b, x, 32);
  x = b.op("Relu", {conv_bn(b, x, 32, 64, 1)}, "relu");
  x = basic_block(b, x, 64);
  x = b.op("Flatten", {b.op("GlobalAveragePool", {x}, "pool")}, "flatten");
  x = b.op("Gemm", {x, b.weights("fc_w", {10, 64}, 64), b.uniform("fc_b", {10}, -0.1f, 0.1f)}, "fc");
  rt::OnnxBuilder::attr_int(b.last(), "transB", 1);
  b.batch_norm(x, 10);
  b.graph_output("logits");
  return {"resnet", "ResNet-style CNN: conv-BN-ReLU, residual blocks, BN head", b.bytes()};
}

}  // namespace normrt::cli::demo
