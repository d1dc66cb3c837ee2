// Pools inside a blocked region (passes/blocked_layouts.cpp) and the Winograd
// choice for 3x3 convs (passes/conv_algorithms.cpp): the planned graph gives
// the plain, direct-convolution graph's outputs.
#include "passes/blocked_layouts.hpp"
#include "passes/conv_algorithms.hpp"
#include "passes_test_util.hpp"
#include "resnet_chain.hpp"

namespace normrt::rt::testing {
namespace {

using Ints = std::vector<int64_t>;

Value* conv(GraphBuilder& b, Value* x, int64_t cin, int64_t cout, int64_t hw_out, unsigned seed,
            int64_t stride = 1, int64_t group = 1) {
  Value* w = b.random("w" + std::to_string(seed), {cout, cin / group, 3, 3}, seed, -0.1f, 0.1f);
  return b.op("Conv", {x, w, b.random("b" + std::to_string(seed), {cout}, seed + 1)},
              {1, cout, hw_out, hw_out},
              {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}},
               {"strides", Ints{stride, stride}}, {"group", group}});
}

// RGB stem conv -> MaxPool -> conv -> AveragePool -> conv -> GlobalAveragePool:
// the stem reads plain (3 channels) and writes blocked, the pools pool blocked
// tensors, and the only reorder brings the pooled result back plain.
std::unique_ptr<Graph> pooled_chain() {
  GraphBuilder b(15);
  Value* x = b.input("x", {1, 3, 24, 24});
  Value* c1 = conv(b, x, 3, 20, 24, 1);
  Value* mp = b.op("MaxPool", {c1}, {1, 20, 12, 12},
                   {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}});
  Value* c2 = conv(b, mp, 20, 36, 12, 3);
  Value* ap = b.op("AveragePool", {c2}, {1, 36, 6, 6},
                   {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  Value* c3 = conv(b, ap, 36, 12, 6, 5);
  b.output(b.op("GlobalAveragePool", {c3}, {1, 12, 1, 1}));
  return b.take();
}

TEST(BlockedLayouts, PoolsStayBlocked) {
  for (int64_t block : {int64_t(8), int64_t(16)}) {
    auto g = pooled_chain();
    PassReport report;
    run_passes(*g, PassOptions::execution(), report);
    passes::plan_blocked_layouts(*g, block, report);
    for (const char* pool : {"MaxPool", "AveragePool", "GlobalAveragePool"})
      EXPECT_EQ(find_op(*g, pool)->attr_int("normrt_block", 0), block) << pool << "\n" << op_list(*g);
    EXPECT_EQ(count_ops(*g, "Reorder", "normrt"), 1) << op_list(*g);
    for (const auto& n : g->nodes()) {
      if (n->op_type != "Conv") continue;
      EXPECT_TRUE(n->has("normrt_dst_block")) << n->describe();
      // Only the 3-channel stem reads its plain input directly.
      EXPECT_NE(n->has("normrt_src_block"), n->inputs[0]->is_graph_input) << n->describe();
    }
    SessionOptions o;
    o.optimize = false;
    const auto blocked = Session::from_graph(std::move(g), o).run({{"x", random_tensor({1, 3, 24, 24}, 9)}});
    const auto plain = make_session(pooled_chain(), false).run({{"x", random_tensor({1, 3, 24, 24}, 9)}});
    EXPECT_EQ(blocked[0].dims(), (Dims{1, 12, 1, 1}));
    expect_close(plain, blocked, 1e-5, 1e-5);
  }
}

// An average pool whose ceil_mode windows overhang the padding needs the
// plain-layout divisor fix-up: it stays plain.
TEST(BlockedLayouts, OverhangingAveragePoolStaysPlain) {
  GraphBuilder b(15);
  Value* x = b.input("x", {1, 16, 9, 9});
  Value* c1 = conv(b, x, 16, 16, 9, 1);
  Value* ap = b.op("AveragePool", {c1}, {1, 16, 5, 5},
                   {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)},
                    {"count_include_pad", int64_t(1)}});
  b.output(conv(b, ap, 16, 16, 5, 3));
  auto g = b.take();
  PassReport report;
  passes::plan_blocked_layouts(*g, 8, report);
  EXPECT_FALSE(find_op(*g, "AveragePool")->has("normrt_block")) << op_list(*g);
}

