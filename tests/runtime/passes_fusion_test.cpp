// Norm pattern fusion, epilogues and constant folding: the decomposed
// subgraphs exporters write become one op (structure), compute the same
// (Session with passes off vs on), and near misses stay untouched.
#include <gtest/gtest.h>

#include <algorithm>

#include "passes_test_util.hpp"

namespace normrt::rt::testing {
namespace {

const std::vector<int64_t> kLast = {-1};

struct LayerNormVariant {
  bool mul_square = false;  // Mul(d, d) instead of Pow(d, 2)
  bool reciprocal = false;  // Mul(d, Reciprocal(Sqrt)) instead of Div(d, Sqrt)
  bool affine = true;
  std::vector<int64_t> axes = kLast;
  bool eps_is_input = false;   // near miss: eps not a constant
  bool expose_diff = false;    // near miss: d = x - mean is also a graph output
};

// PyTorch's LayerNorm export before opset 17, on x [2, 5, 8].
Build decomposed_layer_norm(LayerNormVariant v, int opset = 13) {
  return [=] {
    const Dims xd = {2, 5, 8}, md = {2, 5, 1};
    GraphBuilder b(opset);
    Value* x = b.input("x", xd);
    Value* m = b.op("ReduceMean", {x}, md, {{"axes", v.axes}});
    Value* d = b.op("Sub", {x, m}, xd);
    Value* sq = v.mul_square ? b.op("Mul", {d, d}, xd) : b.op("Pow", {d, b.scalar("two", 2.0f)}, xd);
    Value* var = b.op("ReduceMean", {sq}, md, {{"axes", v.axes}});
    Value* eps = v.eps_is_input ? b.input("eps", {}) : b.scalar("eps", 1e-5f);
    Value* s = b.op("Sqrt", {b.op("Add", {var, eps}, md)}, md);
    Value* n = v.reciprocal ? b.op("Mul", {d, b.op("Reciprocal", {s}, md)}, xd) : b.op("Div", {d, s}, xd);
    if (v.affine) {
      n = b.op("Mul", {n, b.random("gamma", {8}, 3)}, xd);
      n = b.op("Add", {n, b.random("beta", {8}, 4)}, xd);
    }
    b.output(n);
    if (v.expose_diff) b.output(d);
    return b.take();
  };
}

Inputs row_inputs() { return {{"x", random_tensor({2, 5, 8}, 1, -3.0f, 5.0f)}}; }

TEST(PassesFusion, LayerNormBecomesOneOp) {
  auto build = decomposed_layer_norm({});
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(op_list(*g), "normrt.LayerNormalization") << report.str();
  EXPECT_EQ(g->nodes()[0]->attr_int("axis", 0), 2);
  EXPECT_EQ(report.count("layer-norm-fusion"), 1u);
  expect_same_outputs(build, row_inputs());
}

TEST(PassesFusion, LayerNormVariantsAtOpset17UseTheStandardOp) {
  LayerNormVariant v;
  v.mul_square = true;
  v.reciprocal = true;
  v.affine = false;
  auto build = decomposed_layer_norm(v, 17);
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(op_list(*g), "LayerNormalization") << report.str();
  expect_same_outputs(build, row_inputs());
}

TEST(PassesFusion, LayerNormNearMissesStay) {
  LayerNormVariant not_trailing;
  not_trailing.axes = {1};
  LayerNormVariant dynamic_eps;
  dynamic_eps.eps_is_input = true;
  LayerNormVariant exposed;
  exposed.expose_diff = true;
  for (const auto& v : {not_trailing, dynamic_eps}) {
    auto [g, report] = optimized(decomposed_layer_norm(v), PassOptions::execution());
    EXPECT_EQ(count_ops(*g, "LayerNormalization", "normrt"), 0) << op_list(*g);
    EXPECT_EQ(count_ops(*g, "ReduceMean"), 2) << op_list(*g);
  }
  // With d = x - mean exposed, only the part after d is a norm: an RMSNorm of d.
  auto [g, report] = optimized(decomposed_layer_norm(exposed), PassOptions::execution());
  EXPECT_EQ(op_list(*g), "ReduceMean Sub normrt.RMSNormalization Add") << report.str();
  expect_same_outputs(decomposed_layer_norm(exposed), row_inputs());
}

// LLaMA's RMSNorm: x * Reciprocal(Sqrt(mean(x^2) + eps)) * weight; x also feeds a residual.
Build decomposed_rms_norm(bool reciprocal, int opset = 13) {
  return [=] {
    const Dims xd = {3, 16}, md = {3, 1};
    GraphBuilder b(opset);
    Value* x = b.input("x", xd);
    Value* var = b.op("ReduceMean", {b.op("Pow", {x, b.scalar("two", 2.0f)}, xd)}, md, {{"axes", kLast}});
    Value* s = b.op("Sqrt", {b.op("Add", {var, b.scalar("eps", 1e-6f)}, md)}, md);
    Value* n = reciprocal ? b.op("Mul", {x, b.op("Reciprocal", {s}, md)}, xd) : b.op("Div", {x, s}, xd);
    n = b.op("Mul", {b.random("weight", {16}, 5), n}, xd);
    b.output(b.op("Add", {n, x}, xd));
    return b.take();
  };
}

TEST(PassesFusion, RmsNormBecomesOneOp) {
  const Inputs in = {{"x", random_tensor({3, 16}, 2)}};
  for (bool reciprocal : {true, false}) {
    auto build = decomposed_rms_norm(reciprocal);
    auto [g, report] = optimized(build, PassOptions::execution());
    EXPECT_EQ(op_list(*g), "normrt.RMSNormalization Add") << report.str();
    expect_same_outputs(build, in);
  }
  auto [g23, r23] = optimized(decomposed_rms_norm(true, 23), PassOptions::execution());
  EXPECT_EQ(count_ops(*g23, "RMSNormalization"), 1) << op_list(*g23);
}

TEST(PassesFusion, RmsNormWithNonTrailingAxesStays) {
  Build build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {3, 16});
    Value* var = b.op("ReduceMean", {b.op("Mul", {x, x}, {3, 16})}, {1, 16},
                      {{"axes", std::vector<int64_t>{0}}});
    Value* s = b.op("Sqrt", {b.op("Add", {var, b.scalar("eps", 1e-6f)}, {1, 16})}, {1, 16});
    b.output(b.op("Div", {x, s}, {3, 16}));
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(report.count("rms-norm-fusion"), 0u) << op_list(*g);
}

// PyTorch's GroupNorm export: Reshape -> InstanceNorm -> Reshape(Shape(x)) -> Mul -> Add [-> SiLU].
Build decomposed_group_norm(bool silu, bool shape_from_node) {
  return [=] {
    const Dims xd = {2, 6, 4, 4};
    GraphBuilder b;
    Value* x = b.input("x", xd);
    Value* r = b.op("Reshape", {x, b.constant("split", int_values({0, 3, -1}))}, {2, 3, 32});
    Value* i = b.op("InstanceNormalization",
                    {r, b.constant("ones", float_values({3}, {1, 1, 1})),
                     b.constant("zeros", float_values({3}, {0, 0, 0}))},
                    {2, 3, 32}, {{"epsilon", 1e-5f}});
    Value* shape = shape_from_node ? b.op("Shape", {x}, {4}, {}, "", DType::i64)
                                   : b.constant("xshape", int_values(xd));
    Value* y = b.op("Reshape", {i, shape}, xd);
    y = b.op("Mul", {y, b.random("gamma", {6, 1, 1}, 6)}, xd);
    y = b.op("Add", {y, b.random("beta", {6, 1, 1}, 7)}, xd);
    if (silu) y = b.op("Mul", {y, b.op("Sigmoid", {y}, xd)}, xd);
    b.output(y);
    return b.take();
  };
}

TEST(PassesFusion, GroupNormBecomesOneOp) {
  const Inputs in = {{"x", random_tensor({2, 6, 4, 4}, 8, -2.0f, 4.0f)}};
  auto build = decomposed_group_norm(false, true);
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(op_list(*g), "normrt.GroupNormalization") << report.str();
  EXPECT_EQ(g->nodes()[0]->attr_int("num_groups", 0), 3);
  expect_same_outputs(build, in);
}

TEST(PassesFusion, GroupNormSiluBecomesTheActivationAttribute) {
  const Inputs in = {{"x", random_tensor({2, 6, 4, 4}, 9)}};
  auto build = decomposed_group_norm(true, false);
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "normrt.GroupNormalization") << report.str();
  EXPECT_EQ(g->nodes()[0]->attr_string("activation", ""), "silu");
  expect_same_outputs(build, in);
}

