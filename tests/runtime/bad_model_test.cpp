// Models and inputs from outside: each malformation must be a normrt::Error
// whose message names the node, value or tensor at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "normrt/runtime/session.hpp"
#include "onnx/loader.hpp"
#include "onnx_builder.hpp"

namespace normrt::rt {
namespace {

using testing::OnnxBuilder;
namespace fs = std::filesystem;

// Runs `fn`, expects a normrt::Error containing every piece of `needles`.
template <class Fn>
void expect_error(Fn&& fn, std::initializer_list<const char*> needles) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
}

// x -> Relu(relu1) -> y
OnnxBuilder relu_model() {
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "relu1");
  return b;
}

Session session_from(const std::string& bytes, const std::string& dir = {}) {
  return Session::from_buffer(bytes.data(), bytes.size(), {}, dir);
}

TEST(BadModel, TruncatedFileIsAnError) {
  OnnxBuilder b = relu_model();
  b.initializer("w", {64}, std::vector<float>(64, 1.0f));
  const std::string bytes = b.bytes();
  ASSERT_NO_THROW(session_from(bytes));
  // Every cut point: either the protobuf is broken, or what is left is not a
  // complete model; never a crash.
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7)
    EXPECT_THROW(session_from(bytes.substr(0, cut)), Error) << "cut at " << cut;
  expect_error([&] { session_from(bytes.substr(0, bytes.size() / 2)); }, {"model"});
}

TEST(BadModel, GarbageIsAnError) {
  expect_error([] { session_from("this is not a protobuf at all \x01\x02\xff"); }, {"model"});
  expect_error([] { Session::load("/nonexistent/model.onnx"); }, {"/nonexistent/model.onnx"});
}

TEST(BadModel, UnknownOpNamesNodeAndOpType) {
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  b.node("FrobnicateNorm", {"x"}, {"y"}, "mystery");
  // The loader accepts it (fold can carry ops normrt cannot run)...
  const std::string bytes = b.bytes();
  EXPECT_NO_THROW(load_model_buffer(bytes.data(), bytes.size()));
  // ...the session does not.
  expect_error([&] { session_from(bytes); }, {"node 'mystery'", "FrobnicateNorm", "not supported"});
}

TEST(BadModel, UnknownDomainIsAnError) {
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "r", "com.example");
  expect_error([&] { session_from(b.bytes()); }, {"node 'r'", "com.example"});
}

TEST(BadModel, CyclicGraphNamesANode) {
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  b.node("Add", {"x", "b"}, {"a"}, "add_a");
  b.node("Relu", {"a"}, {"b"}, "relu_b");
  b.node("Relu", {"a"}, {"y"}, "out");
  LoadOptions no_inference;  // ONNX's shape inference would stop at the cycle first
  no_inference.infer_shapes = false;
  const std::string bytes = b.bytes();
  expect_error([&] { load_model_buffer(bytes.data(), bytes.size(), {}, no_inference); },
               {"cycle", "node '"});
  EXPECT_THROW(session_from(bytes), Error);
}

TEST(BadModel, MissingInitializerNamesNodeAndValue) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4}).output("y");
  b.node("Conv", {"x", "conv1.weight"}, {"y"}, "conv1");
  LoadOptions no_inference;
  no_inference.infer_shapes = false;
  const std::string bytes = b.bytes();
  expect_error([&] { load_model_buffer(bytes.data(), bytes.size(), {}, no_inference); },
               {"node 'conv1' (Conv)", "'conv1.weight'", "missing initializer"});
  EXPECT_THROW(session_from(bytes), Error);
}

TEST(BadModel, UndefinedGraphOutputIsNamed) {
  OnnxBuilder b;
  b.input("x", {2}).output("nowhere");
  b.node("Relu", {"x"}, {"y"}, "r");
  expect_error([&] { session_from(b.bytes()); }, {"'nowhere'"});
}

