#pragma once
// Layout planning: activations flowing Conv -> (BatchNormalization /
// normrt.ChannelAffine / GroupNorm / InstanceNorm / Relu / Add / pools)* -> Conv stay
// in oneDNN's blocked layout (b = 8 for AVX2, 16 for AVX-512), so such a
// chain runs without a reorder; normrt.Reorder nodes convert back to plain
// only where a value leaves the blocked region (graph outputs, other ops).
// Runs after the execution passes; the nodes it touches carry the attributes
// of kernels/onednn_layout.hpp and blocked values get their physical shape.
#include <cstdint>

#include "ir/graph.hpp"
#include "passes/passes.hpp"

namespace normrt::rt::passes {

// The block size for the ISA the kernels will run with (8, or 16 on AVX-512).
int64_t preferred_block();

void plan_blocked_layouts(Graph& g, int64_t block, PassReport& report);

}  // namespace normrt::rt::passes
