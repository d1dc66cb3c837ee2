// Session: named inputs, symbolic shapes, per-signature plans, prepare-time
// folding of shape subgraphs, in-place arena reuse, concurrent runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "exec/plan.hpp"
#include "normrt/runtime/session.hpp"
#include "onnx/loader.hpp"
#include "onnx_builder.hpp"

namespace normrt::rt {
namespace {

using testing::OnnxBuilder;

Tensor random_tensor(Dims dims, uint32_t seed) {
  Tensor t(DType::f32, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = u(rng);
  return t;
}

Session session_from(OnnxBuilder& b, SessionOptions opts = {}) {
  const std::string bytes = b.bytes();
  return Session::from_buffer(bytes.data(), bytes.size(), opts);
}

// y = Relu(x) + bias, x [batch, 4]
OnnxBuilder relu_bias_model() {
  OnnxBuilder b;
  b.input("x", {-1, 4}, onnx::TensorProto::FLOAT, {"batch", ""}).output("y");
  b.initializer("bias", {4}, {1.0f, -1.0f, 0.5f, 0.0f});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Add", {"r", "bias"}, {"y"}, "add");
  return b;
}

TEST(Session, DescribesInputsAndOutputs) {
  OnnxBuilder b = relu_bias_model();
  Session s = session_from(b);
  ASSERT_EQ(s.inputs().size(), 1u);
  EXPECT_EQ(s.input_names(), std::vector<std::string>{"x"});
  EXPECT_EQ(s.output_names(), std::vector<std::string>{"y"});
  EXPECT_EQ(s.inputs()[0].dtype, DType::f32);
  EXPECT_EQ(s.inputs()[0].shape_string(), "[batch,4]");
}

TEST(Session, RunsManyShapes) {
  OnnxBuilder b = relu_bias_model();
  Session s = session_from(b);
  const float bias[4] = {1.0f, -1.0f, 0.5f, 0.0f};
  for (int64_t batch : {1, 3, 1, 0, 5}) {
    const Tensor x = random_tensor({batch, 4}, uint32_t(batch));
    const auto y = s.run({{"x", x}});
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].dims(), (Dims{batch, 4}));
    for (int64_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(y[0].as<float>()[i], std::max(x.as<float>()[i], 0.0f) + bias[i % 4]);
  }
}

TEST(Session, SymbolicDimsMustAgreeAcrossInputs) {
  OnnxBuilder b;
  b.input("a", {-1, 4}, onnx::TensorProto::FLOAT, {"n", ""});
  b.input("c", {-1, 4}, onnx::TensorProto::FLOAT, {"n", ""});
  b.output("y");
  b.node("Add", {"a", "c"}, {"y"}, "add");
  Session s = session_from(b);
  EXPECT_NO_THROW(s.run({{"a", Tensor(DType::f32, {2, 4})}, {"c", Tensor(DType::f32, {2, 4})}}));
  try {
    s.run({{"a", Tensor(DType::f32, {2, 4})}, {"c", Tensor(DType::f32, {3, 4})}});
    FAIL() << "mismatched symbolic dimension accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'n'"), std::string::npos) << e.what();
  }
}

// Reshape(x, Concat(Gather(Shape(x), 0), [-1])): the exporters' flatten.
OnnxBuilder flatten_by_shape_model() {
  OnnxBuilder b(13);
  b.input("x", {-1, 2, 3, 4}, onnx::TensorProto::FLOAT, {"n"}).output("y");
  b.initializer_i64("zero", {}, {0});
  b.initializer_i64("axes0", {1}, {0});
  b.initializer_i64("minus1", {1}, {-1});
  b.node("Shape", {"x"}, {"shape"}, "shape");
  b.node("Gather", {"shape", "zero"}, {"n_scalar"}, "gather");
  b.node("Unsqueeze", {"n_scalar", "axes0"}, {"n_vec"}, "unsqueeze");
  OnnxBuilder::attr_int(b.node("Concat", {"n_vec", "minus1"}, {"target"}, "concat"), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "reshape");
  return b;
}