TEST(BadModel, ValueProducedTwiceIsNamed) {
  OnnxBuilder b;
  b.input("x", {2}).output("y");
  b.node("Relu", {"x"}, {"y"}, "first");
  b.node("Relu", {"x"}, {"y"}, "second");
  LoadOptions no_inference;
  no_inference.infer_shapes = false;
  const std::string bytes = b.bytes();
  expect_error([&] { load_model_buffer(bytes.data(), bytes.size(), {}, no_inference); },
               {"node 'second'", "'y'"});
}

TEST(BadModel, WrongRankInputNamesTheInput) {
  Session s = session_from(relu_model().bytes());
  expect_error([&] { s.run({{"x", Tensor(DType::f32, {6})}}); }, {"input 'x'", "rank"});
  expect_error([&] { s.run({{"x", Tensor(DType::f32, {2, 4})}}); }, {"input 'x'", "[2,4]"});
  expect_error([&] { s.run({{"x", Tensor(DType::i64, {2, 3})}}); }, {"input 'x'", "int64"});
  expect_error([&] { s.run({}); }, {"input 'x'", "missing"});
  expect_error([&] { s.run({{"x", Tensor(DType::f32, {2, 3})}, {"z", Tensor(DType::f32, {1})}}); },
               {"input 'z'"});
}

TEST(BadModel, WrongRankForAnOpNamesTheNode) {
  // Declared rank 2 into a Conv: caught at load (ONNX 1.12's own inference
  // would segfault on this; the guarded inference reports it).
  OnnxBuilder b;
  b.input("x", {-1, -1}, onnx::TensorProto::FLOAT, {"a", "b"}).output("y");
  b.initializer("w", {2, 3, 3, 3}, std::vector<float>(54, 0.5f));
  b.node("Conv", {"x", "w"}, {"y"}, "conv_rank");
  expect_error([&] { session_from(b.bytes()); }, {"conv_rank", "rank 2"});

  // Rank unknown until run time: the kernel's prepare check, named by the planner.
  b.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  Session s = session_from(b.bytes());
  expect_error([&] { s.run({{"x", Tensor(DType::f32, {2, 3})}}); }, {"node 'conv_rank' (Conv)"});
  // The session stays usable after a failed run.
  EXPECT_EQ(s.run({{"x", Tensor(DType::f32, {1, 3, 4, 4})}})[0].dims(), (Dims{1, 2, 2, 2}));
}

TEST(BadModel, InconsistentShapesAreCaughtAtLoad) {
  OnnxBuilder b;
  b.input("a", {2, 3}).input("b", {4, 5}).output("y");
  b.node("MatMul", {"a", "b"}, {"y"}, "mm");
  expect_error([&] { session_from(b.bytes()); }, {"mm"});
}

