// MatMul epilogue fusion: Linear + bias + GELU(erf) / SiLU / Relu, attention
// scores (Transpose of K, Div by sqrt(d)) become one normrt.MatMul that
// computes what the unfused graph computes; near misses stay untouched.
#include <gtest/gtest.h>

#include <cmath>

#include "passes/rewrite.hpp"
#include "passes_test_util.hpp"

namespace normrt::rt::testing {
namespace {

// The activation written after MatMul(x [2, 4, 16], W [16, 8]) + bias.
enum class Act { none, gelu, gelu_half_first, gelu_mul, silu, relu };

struct LinearCase {
  Act act = Act::none;
  bool bias = true;
  Dims bias_dims = {8};
  float gelu_divisor = float(std::sqrt(2.0));  // near miss: anything else
  bool expose_matmul = false;                  // near miss: MatMul output is a graph output
  bool sigmoid_also_output = false;            // near miss: SiLU's Sigmoid read elsewhere
  bool unknown_shapes = false;  // MatMul and Add outputs undeclared (after a dynamic Reshape)
};

const Dims kX = {2, 4, 16}, kY = {2, 4, 8};

Build linear(LinearCase c) {
  return [=] {
    GraphBuilder b;
    Value* x = b.input("x", kX);
    Value* y = b.op("MatMul", {x, b.random("W", {16, 8}, 7)}, kY);
    if (c.expose_matmul) b.output(y);
    if (c.unknown_shapes) y->shape.reset();
    if (c.bias) {
      Dims out = kY;
      if (c.bias_dims.size() > kY.size()) out.insert(out.begin(), c.bias_dims[0]);
      y = b.op("Add", {b.random("bias", c.bias_dims, 8), y}, out);
      if (c.unknown_shapes) y->shape.reset();
    }
    const Dims yd = c.unknown_shapes ? Dims{} : *passes::static_shape(y);
    switch (c.act) {
      case Act::none: break;
      case Act::gelu: {  // PyTorch: y * (erf(y / sqrt 2) + 1) * 0.5
        Value* e = b.op("Erf", {b.op("Div", {y, b.scalar("sqrt2", c.gelu_divisor)}, yd)}, yd);
        Value* p = b.op("Add", {e, b.scalar("one", 1.0f)}, yd);
        y = b.op("Mul", {b.op("Mul", {y, p}, yd), b.scalar("half", 0.5f)}, yd);
        break;
      }
      case Act::gelu_half_first: {  // (0.5 * y) * (1 + erf(y / sqrt 2))
        Value* e = b.op("Erf", {b.op("Div", {y, b.scalar("sqrt2", c.gelu_divisor)}, yd)}, yd);
        Value* p = b.op("Add", {b.scalar("one", 1.0f), e}, yd);
        y = b.op("Mul", {b.op("Mul", {b.scalar("half", 0.5f), y}, yd), p}, yd);
        break;
      }
      case Act::gelu_mul: {  // y * (1 / sqrt 2) instead of the Div
        Value* e = b.op("Erf", {b.op("Mul", {y, b.scalar("rsqrt2", float(std::sqrt(0.5)))}, yd)}, yd);
        Value* p = b.op("Add", {e, b.scalar("one", 1.0f)}, yd);
        y = b.op("Mul", {b.scalar("half", 0.5f), b.op("Mul", {p, y}, yd)}, yd);
        break;
      }
      case Act::silu: {
        Value* s = b.op("Sigmoid", {y}, yd);
        if (c.sigmoid_also_output) b.output(s);
        y = b.op("Mul", {y, s}, yd);
        break;
      }
      case Act::relu: y = b.op("Relu", {y}, yd); break;
    }
    b.output(y);
    return b.take();
  };
}

Inputs linear_inputs() { return {{"x", random_tensor(kX, 9, -2.0f, 2.0f)}}; }

const Node& only_node(const Graph& g) { return *g.nodes().at(0); }

// oneDNN's gelu_erf / swish are polynomial / exp approximations accurate to a
// few float ulps; |y| <= ~4 here, so rtol 1e-4 + atol 1e-5 leaves ample room
// while an unfused activation (gelu vs none: errors ~0.1) fails.
TEST(PassesMatMulFusion, LinearBiasGeluBecomesOneMatMul) {
  for (Act act : {Act::gelu, Act::gelu_half_first, Act::gelu_mul}) {
    LinearCase c;
    c.act = act;
    auto build = linear(c);
    auto [g, report] = optimized(build, PassOptions::execution());
    ASSERT_EQ(op_list(*g), "normrt.MatMul") << int(act) << "\n" << report.str();
    EXPECT_EQ(only_node(*g).attr_string("activation", ""), "gelu_erf");
    EXPECT_EQ(only_node(*g).inputs.size(), 3u);  // A, B, bias
    EXPECT_EQ(report.count("matmul-fusion"), 1u);
    expect_same_outputs(build, linear_inputs());
  }
}

TEST(PassesMatMulFusion, UndeclaredShapesStillFuseARankOneBias) {
  LinearCase c;
  c.act = Act::gelu;
  c.unknown_shapes = true;
  auto build = linear(c);
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "normrt.MatMul") << report.str();
  EXPECT_EQ(only_node(*g).attr_string("activation", ""), "gelu_erf");
  expect_same_outputs(build, linear_inputs());
  c.bias_dims = {1, 1, 8};  // rank 3 might broadcast y of unknown rank: stays
  auto [g2, report2] = optimized(linear(c), PassOptions::execution());
  EXPECT_EQ(count_ops(*g2, "Add"), 2) << report2.str();
}

TEST(PassesMatMulFusion, SiluAndReluBecomeTheActivation) {
  for (Act act : {Act::silu, Act::relu}) {
    LinearCase c;
    c.act = act;
    c.bias = act == Act::relu;
    auto build = linear(c);
    auto [g, report] = optimized(build, PassOptions::execution());
    ASSERT_EQ(op_list(*g), "normrt.MatMul") << report.str();
    EXPECT_EQ(only_node(*g).attr_string("activation", ""), act == Act::silu ? "silu" : "relu");
    EXPECT_EQ(only_node(*g).inputs.size(), act == Act::silu ? 2u : 3u);
    expect_same_outputs(build, linear_inputs());
  }
}

TEST(PassesMatMulFusion, BiasOfRankThreeIsFlattened) {
  LinearCase c;
  c.bias_dims = {1, 1, 8};
  auto build = linear(c);
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "normrt.MatMul") << report.str();
  EXPECT_EQ(*passes::static_shape(only_node(*g).inputs[2]), (Dims{8}));
  expect_same_outputs(build, linear_inputs());
}

