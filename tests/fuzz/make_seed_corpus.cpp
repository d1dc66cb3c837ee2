// Writes the fuzzer's seed corpus: small models that reach the loader's,
// the passes' and the kernels' main paths (BN folding, norm fusion, shape
// subgraphs, symbolic batch, com.microsoft ops). Generated at build time so
// no binary is committed. Usage: make_seed_corpus OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "onnx_builder.hpp"

namespace {

using normrt::rt::testing::OnnxBuilder;
constexpr int32_t kI64 = onnx::TensorProto::INT64;

std::vector<float> ramp(std::size_t n, float scale = 0.1f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * float(int(i % 7) - 3);
  return v;
}

// Conv -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm.
OnnxBuilder conv_bn() {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 6, 6}, onnx::TensorProto::FLOAT, {"N"});
  b.initializer("w", {4, 2, 3, 3}, ramp(72));
  b.initializer("scale", {4}, {1, 2, 0.5f, 1}).initializer("bias", {4}, ramp(4));
  b.initializer("mean", {4}, ramp(4)).initializer("var", {4}, {1, 2, 3, 4});
  b.initializer("fc", {3, 16}, ramp(48)).initializer("fc_b", {3}, ramp(3));
  auto* conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
  OnnxBuilder::attr_ints(conv, "pads", {1, 1, 1, 1});
  b.node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"bn"}, "bn");
  b.node("Relu", {"bn"}, {"r"});
  auto* pool = b.node("MaxPool", {"r"}, {"p"}, "pool");
  OnnxBuilder::attr_ints(pool, "kernel_shape", {3, 3});
  OnnxBuilder::attr_ints(pool, "strides", {3, 3});
  b.node("Flatten", {"p"}, {"f"});
  auto* gemm = b.node("Gemm", {"f", "fc", "fc_b"}, {"y"}, "fc");
  OnnxBuilder::attr_int(gemm, "transB", 1);
  b.output("y");
  return b;
}

// PyTorch's pre-17 LayerNorm export with a symbolic batch, then MatMul + Softmax.
OnnxBuilder decomposed_layer_norm() {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 8}, onnx::TensorProto::FLOAT, {"batch"});
  b.initializer("two", {}, {2}).initializer("eps", {}, {1e-5f});
  b.initializer("gamma", {8}, ramp(8, 1)).initializer("beta", {8}, ramp(8));
  b.initializer("proj", {8, 4}, ramp(32));
  OnnxBuilder::attr_ints(b.node("ReduceMean", {"x"}, {"m"}), "axes", {-1});
  b.node("Sub", {"x", "m"}, {"d"});
  b.node("Pow", {"d", "two"}, {"sq"});
  OnnxBuilder::attr_ints(b.node("ReduceMean", {"sq"}, {"v"}), "axes", {-1});
  b.node("Add", {"v", "eps"}, {"ve"});
  b.node("Sqrt", {"ve"}, {"s"});
  b.node("Div", {"d", "s"}, {"n"});
  b.node("Mul", {"n", "gamma"}, {"g"});
  b.node("Add", {"g", "beta"}, {"ln"});
  b.node("MatMul", {"ln", "proj"}, {"mm"});
  OnnxBuilder::attr_int(b.node("Softmax", {"mm"}, {"y"}), "axis", -1);
  b.output("y");
  return b;
}

// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Transpose, Slice.
OnnxBuilder shape_subgraph() {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  b.initializer_i64("zero", {}, {0}).initializer_i64("minus1", {1}, {-1});
  b.initializer_i64("starts", {1}, {1}).initializer_i64("ends", {1}, {3});
  b.initializer_i64("axes0", {1}, {0});
  b.node("Shape", {"x"}, {"shape"});
  b.node("Gather", {"shape", "zero"}, {"n"});
  b.node("Unsqueeze", {"n", "axes0"}, {"n1"});
  OnnxBuilder::attr_int(b.node("Concat", {"n1", "minus1"}, {"target"}), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"flat"});
  OnnxBuilder::attr_ints(b.node("Transpose", {"flat"}, {"t"}), "perm", {1, 0});
  b.node("Slice", {"t", "starts", "ends", "axes0"}, {"y"});
  b.output("y");
  return b;
}

