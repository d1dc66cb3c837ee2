// BatchNormalization folding: every guard of DESIGN.md section 5, checked on
// the rewritten graph's structure and on its outputs against the unoptimized
// graph run by the same Session.
#include <gtest/gtest.h>

#include "normrt/error.hpp"
#include "passes_test_util.hpp"

namespace normrt::rt::testing {
namespace {

// A BN over `channels` with fixed-seed parameters (var in [0.5, 2]).
Value* batch_norm(GraphBuilder& b, Value* x, int64_t channels, const Dims& out_dims,
                  unsigned seed, std::map<std::string, Attribute> attrs = {}) {
  const std::string p = "bn" + std::to_string(seed);
  return b.op("BatchNormalization",
              {x, b.random(p + ".scale", {channels}, seed + 1, 0.5f, 1.5f),
               b.random(p + ".B", {channels}, seed + 2), b.random(p + ".mean", {channels}, seed + 3),
               b.random(p + ".var", {channels}, seed + 4, 0.5f, 2.0f)},
              out_dims, std::move(attrs));
}

PassReport expect_folded(const Build& build, const Inputs& inputs, int folded) {
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 0) << op_list(*g) << "\n" << report.str();
  EXPECT_EQ(int(report.count("bn-fold")), folded) << report.str();
  EXPECT_EQ(report.count("bn-left"), 0u) << report.str();
  // Output tolerance: folding rounds W * scale once instead of rounding the
  // conv result and the BN separately; with |x|, |W| <= 1 and <= 100 terms
  // per output the two orders differ by a few fp32 ulps of values <= ~10.
  expect_same_outputs(build, inputs, 1e-4, 1e-4);
  return report;
}

// Conv -> BN with the given weight shape, group and optional bias.
Build conv_bn(const Dims& x_dims, const Dims& w_dims, int64_t group, bool bias, const Dims& y_dims) {
  return [=] {
    GraphBuilder b;
    Value* x = b.input("x", x_dims);
    std::vector<Value*> in = {x, b.random("W", w_dims, 7)};
    if (bias) in.push_back(b.random("Bias", {w_dims[0]}, 8));
    std::vector<int64_t> pads(2 * (x_dims.size() - 2), 1);
    Value* c = b.op("Conv", in, y_dims, {{"group", group}, {"pads", pads}});
    b.output(batch_norm(b, c, y_dims[1], y_dims, 10));
    return b.take();
  };
}

TEST(PassesBnFold, ConvWithBias) {
  auto build = conv_bn({1, 4, 6, 6}, {8, 4, 3, 3}, 1, true, {1, 8, 6, 6});
  expect_folded(build, {{"x", random_tensor({1, 4, 6, 6}, 1)}}, 1);
  auto [g, report] = optimized(build, PassOptions::deployment());
  ASSERT_EQ(g->nodes().size(), 1u);
  EXPECT_EQ(g->outputs[0]->name, "BatchNormalization_out");  // graph output keeps its name
  EXPECT_EQ(g->values().size(), 4u) << "x, W, Bias and y: BN parameters dropped";
}

TEST(PassesBnFold, ConvWithoutBiasGetsOne) {
  auto build = conv_bn({2, 3, 5, 5}, {6, 3, 3, 3}, 1, false, {2, 6, 5, 5});
  expect_folded(build, {{"x", random_tensor({2, 3, 5, 5}, 2)}}, 1);
  auto [g, report] = optimized(build, PassOptions::deployment());
  const Node* conv = find_op(*g, "Conv");
  ASSERT_NE(conv, nullptr);
  ASSERT_EQ(conv->inputs.size(), 3u);
  ASSERT_TRUE(conv->inputs[2]->constant);
  EXPECT_EQ(conv->inputs[2]->constant->dims(), Dims{6});
}

TEST(PassesBnFold, GroupedConv) {
  expect_folded(conv_bn({1, 6, 5, 5}, {4, 3, 3, 3}, 2, true, {1, 4, 5, 5}),
                {{"x", random_tensor({1, 6, 5, 5}, 3)}}, 1);
}

TEST(PassesBnFold, DepthwiseConv) {
  expect_folded(conv_bn({1, 8, 6, 6}, {8, 1, 3, 3}, 8, true, {1, 8, 6, 6}),
                {{"x", random_tensor({1, 8, 6, 6}, 4)}}, 1);
}

TEST(PassesBnFold, Conv1dAnd3d) {
  expect_folded(conv_bn({2, 3, 9}, {5, 3, 3}, 1, true, {2, 5, 9}), {{"x", random_tensor({2, 3, 9}, 5)}}, 1);
  expect_folded(conv_bn({1, 2, 4, 4, 4}, {4, 2, 3, 3, 3}, 1, false, {1, 4, 4, 4, 4}),
                {{"x", random_tensor({1, 2, 4, 4, 4}, 6)}}, 1);
}

TEST(PassesBnFold, ConvTransposeWithGroupsScalesAxisOnePerGroup) {
  // Cin 4, groups 2, Cout/g 3: weight [4, 3, 2, 2], 6 output channels.
  Build build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 4, 3, 3});
    Value* c = b.op("ConvTranspose", {x, b.random("W", {4, 3, 2, 2}, 11), b.random("Bias", {6}, 12)},
                    {1, 6, 4, 4}, {{"group", int64_t(2)}});
    b.output(batch_norm(b, c, 6, {1, 6, 4, 4}, 20));
    return b.take();
  };
  expect_folded(build, {{"x", random_tensor({1, 4, 3, 3}, 13)}}, 1);
}

