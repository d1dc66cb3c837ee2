#pragma once
#include <cstdint>

namespace normrt::ops {

// Where channels sit in a tensor of N images with C channels and `spatial`
// positions each (spatial = product of the dims after the channel dim: 1 for
// rank 2, H*W for rank 4, D*H*W for rank 5).
//   nchw: [N, C, spatial...] (channels first, ONNX's layout)
//   nhwc: [N, spatial..., C] (channels last)
enum class Layout { nchw, nhwc };

}  // namespace normrt::ops