// The opset-17/18 norm ops and LRN.
OnnxBuilder norm_ops() {
  OnnxBuilder b(18);
  b.input("x", {1, 4, 3, 3});
  b.initializer("s4", {4}, ramp(4, 1)).initializer("b4", {4}, ramp(4));
  b.initializer("s2", {2}, {1, 2}).initializer("b2", {2}, {0, 1});
  b.initializer("s3", {3}, {1, 1, 1}).initializer("b3", {3}, {0, 0, 0});
  b.node("InstanceNormalization", {"x", "s4", "b4"}, {"in"});
  OnnxBuilder::attr_int(b.node("GroupNormalization", {"in", "s2", "b2"}, {"gn"}), "num_groups", 2);
  OnnxBuilder::attr_int(b.node("LRN", {"gn"}, {"lrn"}), "size", 3);
  b.node("LayerNormalization", {"lrn", "s3", "b3"}, {"y", "mean", "inv_std"});
  b.output("y").output("mean").output("inv_std");
  return b;
}

// Residual Add + RMSNorm written out, and com.microsoft SkipLayerNormalization.
OnnxBuilder skip_norms() {
  OnnxBuilder b(17);
  auto* ms = b.model().add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  b.input("x", {2, 4}).input("skip", {2, 4});
  b.initializer("g", {4}, ramp(4, 1)).initializer("beta", {4}, ramp(4));
  b.initializer("two", {}, {2}).initializer("eps", {}, {1e-6f});
  b.node("Add", {"x", "skip"}, {"s"});
  b.node("Pow", {"s", "two"}, {"sq"});
  OnnxBuilder::attr_ints(b.node("ReduceMean", {"sq"}, {"ms"}), "axes", {-1});
  b.node("Add", {"ms", "eps"}, {"mse"});
  b.node("Sqrt", {"mse"}, {"rms"});
  b.node("Div", {"s", "rms"}, {"n"});
  b.node("Mul", {"n", "g"}, {"rmsnorm"});
  b.node("SkipLayerNormalization", {"rmsnorm", "skip", "g", "beta"}, {"y"}, "sln", "com.microsoft");
  b.output("y");
  return b;
}

// ConvTranspose + BN, Resize, Concat, elementwise with broadcasting.
OnnxBuilder upsample() {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 3, 3});
  b.initializer("w", {2, 2, 2, 2}, ramp(16)).initializer("one2", {2}, {1, 1});
  b.initializer("zero2", {2}, {0, 0}).initializer("scales", {4}, {1, 1, 2, 2});
  auto* ct = b.node("ConvTranspose", {"x", "w"}, {"ct"});
  OnnxBuilder::attr_ints(ct, "strides", {2, 2});
  b.node("BatchNormalization", {"ct", "one2", "zero2", "zero2", "one2"}, {"bn"});
  b.node("Resize", {"x", "", "scales"}, {"up"});
  OnnxBuilder::attr_int(b.node("Concat", {"bn", "up"}, {"cat"}), "axis", 1);
  b.node("Sigmoid", {"cat"}, {"sg"});
  b.node("Mul", {"cat", "sg"}, {"y"});
  b.output("y");
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seed_corpus OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  const std::pair<const char*, std::function<OnnxBuilder()>> seeds[] = {
      {"conv_bn", conv_bn},       {"decomposed_layer_norm", decomposed_layer_norm},
      {"shape_subgraph", shape_subgraph}, {"norm_ops", norm_ops},
      {"skip_norms", skip_norms}, {"upsample", upsample}};
  for (const auto& [name, make] : seeds) {
    std::ofstream out(dir / (std::string(name) + ".onnx"), std::ios::binary);
    out << make().bytes();
    if (!out) {
      std::fprintf(stderr, "make_seed_corpus: cannot write %s\n", name);
      return 1;
    }
  }
  return 0;
}
