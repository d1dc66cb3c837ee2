// Blocked layouts end to end: a conv -> BN -> relu -> (affine) -> conv -> GN
// -> conv chain planned blocked (passes/blocked_layouts.cpp) gives the plain
// graph's outputs, with no reorder between the convolutions.
// The chain comes from resnet_chain.hpp (shared with perf/bench_chain.cpp,
// which times it blocked vs plain).
#include <cstdlib>
#include <string>

#include "kernels/onednn_common.hpp"
#include "passes/blocked_layouts.hpp"
#include "passes_test_util.hpp"
#include "resnet_chain.hpp"

namespace normrt::rt::testing {
namespace {

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

// Blocks of 16 only where both normrt's kernels and oneDNN's run AVX-512:
// oneDNN's AVX2 convolutions take nChw8c only, and ran nChw16c with their
// reference kernel (MobileNetV2 under ONEDNN_MAX_CPU_ISA=AVX2: 11.6 s a run).
TEST(BlockedLayouts, BlockFollowsTheKernelsAndOnednnIsa) {
  EXPECT_EQ(passes::preferred_block(Isa::avx512, true), 16);
  EXPECT_EQ(passes::preferred_block(Isa::avx512, false), 8);
  EXPECT_EQ(passes::preferred_block(Isa::avx2, true), 8);
  EXPECT_EQ(passes::preferred_block(Isa::scalar, false), 8);
  // ctest runs this test again with ONEDNN_MAX_CPU_ISA=AVX2 (CMakeLists.txt).
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (cap != nullptr && std::string(cap) == "AVX2") {
    EXPECT_FALSE(onednn::onednn_runs_avx512());
  }
}

// A session capped to AVX2 plans blocks of 8, whatever the CPU has; so does
// one whose oneDNN cannot run AVX-512. Outputs match the plain graph's.
TEST(BlockedLayouts, SessionPlansTheBlockOfItsIsa) {
  for (const bool capped : {true, false}) {
    SessionOptions o;
    if (capped) o.isa = Isa::avx2;
    Session s = Session::from_graph(chain(5, false), o);
    const bool avx512 = !capped && best_isa() == Isa::avx512 && onednn::onednn_runs_avx512();
    const std::string expected = std::string("blocks of ") + (avx512 ? "16" : "8");
    EXPECT_NE(s.pass_report().find(expected), std::string::npos) << s.pass_report();
    expect_close(make_session(chain(5, false), false).run(chain_inputs(5)),
                 s.run(chain_inputs(5)), 1e-5, 1e-5);
  }
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

}  // namespace
}  // namespace normrt::rt::testing
