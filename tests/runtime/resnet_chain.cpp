#include "resnet_chain.hpp"

#include "passes/blocked_layouts.hpp"
#include "passes_test_util.hpp"

namespace normrt::rt::testing {

std::unique_ptr<Graph> chain(int64_t hw, bool second_output, Widths w) {
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

Session make_session(std::unique_ptr<Graph> g, bool blocked, int threads) {
  PassReport report;
  run_passes(*g, PassOptions::execution(), report);
  if (blocked) passes::plan_blocked_layouts(*g, passes::session_block(best_isa()), report);
  SessionOptions o;
  o.optimize = false;  // the passes ran above
  o.threads = threads;
  return Session::from_graph(std::move(g), o);
}

std::vector<std::pair<std::string, Tensor>> chain_inputs(int64_t hw, int64_t channels) {
  return {{"x", random_tensor({1, channels, hw, hw}, 7)}};
}

}  // namespace normrt::rt::testing
