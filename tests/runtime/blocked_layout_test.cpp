// Blocked layouts end to end: a conv -> BN -> relu -> (affine) -> conv -> GN
// -> conv chain planned blocked (passes/blocked_layouts.cpp) gives the plain
// graph's outputs, with no reorder between the convolutions.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "passes/blocked_layouts.hpp"
#include "passes_test_util.hpp"

namespace normrt::rt::testing {
namespace {

// Channel counts 20 / 24 / 10 are not multiples of 8 or 16: the padding
// lanes matter. BN1 folds into conv1; BN2 (after the Relu) stays as
// normrt.ChannelAffine; the GroupNorm's groups (6 channels) straddle blocks.
struct Widths {
  int64_t in = 12, c1 = 20, c2 = 24, out = 10;  // c2 divisible by the 4 groups
};

std::unique_ptr<Graph> chain(int64_t hw, bool second_output, Widths w = {}) {
  GraphBuilder b(15);
  Value* x = b.input("x", {1, w.in, hw, hw});
  auto conv = [&](Value* in, int64_t cin, int64_t cout, int64_t k, unsigned seed) {
    const int64_t pad = k / 2;
    Value* weights = b.random("w" + std::to_string(seed), {cout, cin, k, k}, seed, -0.3f, 0.3f);
    return b.op("Conv", {in, weights, b.random("b" + std::to_string(seed), {cout}, seed + 1)},
                {1, cout, hw, hw},
                {{"kernel_shape", std::vector<int64_t>{k, k}},
                 {"pads", std::vector<int64_t>{pad, pad, pad, pad}}});
  };
  auto bn = [&](Value* in, int64_t c, unsigned seed) {
    return b.op("BatchNormalization",
                {in, b.random("g" + std::to_string(seed), {c}, seed, 0.5f, 1.5f),
                 b.random("be" + std::to_string(seed), {c}, seed + 1),
                 b.random("m" + std::to_string(seed), {c}, seed + 2),
                 b.random("v" + std::to_string(seed), {c}, seed + 3, 0.5f, 2.f)},
                {1, c, hw, hw});
  };
  Value* c1 = conv(x, w.in, w.c1, 3, 10);
  Value* r = b.op("Relu", {bn(c1, w.c1, 20)}, {1, w.c1, hw, hw});
  Value* a = bn(r, w.c1, 30);
  Value* c2 = conv(a, w.c1, w.c2, 3, 40);
  Value* gn = b.op("GroupNormalization",
                   {c2, b.random("gs", {w.c2}, 50, 0.5f, 1.5f), b.random("gb", {w.c2}, 51)},
                   {1, w.c2, hw, hw}, {{"num_groups", int64_t(4)}}, "normrt");
  b.output(conv(gn, w.c2, w.out, 1, 60));
  if (second_output) b.output(a);
  return b.take();
}

Session make_session(std::unique_ptr<Graph> g, bool blocked, int threads = 0) {
  PassReport report;
  run_passes(*g, PassOptions::execution(), report);
  if (blocked) passes::plan_blocked_layouts(*g, passes::preferred_block(), report);
  SessionOptions o;
  o.optimize = false;  // the passes ran above
  o.threads = threads;
  return Session::from_graph(std::move(g), o);
}

Inputs chain_inputs(int64_t hw, int64_t channels = 12) {
  return {{"x", random_tensor({1, channels, hw, hw}, 7)}};
}

TEST(BlockedLayouts, ChainMatchesPlain) {
  for (int64_t block : {int64_t(8), int64_t(16)}) {
    auto g = chain(9, true);
    PassReport report;
    run_passes(*g, PassOptions::execution(), report);
    passes::plan_blocked_layouts(*g, block, report);
    // Every conv reads and writes blocked; the only reorders sit at the
    // boundaries: the graph input (12 channels) and the two graph outputs.
    // None sits between two convs.
    int convs = 0;
    for (const auto& n : g->nodes()) {
      if (n->op_type != "Conv") continue;
      ++convs;
      EXPECT_TRUE(n->has("normrt_src_block") && n->has("normrt_dst_block")) << n->describe();
      const Node* src = n->inputs[0]->producer;
      ASSERT_NE(src, nullptr);
      EXPECT_EQ(src->op_type == "Reorder", convs == 1) << n->describe() << " reads "
                                                       << src->describe();
    }
    EXPECT_EQ(convs, 3) << op_list(*g);
    EXPECT_EQ(count_ops(*g, "Reorder", "normrt"), 3) << op_list(*g);
    EXPECT_EQ(find_op(*g, "ChannelAffine", "normrt")->attr_int("normrt_block", 0), block);
    EXPECT_EQ(find_op(*g, "GroupNormalization", "normrt")->attr_int("normrt_block", 0), block);

    SessionOptions o;
    o.optimize = false;
    const auto blocked = Session::from_graph(std::move(g), o).run(chain_inputs(9));
    const auto plain = make_session(chain(9, true), false).run(chain_inputs(9));
    expect_close(plain, blocked, 1e-5, 1e-5);
    EXPECT_EQ(blocked[1].dims(), (Dims{1, 20, 9, 9})) << "graph outputs come back plain";
  }
}

// The conv's blocked output that is also a graph output: the output keeps
// its name and shape, the blocked readers keep reading blocked.
TEST(BlockedLayouts, GraphOutputInsideTheChainStaysPlainAndNamed) {
  Session s = make_session(chain(5, true), true);
  ASSERT_EQ(s.output_names().size(), 2u);
  const auto out = s.run(chain_inputs(5));
  EXPECT_EQ(out[0].dims(), (Dims{1, 10, 5, 5}));
  EXPECT_EQ(out[1].dims(), (Dims{1, 20, 5, 5}));
  expect_close(make_session(chain(5, true), false).run(chain_inputs(5)), out, 1e-5, 1e-5);
}

// SessionOptions::blocked_layouts runs the pass after the execution passes.
TEST(BlockedLayouts, SessionOption) {
  SessionOptions o;
  o.blocked_layouts = true;
  Session s = Session::from_graph(chain(5, false), o);
  EXPECT_EQ(count_ops(s.graph(), "Reorder", "normrt"), 2) << op_list(s.graph());
  expect_close(make_session(chain(5, false), false).run(chain_inputs(5)), s.run(chain_inputs(5)),
               1e-5, 1e-5);
}

// A bad reorder attribute is an Error naming the node, not a crash.
TEST(BlockedLayouts, ReorderAttributesAreChecked) {
  GraphBuilder b(15);
  Value* x = b.input("x", {1, 3, 4, 4});
  b.output(b.op("Reorder", {x}, {1, 1, 4, 4, 8},
                {{"to", std::string("blocked")}, {"normrt_block", int64_t(7)}}, "normrt"));
  SessionOptions o;
  o.optimize = false;
  Session s = Session::from_graph(b.take(), o);
  try {
    s.run({{"x", random_tensor({1, 3, 4, 4}, 1)}});
    ADD_FAILURE() << "normrt_block = 7 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Reorder"), std::string::npos) << e.what();
  }
}