TEST(Session, ShapeSubgraphsFoldPerSignature) {
  OnnxBuilder b = flatten_by_shape_model();
  Session s = session_from(b, {0, std::nullopt, false});  // no passes: the planner folds
  for (int64_t n : {1, 4, 2}) {
    const Tensor x = random_tensor({n, 2, 3, 4}, uint32_t(n));
    const auto y = s.run({{"x", x}});
    ASSERT_EQ(y[0].dims(), (Dims{n, 24}));
    EXPECT_EQ(std::memcmp(y[0].data(), x.data(), x.bytes()), 0);
  }
  // The four shape nodes ran at prepare time; only Reshape is a step.
  const auto plan = make_plan(s.graph(), {{DType::f32, {4, 2, 3, 4}}}, {});
  EXPECT_EQ(plan->folded_nodes, 4);
  EXPECT_EQ(plan->steps.size(), 1u);
}

TEST(Session, ChainsReuseTheArena) {
  OnnxBuilder b;
  b.input("x", {1024}).output("y");
  std::string prev = "x";
  for (int i = 0; i < 8; ++i) {
    const std::string out = i == 7 ? "y" : "t" + std::to_string(i);
    b.node("Neg", {prev}, {out}, "n" + std::to_string(i));
    prev = out;
  }
  Session s = session_from(b, {0, std::nullopt, false});
  const auto plan = make_plan(s.graph(), {{DType::f32, {1024}}}, {});
  // Six intermediates of 4 KiB, never more than two alive at once.
  EXPECT_LE(plan->arena_bytes - plan->scratch_bytes, 2u * 4096);
  const Tensor x = random_tensor({1024}, 3);
  const auto y = s.run({{"x", x}});
  EXPECT_EQ(std::memcmp(y[0].data(), x.data(), x.bytes()), 0);  // eight negations
}

TEST(Session, OutputsThatAreInputsOrConstantsAreCopies) {
  OnnxBuilder b;
  b.input("x", {3}).output("x").output("c").output("y");
  b.initializer("c", {3}, {1.0f, 2.0f, 3.0f});
  b.node("Add", {"x", "c"}, {"y"}, "add");
  Session s = session_from(b);
  const Tensor x = random_tensor({3}, 1);
  auto out = s.run({{"x", x}});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(out[0].data(), x.data());
  EXPECT_EQ(std::memcmp(out[0].data(), x.data(), x.bytes()), 0);
  out[1].as<float>()[0] = 100.0f;  // must not change the model's constant
  const auto again = s.run({{"x", x}});
  EXPECT_EQ(again[1].as<float>()[0], 1.0f);
  EXPECT_EQ(again[2].as<float>()[0], x.as<float>()[0] + 1.0f);
}

// LayerNorm over the last axis, then MatMul: exercises the norm kernels and oneDNN.
OnnxBuilder layer_norm_model() {
  OnnxBuilder b(17);
  b.input("x", {-1, 16, 64}, onnx::TensorProto::FLOAT, {"n"}).output("y");
  std::vector<float> gamma(64), beta(64), w(64 * 32);
  for (int i = 0; i < 64; ++i) gamma[std::size_t(i)] = 1.0f + 0.01f * float(i);
  for (int i = 0; i < 64; ++i) beta[std::size_t(i)] = 0.1f * float(i % 7);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.01f * float(int(i % 13) - 6);
  b.initializer("gamma", {64}, gamma).initializer("beta", {64}, beta).initializer("w", {64, 32}, w);
  b.node("LayerNormalization", {"x", "gamma", "beta"}, {"ln"}, "ln");
  b.node("MatMul", {"ln", "w"}, {"y"}, "mm");
  return b;
}

