#pragma once
// normrt.Conv with a fused depthwise convolution (passes/dw_conv_fusion.hpp):
//   Y = act_dw(dwconv3x3_s(act(conv1x1(X, W) + B), W_dw) + B_dw)
// inputs X, W [M, C, 1, 1] (constant), B?, none (no residual),
// W_dw [M, 1, 3, 3] (constant), B_dw?; attributes dw_stride (1 or 2),
// dw_activation / dw_activation_min / dw_activation_max (the epilogue of
// kernels/onednn_epilogue.hpp, for the depthwise conv), plus Conv's.
// oneDNN runs it as one 1x1 primitive with a depthwise post-op; where it has
// no such implementation (or only a reference one) the kernel runs the two
// convolutions itself, the intermediate in its scratch.
#include <memory>
#include <vector>

#include "kernels/kernel.hpp"

namespace normrt::rt::onednn {

constexpr const char* kDwStrideAttr = "dw_stride";
#define NORMRT_DW_ATTRS "dw_stride", "dw_activation", "dw_activation_min", "dw_activation_max"

std::unique_ptr<OpKernel> create_conv_dw(const PrepareContext& ctx, std::vector<TensorInfo>& outputs);

}  // namespace normrt::rt::onednn
