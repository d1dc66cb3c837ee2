// ONNX loader and writer: initializers, Constant nodes, declared shapes,
// shape inference, the round trip through the writer, TensorProto files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "normrt/error.hpp"
#include "onnx/loader.hpp"
#include "onnx/proto_tensor.hpp"
#include "onnx/tensor_file.hpp"
#include "onnx/writer.hpp"
#include "onnx_builder.hpp"

namespace normrt::rt {
namespace {

using testing::OnnxBuilder;

std::unique_ptr<Graph> load(const OnnxBuilder& b) {
  const std::string bytes = b.bytes();
  return load_model_buffer(bytes.data(), bytes.size());
}

TEST(Loader, InitializersListedAsInputsStayConstants) {
  OnnxBuilder b(6, 3);  // IR 3: initializers appear among the inputs
  b.input("x", {2, 3}).input("w", {3}).output("y");
  b.initializer("w", {3}, {1.0f, 2.0f, 3.0f});
  b.node("Add", {"x", "w"}, {"y"}, "add");
  auto g = load(b);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0]->name, "x");
  const Value* w = g->find_value("w");
  ASSERT_TRUE(w && w->constant);
  EXPECT_EQ(w->constant->as<float>()[2], 3.0f);
  EXPECT_FALSE(w->is_graph_input);
  EXPECT_EQ(g->opset_imports.at(""), 6);
  EXPECT_EQ(g->nodes()[0]->opset, 6);
}

TEST(Loader, ConstantNodesBecomeConstants) {
  OnnxBuilder b(13);
  b.input("x", {4}).output("y");
  auto* c = b.node("Constant", {}, {"k"}, "const_k");
  auto* a = c->add_attribute();
  a->set_name("value_floats");
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f}) a->add_floats(v);
  b.node("Mul", {"x", "k"}, {"y"}, "mul");
  auto g = load(b);
  ASSERT_EQ(g->nodes().size(), 1u);  // the Constant node is gone
  const Value* k = g->find_value("k");
  ASSERT_TRUE(k && k->constant);
  EXPECT_EQ(k->constant->dims(), (Dims{4}));
  EXPECT_EQ(k->constant->as<float>()[3], 4.0f);
}

TEST(Loader, SymbolicDimsAndInferredShapes) {
  OnnxBuilder b(17);
  b.input("x", {-1, 8}, onnx::TensorProto::FLOAT, {"batch", ""}).output("y");
  b.initializer("w", {8, 5}, std::vector<float>(40, 1.0f));
  b.node("MatMul", {"x", "w"}, {"h"}, "mm");
  b.node("Relu", {"h"}, {"y"}, "relu");
  auto g = load(b);
  const Value* x = g->inputs[0];
  ASSERT_TRUE(x->shape);
  EXPECT_EQ((*x->shape)[0].symbol, "batch");
  EXPECT_EQ((*x->shape)[1].value, 8);
  // Shape inference filled the intermediate and the output.
  for (const char* name : {"h", "y"}) {
    const Value* v = g->find_value(name);
    ASSERT_TRUE(v->shape) << name;
    ASSERT_EQ(v->shape->size(), 2u) << name;
    EXPECT_EQ((*v->shape)[0].symbol, "batch") << name;
    EXPECT_EQ((*v->shape)[1].value, 5) << name;
    EXPECT_EQ(v->dtype, DType::f32) << name;
  }
}

TEST(Loader, TypedFieldsDecode) {
  onnx::TensorProto p;
  p.set_name("flags");
  p.set_data_type(onnx::TensorProto::BOOL);
  p.add_dims(3);
  for (int v : {0, 5, 1}) p.add_int32_data(v);
  Tensor t = tensor_from_proto(p, "flags", {});
  EXPECT_EQ(t.dtype(), DType::boolean);
  EXPECT_EQ(t.as<uint8_t>()[0], 0);
  EXPECT_EQ(t.as<uint8_t>()[1], 1);

  onnx::TensorProto h;
  h.set_data_type(onnx::TensorProto::FLOAT16);
  h.add_dims(2);
  h.add_int32_data(0x3c00);  // 1.0 in binary16
  h.add_int32_data(0xc000);  // -2.0
  Tensor ht = tensor_from_proto(h, "half", {});
  EXPECT_EQ(ht.as<uint16_t>()[0], 0x3c00);
  EXPECT_EQ(ht.as<uint16_t>()[1], 0xc000);

  onnx::TensorProto s;
  s.set_data_type(onnx::TensorProto::STRING);
  EXPECT_THROW(tensor_from_proto(s, "str", {}), Error);
}

TEST(Writer, RoundTripKeepsNamesOpsetsAndUsedConstants) {
  OnnxBuilder b(17);
  b.input("x", {-1, 3}, onnx::TensorProto::FLOAT, {"n", ""}).output("y");
  b.initializer("w", {3}, {1.0f, 2.0f, 3.0f});
  b.initializer("unused", {2}, {9.0f, 9.0f});
  OnnxBuilder::attr_int(b.node("Softmax", {"x"}, {"s"}, "softmax"), "axis", -1);
  b.node("Mul", {"s", "w"}, {"y"}, "mul");
  auto g = load(b);
  g->remove_dead_values();  // "unused" has no consumer
  const onnx::ModelProto m = model_from_graph(*g);
  EXPECT_EQ(m.graph().initializer_size(), 1);
  EXPECT_EQ(m.graph().initializer(0).name(), "w");
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 17);
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "n");

  const std::string bytes = serialize_model(*g);
  auto again = load_model_buffer(bytes.data(), bytes.size());
  ASSERT_EQ(again->nodes().size(), 2u);
  EXPECT_EQ(again->nodes()[0]->name, "softmax");
  EXPECT_EQ(again->nodes()[0]->attr_int("axis", 0), -1);
  EXPECT_EQ(again->outputs[0]->name, "y");
  EXPECT_EQ(again->find_value("w")->constant->as<float>()[1], 2.0f);
}

TEST(TensorFile, RoundTrip) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "normrt_tensor_file_test.pb").string();
  Tensor t(DType::i64, {2, 2});
  for (int i = 0; i < 4; ++i) t.as<int64_t>()[i] = int64_t(i) * 1000000000000LL;
  write_tensor_file(path, t, "ids");
  const NamedTensor back = read_tensor_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(back.name, "ids");
  EXPECT_EQ(back.tensor.dims(), t.dims());
  EXPECT_EQ(std::memcmp(back.tensor.data(), t.data(), t.bytes()), 0);
  EXPECT_THROW(parse_tensor("\xff\xff\xff", 3, "junk"), Error);
}

}  // namespace
}  // namespace normrt::rt