Build gemm_bn(bool trans_b, bool with_c) {
  return [=] {
    GraphBuilder b;
    Value* a = b.input("a", {3, 5});
    std::vector<Value*> in = {a, b.random("B", trans_b ? Dims{4, 5} : Dims{5, 4}, 21)};
    if (with_c) in.push_back(b.random("C", {4}, 22));
    Value* y = b.op("Gemm", in, {3, 4},
                    {{"transB", int64_t(trans_b)}, {"alpha", 0.5f}, {"beta", 2.0f}});
    b.output(batch_norm(b, y, 4, {3, 4}, 30));
    return b.take();
  };
}

TEST(PassesBnFold, GemmWithTransBAlphaBeta) {
  expect_folded(gemm_bn(true, true), {{"a", random_tensor({3, 5}, 23)}}, 1);
  expect_folded(gemm_bn(false, true), {{"a", random_tensor({3, 5}, 24)}}, 1);
  expect_folded(gemm_bn(true, false), {{"a", random_tensor({3, 5}, 25)}}, 1);
}

TEST(PassesBnFold, MatMulGetsBiasAdd) {
  Build build = [] {
    GraphBuilder b;
    Value* y = b.op("MatMul", {b.input("a", {3, 5}), b.random("W", {5, 4}, 31)}, {3, 4});
    b.output(batch_norm(b, y, 4, {3, 4}, 40));
    return b.take();
  };
  expect_folded(build, {{"a", random_tensor({3, 5}, 32)}}, 1);
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(op_list(*g), "MatMul Add");
}

TEST(PassesBnFold, MatMulBiasAddAbsorbsShift) {
  Build build = [] {
    GraphBuilder b;
    Value* y = b.op("MatMul", {b.input("a", {3, 5}), b.random("W", {5, 4}, 33)}, {3, 4});
    y = b.op("Add", {y, b.random("bias", {4}, 34)}, {3, 4});
    b.output(batch_norm(b, y, 4, {3, 4}, 50));
    return b.take();
  };
  expect_folded(build, {{"a", random_tensor({3, 5}, 35)}}, 1);
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(op_list(*g), "MatMul Add");
}

TEST(PassesBnFold, MatMulWithRank3OutputIsNotFolded) {
  // BN normalizes axis 1 (the sequence), the MatMul's channels are axis 2.
  Build build = [] {
    GraphBuilder b;
    Value* y = b.op("MatMul", {b.input("a", {2, 4, 5}), b.random("W", {5, 4}, 36)}, {2, 4, 4});
    b.output(batch_norm(b, y, 4, {2, 4, 4}, 60));
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 1);
  EXPECT_NE(report.str().find("rank 3"), std::string::npos) << report.str();
}

TEST(PassesBnFold, SharedWeightIsClonedNotScaledInPlace) {
  Build build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 5, 5});
    Value* w = b.random("W", {4, 3, 3, 3}, 41);
    Value* c1 = b.op("Conv", {x, w}, {1, 4, 3, 3});
    Value* c2 = b.op("Conv", {x, w}, {1, 4, 3, 3});
    b.output(batch_norm(b, c1, 4, {1, 4, 3, 3}, 70));
    b.output(batch_norm(b, c2, 4, {1, 4, 3, 3}, 80));
    return b.take();
  };
  const PassReport report = expect_folded(build, {{"x", random_tensor({1, 3, 5, 5}, 42)}}, 2);
  EXPECT_NE(report.str().find("shared weight cloned"), std::string::npos) << report.str();
  auto [g, r] = optimized(build, PassOptions::deployment());
  ASSERT_EQ(count_ops(*g, "Conv"), 2);
  EXPECT_NE(g->nodes()[0]->inputs[1], g->nodes()[1]->inputs[1]);
  // The original bytes were never written: the first weight of the fresh
  // graph equals the random tensor it was made from.
  auto fresh = build();
  const Tensor original = random_tensor({4, 3, 3, 3}, 41);
  const Tensor& w = *fresh->find_value("W")->constant;
  for (int64_t i = 0; i < w.size(); ++i) ASSERT_EQ(w.as<float>()[i], original.as<float>()[i]);
}