TEST(Session, ConcurrentRunsMatchSerialRuns) {
  OnnxBuilder b = layer_norm_model();
  Session s = session_from(b, {2, std::nullopt, true});
  constexpr int kThreads = 4, kIters = 10;
  std::vector<Tensor> inputs, expected;
  for (int i = 0; i < kThreads * kIters; ++i) {
    inputs.push_back(random_tensor({1 + i % 3, 16, 64}, uint32_t(100 + i)));
    expected.push_back(s.run({{"x", inputs.back()}})[0]);
  }
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      try {
        for (int k = 0; k < kIters; ++k) {
          const int i = k * kThreads + t;
          const Tensor y = s.run({{"x", inputs[std::size_t(i)]}})[0];
          if (std::memcmp(y.data(), expected[std::size_t(i)].data(), y.bytes()) != 0)
            ++mismatches[std::size_t(t)];
        }
      } catch (const std::exception& e) {
        errors[std::size_t(t)] = e.what();
      }
    });
  for (auto& th : pool) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(mismatches[std::size_t(t)], 0) << "thread " << t;
    EXPECT_EQ(errors[std::size_t(t)], "") << "thread " << t;
  }
}

TEST(Session, ThreadCountDoesNotChangeNormOutputs) {
  OnnxBuilder b = layer_norm_model();
  const Tensor x = random_tensor({3, 16, 64}, 9);
  Tensor reference;
  for (int threads : {1, 2, 3, 8}) {
    Session s = session_from(b, {threads, std::nullopt, true});
    const Tensor y = s.run({{"x", x}})[0];
    if (threads == 1) reference = y;
    else EXPECT_EQ(std::memcmp(y.data(), reference.data(), y.bytes()), 0) << threads << " threads";
  }
}

TEST(Session, EveryIsaGivesCloseResults) {
  OnnxBuilder b = layer_norm_model();
  const Tensor x = random_tensor({2, 16, 64}, 5);
  Tensor reference;
  for (Isa isa : supported_isas()) {
    Session s = session_from(b, {0, isa, true});
    const Tensor y = s.run({{"x", x}})[0];
    if (reference.size() == 0) {
      reference = y;
      continue;
    }
    // Different vector widths reassociate fp32 sums: agree to ~1e-5 relative.
    for (int64_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y.as<float>()[i], reference.as<float>()[i], 1e-4) << isa_name(isa) << " at " << i;
  }
}

TEST(Session, MicrosoftDomainOpsLoadDespiteUnknownSchemas) {
  // ONNX's shape inference has no schema for com.microsoft ops: loading must
  // not fail on that.
  OnnxBuilder b(17);
  auto* ms = b.model().add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  b.input("x", {2, 8}).input("skip", {2, 8}).output("y");
  b.initializer("gamma", {8}, std::vector<float>(8, 1.0f));
  b.node("SkipLayerNormalization", {"x", "skip", "gamma"}, {"y"}, "skln", "com.microsoft");
  const std::string bytes = b.bytes();
  auto graph = load_model_buffer(bytes.data(), bytes.size());
  ASSERT_EQ(graph->nodes().size(), 1u);
  EXPECT_EQ(graph->nodes()[0]->domain, "com.microsoft");
  Session s = Session::from_buffer(bytes.data(), bytes.size());
  const Tensor x = random_tensor({2, 8}, 1), skip = random_tensor({2, 8}, 2);
  const Tensor y = s.run({{"x", x}, {"skip", skip}})[0];
  for (int r = 0; r < 2; ++r) {  // y = LN(x + skip), gamma 1, eps 1e-12
    double mean = 0, var = 0;
    for (int c = 0; c < 8; ++c) mean += double(x.as<float>()[r * 8 + c]) + skip.as<float>()[r * 8 + c];
    mean /= 8;
    for (int c = 0; c < 8; ++c) {
      const double d = double(x.as<float>()[r * 8 + c]) + skip.as<float>()[r * 8 + c] - mean;
      var += d * d;
    }
    var /= 8;
    for (int c = 0; c < 8; ++c) {
      const double want =
          (double(x.as<float>()[r * 8 + c]) + skip.as<float>()[r * 8 + c] - mean) / std::sqrt(var + 1e-12);
      EXPECT_NEAR(y.as<float>()[r * 8 + c], want, 1e-5);  // fp32 normalize of O(1) values
    }
  }
}

}  // namespace
}  // namespace normrt::rt
