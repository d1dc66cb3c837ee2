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

// Concat(Shape(x)[0:1], [-1]): the -1 is resolved from the element count.
OnnxBuilder flatten_model(std::vector<int64_t> x_dims, std::vector<std::string> symbols,
                          int64_t second) {
  OnnxBuilder b(13);
  b.input("x", x_dims, onnx::TensorProto::FLOAT, symbols).output("y");
  b.initializer_i64("zero", {1}, {0});
  b.initializer_i64("one", {1}, {1});
  b.initializer_i64("second", {1}, {second});
  b.node("Shape", {"x"}, {"s"}, "shape");
  b.node("Slice", {"s", "zero", "one"}, {"n"}, "batch");
  auto* cat = b.node("Concat", {"n", "second"}, {"target"}, "target");
  OnnxBuilder::attr_int(cat, "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "flatten");
  return b;
}

TEST(LoaderReshapeShape, MinusOneIsResolvedWhenEverythingIsKnown) {
  EXPECT_EQ(shape_of(*load(flatten_model({2, 3, 4}, {}, -1)), "y"), "[2,12]");
  // With a symbolic batch the -1 cannot be known (ONNX names it "unk__0");
  // the rank and the batch symbol still are.
  auto g = load(flatten_model({-1, 3, 4}, {"n", "", ""}, -1));
  const Value* y = g->find_value("y");
  ASSERT_TRUE(y->shape);
  ASSERT_EQ(y->shape->size(), 2u);
  EXPECT_EQ((*y->shape)[0].symbol, "n");
  EXPECT_EQ((*y->shape)[1].value, -1);
}

TEST(LoaderReshapeShape, InconsistentTargetIsAnError) {
  // 24 elements do not split into [5, -1].
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4}).output("y");
  b.initializer_i64("five", {1}, {5});
  b.initializer_i64("minus", {1}, {-1});
  auto* cat = b.node("Concat", {"five", "minus"}, {"target"}, "target");
  OnnxBuilder::attr_int(cat, "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "bad_reshape");
  try {
    load(b);
    FAIL() << "expected normrt::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad_reshape"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace normrt::rt
