#pragma once
// The conv -> BN -> relu -> (affine) -> conv -> GN -> conv chain that
// blocked_layout_test.cpp checks blocked vs plain and perf/bench_chain.cpp
// times blocked vs plain. Built by the normrt_resnet_chain library; this
// header needs neither GoogleTest nor a test file.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.hpp"
#include "normrt/runtime/session.hpp"

namespace normrt::rt::testing {

// Channel counts. The defaults 20 / 24 / 10 are not multiples of 8 or 16:
// the padding lanes matter. BN1 folds into conv1; BN2 (after the Relu) stays
// as normrt.ChannelAffine; the GroupNorm's groups (c2 / 4 channels) straddle
// blocks.
struct Widths {
  int64_t in = 12, c1 = 20, c2 = 24, out = 10;  // c2 divisible by the 4 groups
};

// The chain on a 1 x w.in x hw x hw input "x". With `second_output`, the
// affine's output (1 x w.c1 x hw x hw) is a second graph output.
std::unique_ptr<Graph> chain(int64_t hw, bool second_output, Widths w = {});

// A Session over `g` after the execution passes, and plan_blocked_layouts
// (preferred block) when `blocked`. threads 0: OpenMP's default.
Session make_session(std::unique_ptr<Graph> g, bool blocked, int threads = 0);

// The chain's input "x": 1 x channels x hw x hw, fixed seed.
std::vector<std::pair<std::string, Tensor>> chain_inputs(int64_t hw, int64_t channels = 12);

}  // namespace normrt::rt::testing