TEST(PassesMatMulFusion, BiasThatIsNotPerColumnStays) {
  for (const Dims& bd : {Dims{4, 8}, Dims{3, 1, 1, 8}, Dims{1}}) {
    LinearCase c;
    c.bias_dims = bd;
    auto [g, report] = optimized(linear(c), PassOptions::execution());
    EXPECT_EQ(op_list(*g), "MatMul Add") << dims_string(bd) << "\n" << report.str();
  }
  LinearCase c;
  c.bias_dims = {4, 8};
  expect_same_outputs(linear(c), linear_inputs());
}

TEST(PassesMatMulFusion, GeluWithWrongConstantIsNotGelu) {
  LinearCase c;
  c.act = Act::gelu;
  c.gelu_divisor = 1.5f;
  auto build = linear(c);
  auto [g, report] = optimized(build, PassOptions::execution());
  // The bias still fuses; the would-be GELU stays as it was written.
  EXPECT_EQ(op_list(*g), "normrt.MatMul Div Erf Add Mul Mul") << report.str();
  EXPECT_FALSE(find_op(*g, "MatMul", "normrt")->has("activation"));
  expect_same_outputs(build, linear_inputs());
}

TEST(PassesMatMulFusion, IntermediateReadElsewhereIsNotSwallowed) {
  LinearCase c;
  c.act = Act::relu;
  c.expose_matmul = true;
  auto [g, report] = optimized(linear(c), PassOptions::execution());
  EXPECT_EQ(op_list(*g), "MatMul Add Relu") << report.str();

  LinearCase s;
  s.act = Act::silu;
  s.bias = false;
  s.sigmoid_also_output = true;
  auto build = linear(s);
  auto [g2, report2] = optimized(build, PassOptions::execution());
  EXPECT_EQ(op_list(*g2), "MatMul Sigmoid Mul") << report2.str();
  expect_same_outputs(build, linear_inputs());
}