// A residual block on the graph input: conv -> relu -> conv + x. The fused
// conv's residual Z (x) is plain: it gets a blocked copy, and the conv writes
// blocked instead of falling back to plain NCHW.
TEST(BlockedLayouts, PlainResidualGetsABlockedCopy) {
  const auto build = [] {
    GraphBuilder b(15);
    Value* x = b.input("x", {1, 24, 10, 10});
    Value* r = b.op("Relu", {conv(b, x, 24, 24, 10, 1)}, {1, 24, 10, 10});
    Value* sum = b.op("Add", {conv(b, r, 24, 24, 10, 3), x}, {1, 24, 10, 10});
    b.output(b.op("Relu", {sum}, {1, 24, 10, 10}));
    return b.take();
  };
  auto g = build();
  PassReport report;
  run_passes(*g, PassOptions::execution(), report);
  passes::plan_blocked_layouts(*g, 8, report);
  const Node* fused = nullptr;
  for (const auto& n : g->nodes())
    if (n->op_type == "Conv" && n->inputs.size() > 3 && n->inputs[3]) fused = n.get();
  ASSERT_NE(fused, nullptr) << op_list(*g);
  EXPECT_TRUE(fused->has("normrt_dst_block")) << op_list(*g);
  ASSERT_NE(fused->inputs[3]->producer, nullptr);
  EXPECT_EQ(fused->inputs[3]->producer->op_type, "Reorder") << op_list(*g);
  SessionOptions o;
  o.optimize = false;
  const auto inputs = Inputs{{"x", random_tensor({1, 24, 10, 10}, 4)}};
  expect_close(make_session(build(), false).run(inputs), Session::from_graph(std::move(g), o).run(inputs),
               1e-5, 1e-5);
}

// 64 -> 64 -> 64 channels, 3x3: two Winograd candidates, then a stride-2
// conv and a grouped conv that are not.
std::unique_ptr<Graph> wide_chain() {
  GraphBuilder b(15);
  Value* x = b.input("x", {1, 64, 14, 14});
  Value* c1 = conv(b, x, 64, 64, 14, 1);
  Value* c2 = conv(b, b.op("Relu", {c1}, {1, 64, 14, 14}), 64, 64, 14, 3);
  Value* c3 = conv(b, c2, 64, 64, 7, 5, /*stride=*/2);
  b.output(conv(b, c3, 64, 64, 7, 7, 1, /*group=*/2));
  return b.take();
}

TEST(ConvAlgorithms, WinogradOnlyForUnitStrideUngrouped3x3) {
  auto g = wide_chain();
  PassReport report;
  run_passes(*g, PassOptions::execution(), report);
  passes::plan_blocked_layouts(*g, 16, report);
  passes::choose_conv_algorithms(*g, report);
  std::vector<bool> marked;
  for (const auto& n : g->nodes())
    if (n->op_type == "Conv") marked.push_back(n->attr_int("normrt_winograd", 0) == 1);
  EXPECT_EQ(marked, (std::vector<bool>{true, true, false, false})) << op_list(*g);
}

// Winograd (where oneDNN has it: AVX-512) or the direct fallback elsewhere:
// the default session matches the plain direct graph to rounding. Winograd's
// transforms add a few ulps of sum |w * x| (~ 576 taps x 0.1 x 1 here).
TEST(ConvAlgorithms, DefaultSessionMatchesDirectConvolution) {
  const auto inputs = Inputs{{"x", random_tensor({1, 64, 14, 14}, 11)}};
  const auto fast = Session::from_graph(wide_chain(), SessionOptions{}).run(inputs);
  SessionOptions direct;
  direct.winograd = false;
  const auto reference = make_session(wide_chain(), false).run(inputs);
  expect_close(reference, fast, 1e-4, 1e-4);
  expect_close(reference, Session::from_graph(wide_chain(), direct).run(inputs), 1e-5, 1e-5);
}

}  // namespace
}  // namespace normrt::rt::testing
