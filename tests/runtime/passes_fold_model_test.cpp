// `normrt fold` end to end: an ONNX model written with the protobuf API ->
// fold_model -> a file that passes onnx::checker, keeps its names, has no
// BN left where one can fold, no dead initializers, no non-standard ops,
// and computes what the original computes.
#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "normrt/error.hpp"
#include "onnx/loader.hpp"
#include "onnx_builder.hpp"
#include "passes/fold_model.hpp"

namespace normrt::rt::testing {
namespace {

std::vector<float> randoms(std::size_t n, unsigned seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void add_batch_norm(OnnxBuilder& b, const std::string& in, const std::string& out, int64_t c,
                    unsigned seed) {
  const auto n = std::size_t(c);
  const std::string p = out + ".";
  b.initializer(p + "scale", {c}, randoms(n, seed, 0.5f, 1.5f));
  b.initializer(p + "B", {c}, randoms(n, seed + 1, -1.0f, 1.0f));
  b.initializer(p + "mean", {c}, randoms(n, seed + 2, -1.0f, 1.0f));
  b.initializer(p + "var", {c}, randoms(n, seed + 3, 0.5f, 2.0f));
  b.node("BatchNormalization", {in, p + "scale", p + "B", p + "mean", p + "var"}, {out}, out);
}

// x -> BN (before a conv: stays) -> Conv -> BN -> Relu -> depthwise Conv (no
// bias) -> BN -> GlobalAveragePool -> Flatten -> Gemm(transB) -> BN -> y
std::string small_cnn() {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 8, 8}, onnx::TensorProto::FLOAT, {"batch"});
  add_batch_norm(b, "x", "bn0", 3, 10);
  b.initializer("W1", {8, 3, 3, 3}, randoms(8 * 27, 1, -1.0f, 1.0f));
  b.initializer("B1", {8}, randoms(8, 2, -1.0f, 1.0f));
  OnnxBuilder::attr_ints(b.node("Conv", {"bn0", "W1", "B1"}, {"c1"}, "conv1"), "pads", {1, 1, 1, 1});
  add_batch_norm(b, "c1", "bn1", 8, 20);
  b.node("Relu", {"bn1"}, {"r1"}, "relu1");
  b.initializer("W2", {8, 1, 3, 3}, randoms(8 * 9, 3, -1.0f, 1.0f));
  auto* dw = b.node("Conv", {"r1", "W2"}, {"c2"}, "dwconv");
  OnnxBuilder::attr_int(dw, "group", 8);
  OnnxBuilder::attr_ints(dw, "pads", {1, 1, 1, 1});
  add_batch_norm(b, "c2", "bn2", 8, 30);
  b.node("GlobalAveragePool", {"bn2"}, {"p"}, "pool");
  b.node("Flatten", {"p"}, {"f"}, "flatten");
  b.initializer("Wg", {5, 8}, randoms(40, 4, -1.0f, 1.0f));
  OnnxBuilder::attr_int(b.node("Gemm", {"f", "Wg"}, {"g"}, "fc"), "transB", 1);
  add_batch_norm(b, "g", "y", 5, 40);
  b.output("y");
  return b.bytes();
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name)
      : path(::testing::TempDir() + "normrt_fold_" + name + ".onnx") {}
  ~TempFile() { std::remove(path.c_str()); }
};

TEST(PassesFoldModel, FoldsCheckerCleanAndVerified) {
  TempFile in("in"), out("out");
  {
    std::ofstream f(in.path, std::ios::binary);
    f << small_cnn();
  }
  const FoldModelResult r = fold_model(in.path, out.path);
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.report.count("bn-fold"), 3u) << r.report.str();
  EXPECT_EQ(r.report.count("bn-left"), 1u) << r.report.str();
  EXPECT_NE(r.report.str().find("graph input"), std::string::npos) << r.report.str();

  std::unique_ptr<Graph> g = load_model_file(out.path);
  std::string ops;
  for (const auto& n : g->nodes()) {
    EXPECT_TRUE(n->domain.empty()) << n->describe();
    ops += (ops.empty() ? "" : " ") + n->op_type;
  }
  EXPECT_EQ(ops, "BatchNormalization Conv Relu Conv GlobalAveragePool Flatten Gemm");
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0]->name, "x");
  ASSERT_EQ(g->outputs.size(), 1u);
  EXPECT_EQ(g->outputs[0]->name, "y");
  // Initializers: bn0's 4, W1 B1 W2 (+ its new bias) Wg C; every BN parameter of the folded BNs is gone.
  std::size_t constants = 0;
  for (const auto& [name, v] : g->values()) constants += v->constant ? 1 : 0;
  EXPECT_EQ(constants, 10u);
  EXPECT_EQ(g->find_value("bn1.mean"), nullptr);
}

TEST(PassesFoldModel, MissingInputFileIsAnError) {
  TempFile out("never");
  EXPECT_THROW(fold_model("/nonexistent/model.onnx", out.path), Error);
}

}  // namespace
}  // namespace normrt::rt::testing
