#pragma once
// IR -> ONNX ModelProto (the fold tool's output). Keeps value names, opset
// imports and declared shapes; constants that something uses become
// initializers (dead ones are dropped); nodes are written in graph order.
#include <onnx/onnx_pb.h>

#include <string>

#include "ir/graph.hpp"

namespace normrt::rt {

onnx::ModelProto model_from_graph(const Graph& graph);
// Serialized ModelProto bytes.
std::string serialize_model(const Graph& graph);
// Writes the model to `path`; throws normrt::Error when it cannot.
void save_model(const Graph& graph, const std::string& path);

}  // namespace normrt::rt