TEST(PassesFusion, InstanceNormWithRealAffineIsNotGroupNorm) {
  Build build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {1, 4, 3, 3});
    Value* r = b.op("Reshape", {x, b.constant("split", int_values({0, 2, -1}))}, {1, 2, 18});
    Value* i = b.op("InstanceNormalization",
                    {r, b.constant("s", float_values({2}, {2, 1})), b.constant("z", float_values({2}, {0, 0}))},
                    {1, 2, 18});
    b.output(b.op("Reshape", {i, b.constant("back", int_values({1, 4, 3, 3}))}, {1, 4, 3, 3}));
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(report.count("group-norm-fusion"), 0u);
  EXPECT_EQ(count_ops(*g, "InstanceNormalization"), 1) << op_list(*g);
}

// Transformer residual: s = a + b; y = LayerNorm(s); s also feeds the next residual.
Build residual_layer_norm(bool sum_used) {
  return [=] {
    const Dims xd = {2, 4, 8};
    GraphBuilder b(17);
    Value* a = b.input("a", xd);
    Value* h = b.op("Relu", {b.input("b", xd)}, xd);
    Value* s = b.op("Add", {a, h}, xd);
    Value* y = b.op("LayerNormalization", {s, b.random("gamma", {8}, 10), b.random("beta", {8}, 11)},
                    xd, {{"axis", int64_t(-1)}, {"epsilon", 1e-5f}});
    b.output(y);
    if (sum_used) b.output(b.op("Mul", {s, b.scalar("half", 0.5f)}, xd));
    return b.take();
  };
}

