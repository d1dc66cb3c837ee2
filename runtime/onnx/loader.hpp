#pragma once
// ONNX model -> IR. Parses the ModelProto, runs ONNX shape inference,
// converts initializers / Constant nodes to constant values, reads external
// data from the model's folder, and validates the wiring (every input
// defined, no cycles). Whether the ops can run is checked later, by the
// Session against the kernel registry, so `fold` can load any model.
// Every problem is a normrt::Error naming the node, value or tensor.
#include <cstddef>
#include <memory>
#include <string>

#include "ir/graph.hpp"

namespace normrt::rt {

struct LoadOptions {
  // Fill value shapes with onnx::shape_inference (inconsistencies are errors).
  bool infer_shapes = true;
};

std::unique_ptr<Graph> load_model_file(const std::string& path, const LoadOptions& options = {});
// `model_dir` is where external data lives; empty: external data is an error.
std::unique_ptr<Graph> load_model_buffer(const void* data, std::size_t size,
                                         const std::string& model_dir = {},
                                         const LoadOptions& options = {});

// The default ONNX domain opsets the loader accepts.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 23;

}  // namespace normrt::rt