// Conv whose output also feeds a Relu: folding would change the Relu's input.
Build bn_after_shared_output() {
  return [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 5, 5});
    Value* c = b.op("Conv", {x, b.random("W", {4, 3, 3, 3}, 51)}, {1, 4, 3, 3});
    b.output(batch_norm(b, c, 4, {1, 4, 3, 3}, 90));
    b.output(b.op("Relu", {c}, {1, 4, 3, 3}));
    return b.take();
  };
}

TEST(PassesBnFold, ProducerWithTwoConsumersIsNotFolded) {
  auto [g, report] = optimized(bn_after_shared_output(), PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 1);
  EXPECT_EQ(report.count("bn-fold"), 0u);
  EXPECT_NE(report.str().find("also feeds other nodes"), std::string::npos) << report.str();
  // Execution turns it into the per-channel scale/shift op instead.
  auto [e, exec_report] = optimized(bn_after_shared_output(), PassOptions::execution());
  EXPECT_EQ(count_ops(*e, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(*e, "ChannelAffine", "normrt"), 1) << op_list(*e);
  expect_same_outputs(bn_after_shared_output(), {{"x", random_tensor({1, 3, 5, 5}, 52)}});
}

Build bn_before_conv() {
  return [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 5, 5});
    Value* n = batch_norm(b, x, 3, {1, 3, 5, 5}, 100);
    b.output(b.op("Conv", {n, b.random("W", {4, 3, 3, 3}, 61)}, {1, 4, 5, 5},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
    return b.take();
  };
}

TEST(PassesBnFold, BatchNormBeforeConvIsNotFoldedThroughPadding) {
  auto [d, report] = optimized(bn_before_conv(), PassOptions::deployment());
  EXPECT_EQ(count_ops(*d, "BatchNormalization"), 1) << "fold output keeps standard ONNX ops";
  EXPECT_EQ(count_ops(*d, "ChannelAffine", "normrt"), 0);
  EXPECT_NE(report.str().find("zero padding"), std::string::npos) << report.str();
  auto [e, exec_report] = optimized(bn_before_conv(), PassOptions::execution());
  EXPECT_EQ(count_ops(*e, "ChannelAffine", "normrt"), 1) << op_list(*e);
  EXPECT_EQ(exec_report.count("bn-left"), 1u);
  expect_same_outputs(bn_before_conv(), {{"x", random_tensor({1, 3, 5, 5}, 62)}});
}

TEST(PassesBnFold, TrainingModeAndNonConstantParametersStay) {
  Build training = [] {
    GraphBuilder b(15);
    Value* x = b.input("x", {2, 3, 4, 4});
    Value* c = b.op("Conv", {x, b.random("W", {3, 3, 1, 1}, 71)}, {2, 3, 4, 4});
    b.output(batch_norm(b, c, 3, {2, 3, 4, 4}, 110, {{"training_mode", int64_t(1)}}));
    return b.take();
  };
  auto [t, tr] = optimized(training, PassOptions::execution());
  EXPECT_EQ(count_ops(*t, "BatchNormalization"), 1);
  EXPECT_NE(tr.str().find("training_mode=1"), std::string::npos) << tr.str();

  Build dynamic_scale = [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 4, 4});
    Value* scale = b.input("scale", {3});
    Value* c = b.op("Conv", {x, b.random("W", {3, 3, 1, 1}, 72)}, {1, 3, 4, 4});
    b.output(b.op("BatchNormalization",
                  {c, scale, b.random("B", {3}, 73), b.random("mean", {3}, 74),
                   b.random("var", {3}, 75, 0.5f, 1.0f)},
                  {1, 3, 4, 4}));
    return b.take();
  };
  auto [s, sr] = optimized(dynamic_scale, PassOptions::execution());
  EXPECT_EQ(count_ops(*s, "BatchNormalization"), 1);
  EXPECT_NE(sr.str().find("scale is not a float32 constant"), std::string::npos) << sr.str();
}

TEST(PassesBnFold, ProducerOutputThatIsAGraphOutputIsNotFolded) {
  Build build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 4, 4});
    Value* c = b.op("Conv", {x, b.random("W", {3, 3, 1, 1}, 81)}, {1, 3, 4, 4});
    b.output(c);
    b.output(batch_norm(b, c, 3, {1, 3, 4, 4}, 120));
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 1);
  EXPECT_NE(report.str().find("graph output"), std::string::npos) << report.str();
}

TEST(PassesBnFold, ChannelMismatchIsReportedNotAsserted) {
  Build build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 4, 4});
    Value* c = b.op("Conv", {x, b.random("W", {4, 3, 1, 1}, 91)}, {1, 4, 4, 4});
    b.output(batch_norm(b, c, 3, {1, 4, 4, 4}, 130));  // 3 channels for a 4-channel tensor
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 1);
  EXPECT_EQ(report.count("bn-left"), 1u) << report.str();
}

}  // namespace
}  // namespace normrt::rt::testing
