// ONNX's function expansion of LayerNormalization (what the `_expanded`
// conformance models hold): fused into one LayerNormalization with its Mean /
// InvStdDev outputs, computing the same as the unfused graph; near misses stay.
#include <gtest/gtest.h>

#include "passes_test_util.hpp"

namespace normrt::rt::testing {
namespace {

struct Expanded {
  bool params_are_inputs = true;  // W, B graph inputs behind Flatten(., 0); else folded [1, N] constants
  bool with_bias = true;
  bool stats = true;        // Mean and InvStdDev are graph outputs
  int64_t cast_to = 1;      // near miss: 11 (double) changes the arithmetic
  bool expose_var = false;  // near miss: Var is also a graph output
};

// LayerNormalization(axis = 1) of x [2, 3, 4], as ONNX 1.12 expands it, after
// constant folding (Shape(X) -> [2, 3, 4], the reduced shape -> [2, 1, 1]).
Build expanded_layer_norm(Expanded v) {
  return [=] {
    const Dims xd = {2, 3, 4}, flat = {2, 12}, col = {2, 1}, row = {1, 12};
    GraphBuilder b(17);
    Value* x = b.input("X", xd);
    Value* w = v.params_are_inputs ? b.op("Flatten", {b.input("W", {3, 4})}, row, {{"axis", int64_t(0)}})
                                   : b.random("W2D", row, 5);
    Value* bias = nullptr;
    if (v.with_bias)
      bias = v.params_are_inputs ? b.op("Flatten", {b.input("B", {3, 4})}, row, {{"axis", int64_t(0)}})
                                 : b.random("B2D", row, 6);
    Value* xu = b.op("Cast", {b.op("Flatten", {x}, flat, {{"axis", int64_t(1)}})}, flat,
                     {{"to", v.cast_to}});
    const std::map<std::string, Attribute> axes = {{"axes", std::vector<int64_t>{1}}};
    Value* mean = b.op("ReduceMean", {xu}, col, axes);
    Value* mean_sq = b.op("ReduceMean", {b.op("Mul", {xu, xu}, flat)}, col, axes);
    Value* var = b.op("Sub", {mean_sq, b.op("Mul", {mean, mean}, col)}, col);
    Value* std_dev = b.op("Sqrt", {b.op("Add", {var, b.scalar("eps", 1e-3f)}, col)}, col);
    Value* normalized = b.op("Div", {b.op("Sub", {xu, mean}, flat), std_dev}, flat);
    Value* y = b.op("Mul", {b.op("Cast", {normalized}, flat, {{"to", int64_t(1)}}), w}, flat);
    if (bias) y = b.op("Add", {y, bias}, flat);
    b.output(b.op("Reshape", {y, b.constant("XShape", int_values(xd))}, xd));
    if (v.stats) {
      Value* reduced = b.constant("ReducedShape", int_values({2, 1, 1}));
      b.output(b.op("Reshape", {mean, reduced}, {2, 1, 1}));
      b.output(b.op("Reshape", {b.op("Reciprocal", {std_dev}, col), reduced}, {2, 1, 1}));
    }
    if (v.expose_var) b.output(var);
    return b.take();
  };
}

Inputs inputs_for(const Expanded& v) {
  // A mean of 4 with spread 1: fused and unfused agree to float rounding.
  Inputs in = {{"X", random_tensor({2, 3, 4}, 1, 3.0f, 5.0f)}};
  if (v.params_are_inputs) {
    in.push_back({"W", random_tensor({3, 4}, 2)});
    if (v.with_bias) in.push_back({"B", random_tensor({3, 4}, 3)});
  }
  return in;
}

void expect_fused(const Expanded& v) {
  auto build = expanded_layer_norm(v);
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "LayerNormalization") << report.str();
  const Node& ln = *g->nodes()[0];
  EXPECT_EQ(ln.attr_int("axis", -1), 1);
  EXPECT_FLOAT_EQ(ln.attr_float("epsilon", 0.0f), 1e-3f);
  EXPECT_EQ(ln.inputs.size(), v.with_bias ? 3u : 2u);
  EXPECT_EQ(ln.outputs.size(), v.stats ? 3u : 1u);
  if (v.params_are_inputs) {
    EXPECT_EQ(ln.inputs[1]->name, "W");
  }
  EXPECT_EQ(report.count("layer-norm-fusion"), 1u);
  // Unfused E[x^2] - E[x]^2 vs the centred kernel: a few float ulps apart here.
  expect_same_outputs(build, inputs_for(v), 1e-4, 1e-5);
}

TEST(PassesExpandedLayerNorm, WithStatisticsBecomesOneOp) { expect_fused({}); }

TEST(PassesExpandedLayerNorm, ConstantParamsWithoutBiasOrStatistics) {
  Expanded v;
  v.params_are_inputs = false;
  v.with_bias = false;
  v.stats = false;
  expect_fused(v);
}

TEST(PassesExpandedLayerNorm, NearMissesStay) {
  for (bool cast_double : {false, true}) {
    Expanded v;
    v.cast_to = cast_double ? 11 : 1;
    v.expose_var = !cast_double;
    auto [g, report] = optimized(expanded_layer_norm(v), PassOptions::execution());
    EXPECT_EQ(count_ops(*g, "LayerNormalization"), 0) << report.str();
    EXPECT_EQ(report.count("layer-norm-fusion"), 0u);
  }
}

}  // namespace
}  // namespace normrt::rt::testing
