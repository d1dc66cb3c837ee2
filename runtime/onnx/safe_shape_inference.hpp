#pragma once
// ONNX shape inference, hardened for models we cannot trust. ONNX 1.12's
// per-op inference functions index shapes without bounds checks for some
// malformed nodes (Conv with a rank-2 input and a rank-4 weight segfaults in
// convPoolShapeInference). Each schema's inference function is wrapped with
// rank checks that turn those cases into an InferenceError first.
#include <onnx/onnx_pb.h>

namespace normrt::rt {

// Fills the model's value_info; throws normrt::Error naming the node on an
// inconsistency.
void infer_shapes_safely(onnx::ModelProto& model);

}  // namespace normrt::rt
