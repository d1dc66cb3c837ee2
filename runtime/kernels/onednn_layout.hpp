#pragma once
// Blocked activations (oneDNN's nChw8c / nChw16c, ops::Layout::nchw8c /
// nchw16c) in the runtime. A blocked value's TensorInfo holds its physical
// shape [N, ceil(C/b), spatial..., b] (so sizes, the arena and in-place
// checks need nothing special); the nodes that read or write it carry the
// attributes below, set by the layout pass (passes/blocked_layouts.cpp):
//   normrt_block     b (8 or 16): input 0 and output 0 of a norm are blocked
//   normrt_channels  C, the logical channel count (norms and normrt.Reorder)
//   normrt_src_block / normrt_dst_block: Conv's X / Y are blocked
//   normrt_winograd  Conv: ask oneDNN for Winograd first
// normrt.Reorder(X) converts between the layouts: attribute `to` = "blocked"
// (plain X -> blocked Y) or "plain", with normrt_block and normrt_channels.
#include <cstdint>

#include "kernels/onednn_common.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::rt::onednn {

constexpr const char* kBlockAttr = "normrt_block";
constexpr const char* kChannelsAttr = "normrt_channels";
constexpr const char* kSrcBlockAttr = "normrt_src_block";
constexpr const char* kDstBlockAttr = "normrt_dst_block";
// Conv: 1 = try oneDNN's Winograd algorithm first (passes/conv_algorithms.hpp).
constexpr const char* kWinogradAttr = "normrt_winograd";

// Attribute `name`: 0 when absent, else 8 or 16 (anything else is an error
// naming the node).
int64_t block_attr(const PrepareContext& ctx, const char* name);

ops::Layout blocked_layout(int64_t block);

// [N, C, spatial...] -> [N, ceil(C/b), spatial..., b].
Dims blocked_dims(const Dims& logical, int64_t block);
// The inverse, given C; an error naming the node when `physical` is not a
// blocked shape of C channels.
Dims logical_dims(const PrepareContext& ctx, const Dims& physical, int64_t channels,
                  int64_t block);

// oneDNN's descriptor of a blocked activation of logical dims (rank 3 to 5).
dnnl::memory::desc blocked_desc(const PrepareContext& ctx, const Dims& logical, int64_t block);

void register_layout(KernelRegistry& r);  // normrt.Reorder

}  // namespace normrt::rt::onednn