TEST(PassesFusion, ResidualAddAndLayerNormBecomeSkipLayerNorm) {
  const Inputs in = {{"a", random_tensor({2, 4, 8}, 12)}, {"b", random_tensor({2, 4, 8}, 13)}};
  for (bool sum_used : {false, true}) {
    auto build = residual_layer_norm(sum_used);
    auto [g, report] = optimized(build, PassOptions::execution());
    const Node* skip = find_op(*g, "SkipLayerNormalization", "com.microsoft");
    ASSERT_NE(skip, nullptr) << op_list(*g) << "\n" << report.str();
    EXPECT_EQ(count_ops(*g, "Add"), 0);
    EXPECT_EQ(skip->outputs.size() == 4 && skip->outputs[3] != nullptr, sum_used);
    expect_same_outputs(build, in);
  }
}

TEST(PassesFusion, DecomposedRmsNormAfterResidualBecomesSkipSimplified) {
  Build build = [] {
    GraphBuilder b;
    Value* s = b.op("Add", {b.input("a", {3, 16}), b.input("b", {3, 16})}, {3, 16});
    Value* var = b.op("ReduceMean", {b.op("Mul", {s, s}, {3, 16})}, {3, 1}, {{"axes", kLast}});
    Value* r = b.op("Sqrt", {b.op("Add", {var, b.scalar("eps", 1e-6f)}, {3, 1})}, {3, 1});
    b.output(b.op("Mul", {b.op("Div", {s, r}, {3, 16}), b.random("w", {16}, 14)}, {3, 16}));
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(op_list(*g), "com.microsoft.SkipSimplifiedLayerNormalization") << report.str();
  expect_same_outputs(build, {{"a", random_tensor({3, 16}, 15)}, {"b", random_tensor({3, 16}, 16)}});
}

// Conv [+ residual] + activation.
Build conv_with(const std::string& act, bool residual, bool conv_out_also_output = false) {
  return [=] {
    const Dims yd = {1, 4, 5, 5};
    GraphBuilder b;
    Value* x = b.input("x", {1, 3, 5, 5});
    Value* y = b.op("Conv", {x, b.random("W", {4, 3, 3, 3}, 17), b.random("B", {4}, 18)}, yd,
                    {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    if (conv_out_also_output) b.output(y);
    if (residual) y = b.op("Add", {y, b.input("z", yd)}, yd);
    if (act == "relu") y = b.op("Relu", {y}, yd);
    if (act == "relu6") y = b.op("Clip", {y, b.scalar("lo", 0.0f), b.scalar("hi", 6.0f)}, yd);
    if (act == "silu") y = b.op("Mul", {b.op("Sigmoid", {y}, yd), y}, yd);
    b.output(y);
    return b.take();
  };
}

TEST(PassesFusion, ConvEpilogues) {
  const Inputs in = {{"x", random_tensor({1, 3, 5, 5}, 19, -3.0f, 3.0f)}};
  for (const char* act : {"relu", "relu6", "silu"}) {
    auto build = conv_with(act, false);
    auto [g, report] = optimized(build, PassOptions::execution());
    ASSERT_EQ(op_list(*g), "normrt.Conv") << act << "\n" << report.str();
    EXPECT_EQ(g->nodes()[0]->attr_string("activation", ""), std::string(act) == "relu6" ? "clip" : act);
    expect_same_outputs(build, in);
  }
  Inputs with_z = in;
  with_z.push_back({"z", random_tensor({1, 4, 5, 5}, 20)});
  auto build = conv_with("relu", true);
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "normrt.Conv") << report.str();
  EXPECT_EQ(g->nodes()[0]->inputs.size(), 4u);
  expect_same_outputs(build, with_z);
}

TEST(PassesFusion, ConvWhoseOutputIsAlsoAGraphOutputKeepsItsActivation) {
  auto [g, report] = optimized(conv_with("relu", false, true), PassOptions::execution());
  EXPECT_EQ(op_list(*g), "Conv Relu") << report.str();
}

TEST(PassesFusion, DeploymentModeDoesNotFuse) {
  auto [g, report] = optimized(decomposed_layer_norm({}), PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "ReduceMean"), 2);
  auto [c, cr] = optimized(conv_with("relu", false), PassOptions::deployment());
  EXPECT_EQ(op_list(*c), "Conv Relu");
}

// Exporters' dynamic reshape: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
Build shape_subgraph() {
  return [] {
    GraphBuilder b;
    Value* x = b.input("x", {2, 3, 4});
    Value* shape = b.op("Shape", {x}, {3}, {}, "", DType::i64);
    Value* n = b.op("Gather", {shape, b.constant("zero", int_values({0}))}, {1}, {{"axis", int64_t(0)}},
                    "", DType::i64);
    Value* target = b.op("Concat", {n, b.constant("rest", int_values({-1}))}, {2},
                         {{"axis", int64_t(0)}}, "", DType::i64);
    b.output(b.op("Relu", {b.op("Reshape", {x, target}, {2, 12})}, {2, 12}));
    return b.take();
  };
}

TEST(PassesConstantFolding, ShapeSubgraphBecomesAConstant) {
  auto [g, report] = optimized(shape_subgraph(), PassOptions::deployment());
  EXPECT_EQ(op_list(*g), "Reshape Relu") << report.str();
  EXPECT_EQ(report.count("constant-folding"), 3u);
  const Value* target = g->nodes()[0]->inputs[1];
  ASSERT_TRUE(target->constant);
  ASSERT_EQ(target->constant->size(), 2);
  EXPECT_EQ(target->constant->as<int64_t>()[0], 2);
  EXPECT_EQ(target->constant->as<int64_t>()[1], -1);
  EXPECT_EQ(g->values().size(), 4u) << "x, target, reshaped, y: dead constants dropped";
  // Reference: Relu of x, flattened to [2, 12].
  const Tensor x = random_tensor({2, 3, 4}, 21);
  const std::vector<Tensor> y = run_graph(shape_subgraph()(), true, {{"x", x}});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].dims(), (Dims{2, 12}));
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(y[0].as<float>()[i], std::max(0.0f, x.as<float>()[i]));
}

TEST(PassesConstantFolding, SymbolicShapeIsNotFolded) {
  auto build = [] {
    auto g = shape_subgraph()();
    (*g->find_value("x")->shape)[0] = Dim{-1, "batch"};
    return g;
  };
  auto [g, report] = optimized(build, PassOptions::deployment());
  EXPECT_EQ(report.count("constant-folding"), 0u);
  EXPECT_EQ(count_ops(*g, "Shape"), 1);
}

}  // namespace
}  // namespace normrt::rt::testing
