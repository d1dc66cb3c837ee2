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
#include "normrt/simd/isa.hpp"
#include "passes/passes.hpp"

namespace normrt::rt::passes {

// The block size for the ISA normrt's kernels run with (8, or 16 on
// AVX-512), if oneDNN can run AVX-512 too (`onednn_avx512`,
// onednn::onednn_runs_avx512): its AVX2 convolutions read and write nChw8c
// only, so a session capped to AVX2 (SessionOptions::isa, NORMRT_ISA) or a
// oneDNN capped to AVX2 (ONEDNN_MAX_CPU_ISA) gets blocks of 8.
int64_t preferred_block(Isa kernels_isa, bool onednn_avx512);
// preferred_block for a session whose kernels run `kernels_isa`, with what
// oneDNN runs on this CPU (onednn::onednn_runs_avx512).
int64_t session_block(Isa kernels_isa);

void plan_blocked_layouts(Graph& g, int64_t block, PassReport& report);

}  // namespace normrt::rt::passes
