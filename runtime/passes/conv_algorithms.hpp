#pragma once
// Convolution algorithm choice: 3x3, stride-1 convolutions that the layout
// pass left blocked on both sides get attribute normrt_winograd = 1
// (kernels/onednn_layout.hpp), and the
// conv kernel (kernels/onednn_conv.cpp) then asks oneDNN for its Winograd
// F(4x4, 3x3) implementation, falling back to direct convolution where oneDNN
// has none (oneDNN 2.6 implements it for f32 on AVX-512 only). Winograd does
// about 2.25x fewer multiplications; its results differ from direct
// convolution by rounding only (relative error ~1e-6 of sum |w * x|).
#include "ir/graph.hpp"
#include "passes/passes.hpp"

namespace normrt::rt::passes {

void choose_conv_algorithms(Graph& g, PassReport& report);

}  // namespace normrt::rt::passes
