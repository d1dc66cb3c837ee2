#pragma once
// Depthwise fusion: a 1x1 convolution whose only reader is a 3x3 depthwise
// convolution (MobileNet's expand -> dw pair) becomes one normrt.Conv that
// oneDNN runs as a 1x1 primitive with a depthwise post-op, so the expanded
// tensor never leaves the cache. Execution only; runs after the epilogue
// fusions (both convs carry their activations) and before the layout pass.
//
// The fused node (kernels/onednn_conv_dw.hpp):
//   inputs  X, W (1x1), B?, <none: no residual>, W_dw [M,1,3,3], B_dw?
//   attrs   the 1x1's attributes and epilogue, plus
//           dw_stride 1 | 2 (its presence marks the fusion), and the dw's
//           epilogue as dw_activation / dw_activation_min / dw_activation_max.
#include "ir/graph.hpp"
#include "passes/passes.hpp"

namespace normrt::rt::passes {

void fuse_depthwise_convs(Graph& g, PassReport& report);

}  // namespace normrt::rt::passes