// Latency of a ResNet-style chain, blocked vs plain, medians of the same run:
//   normrt_runtime_tests --gtest_also_run_disabled_tests --gtest_filter='*Latency*'
TEST(BlockedLayouts, DISABLED_ResNetChainLatency) {
  for (int threads : {1, 2}) {
    const int64_t hw = 56;
    const Widths w{64, 64, 64, 64};  // a ResNet-50 stage-1 sized block
    auto median_ms = [&](const Session& s) {
      const Inputs in = chain_inputs(hw, w.in);
      std::vector<double> ms;
      for (int i = 0; i < (std::getenv("NORMRT_LATENCY_ONCE") ? 1 : 11); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        s.run(in);
        const auto dt = std::chrono::steady_clock::now() - t0;
        ms.push_back(std::chrono::duration<double, std::milli>(dt).count());
      }
      std::sort(ms.begin(), ms.end());
      return ms[ms.size() / 2];
    };
    const Session plain = make_session(chain(hw, false, w), false, threads);
    const Session blocked = make_session(chain(hw, false, w), true, threads);
    double p = 0, q = 0;
    for (int round = 0; round < 2; ++round) {  // interleaved: same conditions
      p = median_ms(plain);
      q = median_ms(blocked);
      std::printf("threads %d round %d: plain %.3f ms, blocked %.3f ms\n", threads, round, p, q);
      std::fflush(stdout);
    }
    std::printf("threads %d: plain %.3f ms, blocked %.3f ms (%.2fx)\n", threads, p, q, p / q);
  }
}

}  // namespace
}  // namespace normrt::rt::testing