TEST(PassesMatMulFusion, DeploymentModeDoesNotFuse) {
  LinearCase c;
  c.act = Act::gelu;
  auto [g, report] = optimized(linear(c), PassOptions::deployment());
  EXPECT_EQ(count_ops(*g, "MatMul", "normrt"), 0);
  EXPECT_EQ(count_ops(*g, "Erf"), 1);
}

// Attention scores: MatMul(Q [1, 2, 5, 4], Transpose(K, perm)) / sqrt(4).
Build attention_scores(std::vector<int64_t> perm, const Dims& k_dims, float divisor) {
  return [=] {
    GraphBuilder b;
    Value* q = b.input("q", {1, 2, 5, 4});
    Value* k = b.input("k", k_dims);
    Value* kt = b.op("Transpose", {k}, {1, 2, 4, 5}, {{"perm", perm}});
    Value* s = b.op("MatMul", {q, kt}, {1, 2, 5, 5});
    s = b.op("Div", {s, b.scalar("scale", divisor)}, {1, 2, 5, 5});
    b.output(b.op("Softmax", {s}, {1, 2, 5, 5}, {{"axis", int64_t(-1)}}));
    return b.take();
  };
}

TEST(PassesMatMulFusion, AttentionScoresFoldTransposeAndScale) {
  auto build = attention_scores({0, 1, 3, 2}, {1, 2, 5, 4}, 2.0f);
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "normrt.MatMul Softmax") << report.str();
  const Node* mm = find_op(*g, "MatMul", "normrt");
  EXPECT_EQ(mm->attr_int("transB", 0), 1);
  EXPECT_FLOAT_EQ(mm->attr_float("alpha", 1.0f), 0.5f);
  expect_same_outputs(build, {{"q", random_tensor({1, 2, 5, 4}, 11)}, {"k", random_tensor({1, 2, 5, 4}, 12)}});
}

TEST(PassesMatMulFusion, TransposeOfOtherDimsStays) {
  // perm [1, 0, 3, 2] also moves a batch dim: not a transB.
  auto build = attention_scores({1, 0, 3, 2}, {2, 1, 5, 4}, 2.0f);
  auto [g, report] = optimized(build, PassOptions::execution());
  EXPECT_EQ(op_list(*g), "Transpose normrt.MatMul Softmax") << report.str();
  EXPECT_EQ(find_op(*g, "MatMul", "normrt")->attr_int("transB", 0), 0);
  expect_same_outputs(build, {{"q", random_tensor({1, 2, 5, 4}, 13)}, {"k", random_tensor({2, 1, 5, 4}, 14)}});
}

TEST(PassesMatMulFusion, DefaultPermTransposeOfAMatrixIsTransB) {
  auto build = [] {
    GraphBuilder b;
    Value* x = b.input("x", {3, 6});
    Value* wt = b.op("Transpose", {b.input("w", {5, 6})}, {6, 5});  // no perm: reverse = swap
    b.output(b.op("MatMul", {x, wt}, {3, 5}));
    return b.take();
  };
  auto [g, report] = optimized(build, PassOptions::execution());
  ASSERT_EQ(op_list(*g), "normrt.MatMul") << report.str();
  EXPECT_EQ(only_node(*g).attr_int("transB", 0), 1);
  expect_same_outputs(build, {{"x", random_tensor({3, 6}, 15)}, {"w", random_tensor({5, 6}, 16)}});
}

TEST(PassesMatMulFusion, KernelRejectsABiasOfTheWrongShape) {
  GraphBuilder b;
  Value* x = b.input("x", {4, 16});
  Value* y = b.op("MatMul", {x, b.random("W", {16, 8}, 1), b.random("bias", {9}, 2)}, {4, 8}, {}, "normrt");
  b.output(y);
  SessionOptions options;
  options.optimize = false;
  try {
    Session s = Session::from_graph(b.take(), options);
    s.run({{"x", random_tensor({4, 16}, 3)}});  // kernels are prepared for the first input shape
    FAIL() << "a bias [9] for N = 8 was accepted";
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("MatMul_"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bias"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace normrt::rt::testing