class ExternalData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("normrt_ext_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "model");
    std::ofstream(dir_ / "model" / "weights.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(kWeights), sizeof(kWeights));
    std::ofstream(dir_ / "outside.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(kWeights), sizeof(kWeights));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // y = x + w, w (4 floats) stored at `location` from `offset`.
  std::string model(const std::string& location, int64_t offset = 0, int64_t length = 16) {
    OnnxBuilder b;
    b.input("x", {4}).output("y");
    auto* w = b.model().mutable_graph()->add_initializer();
    w->set_name("w_ext");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(4);
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto kv = [&](const char* k, const std::string& v) {
      auto* e = w->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    kv("location", location);
    kv("offset", std::to_string(offset));
    kv("length", std::to_string(length));
    b.node("Add", {"x", "w_ext"}, {"y"}, "add");
    const std::string path = (dir_ / "model" / "model.onnx").string();
    std::ofstream(path, std::ios::binary) << b.bytes();
    return path;
  }

  static constexpr float kWeights[6] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  fs::path dir_;
};

TEST_F(ExternalData, InsideTheFolderLoads) {
  Session s = Session::load(model("weights.bin", 8));
  Tensor x(DType::f32, {4});
  const auto y = s.run({{"x", x}});
  ASSERT_EQ(y.size(), 1u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[0].as<float>()[i], kWeights[i + 2]);
  EXPECT_NO_THROW(Session::load(model("./sub/../weights.bin")));
}

TEST_F(ExternalData, EscapingPathsAreRejected) {
  for (const char* loc : {"../../etc/passwd", "../outside.bin", "/etc/passwd", "sub/../../outside.bin"})
    expect_error([&] { Session::load(model(loc)); }, {"w_ext", loc});
}

TEST_F(ExternalData, SymlinkOutOfTheFolderIsRejected) {
  fs::create_symlink(dir_ / "outside.bin", dir_ / "model" / "link.bin");
  expect_error([&] { Session::load(model("link.bin")); }, {"w_ext", "outside the model's folder"});
}

TEST_F(ExternalData, BadOffsetsAndLengthsAreRejected) {
  expect_error([&] { Session::load(model("weights.bin", 16)); }, {"w_ext", "beyond the end"});
  expect_error([&] { Session::load(model("weights.bin", 0, 12)); }, {"w_ext", "length"});
  expect_error([&] { Session::load(model("missing.bin")); }, {"w_ext", "does not exist"});
}

TEST_F(ExternalData, FromABufferNeedsAFolder) {
  const std::string path = model("weights.bin");
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  expect_error([&] { session_from(bytes); }, {"w_ext", "external data"});
  EXPECT_NO_THROW(session_from(bytes, (dir_ / "model").string()));
}

TEST(BadModel, InitializerDataMustMatchItsShape) {
  OnnxBuilder b = relu_model();
  b.initializer("short_w", {1000000000, 1000}, {1.0f, 2.0f});  // a hostile shape, 2 values
  expect_error([&] { session_from(b.bytes()); }, {"short_w"});
  OnnxBuilder overflow = relu_model();
  overflow.initializer("huge", {int64_t(1) << 40, int64_t(1) << 40}, {});
  expect_error([&] { session_from(overflow.bytes()); }, {"huge", "overflows"});
}

TEST(BadModel, UnsupportedOpsetIsAnError) {
  OnnxBuilder b(99);
  b.input("x", {2}).output("y");
  b.node("Relu", {"x"}, {"y"}, "r");
  expect_error([&] { session_from(b.bytes()); }, {"opset 99"});
}

// Fuzzer finds (reproducers/shape15_undefined_input.onnx,
// reproducers/untyped_graph_input.onnx): ONNX 1.12's Shape inference and
// data propagation dereference the type of an input that has none (SEGV).
// Such a node is left uninferred, and the loader's own checks name the culprit.
TEST(BadModel, UntypedGraphInputNeverReachesShapeInference) {
  OnnxBuilder b(17);
  b.model().mutable_graph()->add_input()->set_name("X");  // no type at all
  b.output("y", {}, onnx::TensorProto::INT64);
  b.node("Shape", {"X"}, {"y"}, "shape");
  expect_error([&] { session_from(b.bytes()); }, {"graph input 'X'", "tensor"});
}

TEST(BadModel, UndefinedInputNeverReachesShapeInference) {
  OnnxBuilder b(15);
  b.output("y", {}, onnx::TensorProto::INT64);
  OnnxBuilder::attr_int(b.node("Shape", {"x"}, {"y"}, "shape"), "start", -10);
  expect_error([&] { session_from(b.bytes()); }, {"node 'shape' (Shape)", "input 'x'"});
}

// The guard must not reject a graph whose nodes are merely listed out of
// order: it loads (the later node uninferred) and runs.
TEST(BadModel, NodesOutOfOrderStillLoadAndRun) {
  OnnxBuilder b;
  b.input("x", {2}).output("y");
  b.node("Relu", {"t"}, {"y"}, "second");
  b.node("Neg", {"x"}, {"t"}, "first");
  Session s = session_from(b.bytes());
  Tensor x(DType::f32, {2});
  x.as<float>()[0] = 1.5f;
  x.as<float>()[1] = -2.0f;
  const Tensor y = s.run({{"x", x}})[0];
  EXPECT_EQ(y.as<float>()[0], 0.0f);
  EXPECT_EQ(y.as<float>()[1], 2.0f);
}

// Fuzzer finds (reproducers/conv_stride0.onnx): a stride of 0 made ONNX's
// Conv inference divide by zero (SIGFPE); (reproducers/gemm_rank*.onnx) a
// Gemm operand of rank 0 or 1 made its inference read past the shape.
TEST(BadModel, ZeroStrideIsAnErrorNamingTheNode) {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 6, 6}).output("y");
  b.initializer("w", {2, 2, 3, 3}, std::vector<float>(36, 1.0f));
  OnnxBuilder::attr_ints(b.node("Conv", {"x", "w"}, {"y"}, "conv0"), "strides", {1, 0});
  expect_error([&] { session_from(b.bytes()); }, {"conv0", "strides"});
}

TEST(BadModel, GemmOperandOfWrongRankIsAnErrorNamingTheNode) {
  for (const std::vector<int64_t>& b_dims : {std::vector<int64_t>{4}, std::vector<int64_t>{}}) {
    OnnxBuilder b(13);
    b.input("a", {2, 3}).input("b", b_dims).output("y");
    b.node("Gemm", {"a", "b"}, {"y"}, "fc");
    expect_error([&] { session_from(b.bytes()); }, {"fc", "rank"});
  }
}

// Expand of a 1-element input to a hostile constant shape: the plan must
// refuse the output before allocating it, naming the node and the value.
OnnxBuilder expand_model(std::vector<int64_t> target) {
  OnnxBuilder b(13);
  b.input("x", {1}).output("y");
  b.initializer_i64("target", {int64_t(target.size())}, target);
  b.node("Expand", {"x", "target"}, {"y"}, "grow");
  return b;
}

Tensor one_float() {
  Tensor t(DType::f32, {1});
  t.as<float>()[0] = 1.0f;
  return t;
}

TEST(BadModel, HugeShapesAreRefusedBeforeAllocating) {
  const std::string bytes = expand_model({100000, 100000, 100000}).bytes();  // 4e15 bytes
  Session s = session_from(bytes);
  expect_error([&] { s.run({{"x", one_float()}}); },
               {"node 'grow' (Expand)", "output 'y'", "max_tensor_bytes"});
}

TEST(BadModel, TensorSizeCapIsASessionOption) {
  const std::string bytes = expand_model({64, 64}).bytes();  // 16 KiB
  SessionOptions options;
  EXPECT_EQ(Session::from_buffer(bytes.data(), bytes.size(), options).run({{"x", one_float()}})[0].size(),
            64 * 64);
  options.max_tensor_bytes = 16 * 1024 - 1;
  Session capped = Session::from_buffer(bytes.data(), bytes.size(), options);
  expect_error([&] { capped.run({{"x", one_float()}}); }, {"output 'y'", "16384 bytes"});
}

// A valid MaxPool whose window has 67 million taps: refused with an error
// naming the node instead of running for minutes.
TEST(BadModel, HugePoolingWindowIsRefused) {
  OnnxBuilder b;
  b.input("x", {1, 8, 64, 64}).output("y");
  auto* pool = b.node("MaxPool", {"x"}, {"y"}, "huge_pool");
  OnnxBuilder::attr_ints(pool, "kernel_shape", {2, 33554429});
  auto* pad = pool->add_attribute();
  pad->set_name("auto_pad");
  pad->set_type(onnx::AttributeProto::STRING);
  pad->set_s("SAME_UPPER");
  expect_error([&] { session_from(b.bytes()).run({{"x", Tensor(DType::f32, {1, 8, 64, 64})}}); },
               {"huge_pool", "taps"});
}

}  // namespace
}  // namespace normrt::rt
