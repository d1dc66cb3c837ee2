// Session::run with a RunProfile and ProfileSummary: every executed node
// once per run, times that add up to at most the run's wall time, outputs
// unchanged by profiling, per-op and per-node totals, the text report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include "normrt/runtime/profile.hpp"
#include "normrt/runtime/session.hpp"
#include "onnx_builder.hpp"

namespace normrt::rt {
namespace {

using testing::OnnxBuilder;

// y = Softmax(MatMul(Relu(x), w) + b), plus an unnamed Sigmoid on x as a
// second output: four nodes, nothing foldable (x is only known at run time).
OnnxBuilder four_node_model() {
  OnnxBuilder b;
  b.input("x", {3, 8}).output("y").output("s");
  std::vector<float> w(8 * 5), bias(5);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(i % 7) * 0.1f - 0.3f;
  for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = float(i) * 0.25f;
  b.initializer("w", {8, 5}, w).initializer("b", {5}, bias);
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("MatMul", {"r", "w"}, {"m"}, "matmul");
  b.node("Add", {"m", "b"}, {"a"}, "add");
  b.node("Softmax", {"a"}, {"y"}, "softmax");
  b.node("Sigmoid", {"x"}, {"s"});
  return b;
}

Session session_of(const OnnxBuilder& b) {
  const std::string bytes = b.bytes();
  SessionOptions opts;
  opts.optimize = false;  // keep the nodes as written (no epilogue fusion)
  return Session::from_buffer(bytes.data(), bytes.size(), opts);
}

Tensor input_x() {
  Tensor t(DType::f32, {3, 8});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = u(rng);
  return t;
}

TEST(Profile, ListsEveryExecutedNodeOncePerRun) {
  const Session s = session_of(four_node_model());
  const Tensor x = input_x();
  RunProfile p;
  for (int run = 0; run < 3; ++run) {  // the first run also plans
    s.run({{"x", x}}, p);
    ASSERT_EQ(p.nodes.size(), 5u) << "run " << run << ": a reused profile is overwritten";
    std::multiset<std::string> names, ops;
    for (const NodeTiming& t : p.nodes) {
      names.insert(t.node);
      ops.insert(t.op);
      EXPECT_GE(t.ms, 0.0) << t.node;
    }
    EXPECT_EQ(names, (std::multiset<std::string>{"relu", "matmul", "add", "softmax", "<s>"}));
    EXPECT_EQ(ops, (std::multiset<std::string>{"Relu", "MatMul", "Add", "Softmax", "Sigmoid"}));
    // Execution order respects the data flow.
    std::vector<std::string> order;
    for (const NodeTiming& t : p.nodes) order.push_back(t.node);
    auto pos = [&](const char* n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
    EXPECT_LT(pos("relu"), pos("matmul"));
    EXPECT_LT(pos("matmul"), pos("add"));
    EXPECT_LT(pos("add"), pos("softmax"));
  }
  for (const NodeTiming& t : p.nodes) {
    if (t.node == "matmul") {
      EXPECT_EQ(t.shape, "[3,5]");
    }
  }
}

TEST(Profile, NodeTimesAddUpToAtMostTheWallTime) {
  const Session s = session_of(four_node_model());
  const Tensor x = input_x();
  for (int run = 0; run < 5; ++run) {
    RunProfile p;
    s.run({{"x", x}}, p);
    EXPECT_GT(p.wall_ms, 0.0);
    EXPECT_GT(p.node_ms(), 0.0);
    EXPECT_LE(p.node_ms(), p.wall_ms);
  }
}

TEST(Profile, DoesNotChangeTheOutputs) {
  const Session s = session_of(four_node_model());
  const Tensor x = input_x();
  const auto plain = s.run({{"x", x}});
  RunProfile p;
  const auto profiled = s.run({{"x", x}}, p);
  ASSERT_EQ(plain.size(), profiled.size());
  for (std::size_t o = 0; o < plain.size(); ++o) {
    ASSERT_EQ(plain[o].dims(), profiled[o].dims());
    EXPECT_EQ(std::memcmp(plain[o].data(), profiled[o].data(), plain[o].bytes()), 0) << "output " << o;
  }
}

TEST(Profile, FailedRunStillNamesTheNode) {
  const Session s = session_of(four_node_model());
  RunProfile p;
  EXPECT_THROW(s.run({{"x", Tensor(DType::f32, {3, 9})}}, p), Error);
}

RunProfile synthetic_run(double scale) {
  RunProfile p;
  p.nodes = {{"conv1", "Conv", "[1,8]", 4.0 * scale},
             {"relu1", "Relu", "[1,8]", 1.0 * scale},
             {"conv2", "Conv", "[1,4]", 2.0 * scale}};
  p.wall_ms = 10.0 * scale;
  return p;
}

TEST(ProfileSummary, FoldsRunsPerOpTypeAndPerNode) {
  ProfileSummary sum;
  sum.add(synthetic_run(1.0));
  sum.add(synthetic_run(2.0));
  EXPECT_EQ(sum.runs(), 2);
  EXPECT_DOUBLE_EQ(sum.wall_ms(), 30.0);
  EXPECT_DOUBLE_EQ(sum.node_ms(), 21.0);

  const auto ops = sum.by_op();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].name, "Conv");
  EXPECT_EQ(ops[0].calls, 4);
  EXPECT_DOUBLE_EQ(ops[0].total_ms, 18.0);
  EXPECT_DOUBLE_EQ(ops[0].avg_ms(), 4.5);
  EXPECT_EQ(ops[1].name, "Relu");
  EXPECT_EQ(ops[1].calls, 2);

  const auto nodes = sum.by_node();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].name, "conv1");
  EXPECT_DOUBLE_EQ(nodes[0].total_ms, 12.0);
  EXPECT_EQ(nodes[1].name, "conv2");
  EXPECT_EQ(nodes[2].name, "relu1");
  EXPECT_EQ(nodes[2].op, "Relu");
  EXPECT_EQ(nodes[2].calls, 2);
}

TEST(ProfileSummary, ReportShowsOpTypesAndTheTopNodes) {
  ProfileSummary sum;
  sum.add(synthetic_run(1.0));
  const std::string r = sum.report(2);
  EXPECT_NE(r.find("wall 10.000 ms per run, nodes 7.000 ms per run (70.0% of wall"), std::string::npos) << r;
  // Conv: 2 calls, 6 ms = 60% of the wall time, 3 ms per call.
  EXPECT_NE(r.find("Conv"), std::string::npos);
  EXPECT_NE(r.find("60.0%"), std::string::npos) << r;
  EXPECT_NE(r.find("top 2 of 3 nodes"), std::string::npos) << r;
  EXPECT_NE(r.find("conv2"), std::string::npos);
  EXPECT_EQ(r.find("relu1"), std::string::npos) << "only the top 2 nodes are listed\n" << r;

  EXPECT_EQ(sum.report(0).find("top "), std::string::npos);
  EXPECT_NE(sum.report(-1).find("top 3 of 3 nodes"), std::string::npos);
  EXPECT_EQ(ProfileSummary().report(), "profile: no runs\n");
}

}  // namespace
}  // namespace normrt::rt
