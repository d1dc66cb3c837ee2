#pragma once
// The ONNX model builder now lives in the runtime (shared with `normrt demo`);
// tests keep using it under its old name.
#include "onnx/model_builder.hpp"

namespace normrt::rt::testing {
using OnnxBuilder = rt::OnnxBuilder;
}  // namespace normrt::rt::testing
