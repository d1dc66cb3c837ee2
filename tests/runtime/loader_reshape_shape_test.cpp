// Shape inference through Reshape to a computed shape (safe_shape_inference:
// reshape_from_symbolic_target). ONNX 1.12 alone leaves Reshape(t, Shape(x))
// shapeless, which hid every value after PyTorch's first GroupNorm from the
// fusion passes.
#include <gtest/gtest.h>

#include "normrt/error.hpp"
#include "onnx/loader.hpp"
#include "onnx_builder.hpp"

namespace normrt::rt {
namespace {

using testing::OnnxBuilder;

std::unique_ptr<Graph> load(const OnnxBuilder& b) {
  const std::string bytes = b.bytes();
  return load_model_buffer(bytes.data(), bytes.size());
}

// "[1,32,4,4]" / "[batch,32,4,4]" / "?" (rank unknown), "?" per unknown dim.
std::string shape_of(const Graph& g, const std::string& name) {
  const Value* v = g.find_value(name);
  if (!v || !v->shape) return "?";
  std::string s = "[";
  for (const Dim& d : *v->shape) {
    if (s.size() > 1) s += ",";
    s += d.value >= 0 ? std::to_string(d.value) : d.symbol.empty() ? "?" : d.symbol;
  }
  return s + "]";
}

// x -> Reshape(x, [0, 8, -1]) -> InstanceNormalization -> Reshape(., Shape(x))
// -> Relu -> y: PyTorch's GroupNorm(8, 32) before opset 18.
OnnxBuilder group_norm_model(std::vector<int64_t> x_dims, std::vector<std::string> symbols = {}) {
  OnnxBuilder b(13);
  b.input("x", x_dims, onnx::TensorProto::FLOAT, symbols).output("y");
  b.initializer_i64("groups", {3}, {0, 8, -1});
  b.initializer("ones", {8}, std::vector<float>(8, 1.0f));
  b.initializer("zeros", {8}, std::vector<float>(8, 0.0f));
  b.node("Reshape", {"x", "groups"}, {"r"}, "split");
  b.node("InstanceNormalization", {"r", "ones", "zeros"}, {"i"}, "inorm");
  b.node("Shape", {"x"}, {"s"}, "shape");
  b.node("Reshape", {"i", "s"}, {"m"}, "merge");
  b.node("Relu", {"m"}, {"y"}, "relu");
  return b;
}

TEST(LoaderReshapeShape, ShapeOfAnotherValueGivesItsShape) {
  auto g = load(group_norm_model({1, 32, 4, 4}));
  EXPECT_EQ(shape_of(*g, "r"), "[1,8,64]");
  EXPECT_EQ(shape_of(*g, "m"), "[1,32,4,4]");
  EXPECT_EQ(shape_of(*g, "y"), "[1,32,4,4]");  // and everything after it
}

TEST(LoaderReshapeShape, SymbolicDimsCarryOver) {
  auto g = load(group_norm_model({-1, 32, 4, 4}, {"batch", "", "", ""}));
  EXPECT_EQ(shape_of(*g, "m"), "[batch,32,4,4]");
  EXPECT_EQ(shape_of(*g, "y"), "[batch,32,4,4]");
}

// Shape(x) -> Gather -> Unsqueeze(axes beyond the rank) -> Concat -> Reshape:
// ONNX 1.12's own data propagators segfault on this chain; only a plain
// Shape may propagate, and the bad axes end in an error naming the node.
TEST(LoaderReshapeShape, MalformedShapeChainIsAnErrorNotACrash) {
  OnnxBuilder b(13);
  b.input("x", {2, 3}).output("y");
  b.initializer_i64("index", {}, {0});
  b.initializer_i64("axes", {1}, {1});
  b.initializer_i64("rest", {1}, {-1});
  b.node("Shape", {"x"}, {"s"}, "shape");
  b.node("Gather", {"s", "index"}, {"n"}, "gather");
  b.node("Unsqueeze", {"n", "axes"}, {"n1"}, "bad_unsqueeze");
  OnnxBuilder::attr_int(b.node("Concat", {"n1", "rest"}, {"target"}, "target"), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "reshape");
  try {
    load(b);
    FAIL() << "expected normrt::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad_unsqueeze"), std::string::npos) << e.what();
  }
}

// Shape with start/end (opset 15) does not propagate: the output stays
// unknown rather than taking a slice's dims.
TEST(LoaderReshapeShape, ShapeWithStartDoesNotPropagate) {
  OnnxBuilder b(15);
  b.input("x", {2, 3, 4}).output("y");
  OnnxBuilder::attr_int(b.node("Shape", {"x"}, {"s"}, "shape"), "start", 1);
  b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
  auto g = load(b);
  const Value* y = g->find_value("y");
  ASSERT_TRUE(y);
  EXPECT_TRUE(!y->shape || (*y->shape)[0].value == -1) << shape_of(*g, "y");
}

}  // namespace
}  // namespace normrt::rt
