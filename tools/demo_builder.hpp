#pragma once
// Layers for the `normrt demo` models, on top of the ONNX protobuf builder:
// fresh value names, seeded random weights, and the node groups exporters
// write (Conv, BatchNormalization, MatMul + Add, x * Sigmoid(x), ...). Each
// layer returns the name of the value it produces.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "onnx/model_builder.hpp"

namespace normrt::cli::demo {

class DemoBuilder {
 public:
  DemoBuilder(const std::string& graph_name, uint32_t seed);

  rt::OnnxBuilder& onnx() { return onnx_; }
  std::string bytes() const { return onnx_.bytes(); }

  // "prefix_<n>", unique within the model.
  std::string fresh(const std::string& prefix);

  // Initializers (each returns its name).
  std::string uniform(const std::string& prefix, std::vector<int64_t> dims, float lo, float hi);
  // Weights with unit-variance outputs for `fan_in` inputs: U[-sqrt(3/fan_in), +].
  std::string weights(const std::string& prefix, std::vector<int64_t> dims, int64_t fan_in);
  std::string scalar(const std::string& prefix, float value);
  std::string int64s(const std::string& prefix, std::vector<int64_t> values);
  std::string filled(const std::string& prefix, std::vector<int64_t> dims, float value);

  // A node with one output; returns the output's name.
  std::string op(const std::string& op_type, std::vector<std::string> inputs,
                 const std::string& prefix);
  onnx::NodeProto* last() { return last_; }
  // Renames the last node's output to `name` and declares it a graph output.
  void graph_output(const std::string& name);

  // Conv with square kernel, stride 1, "same" padding; bias optional (torchvision: none before BN).
  std::string conv(const std::string& x, int64_t c_in, int64_t c_out, int64_t kernel, bool bias);
  // Inference BatchNormalization with random trained-looking statistics.
  std::string batch_norm(const std::string& x, int64_t channels);
  // x @ W + b with W [k, n] (a Linear layer as exporters write it).
  std::string linear(const std::string& x, int64_t k, int64_t n);
  // x * Sigmoid(x), as PyTorch exports SiLU before opset 20.
  std::string silu(const std::string& x);

 private:
  rt::OnnxBuilder onnx_;
  std::mt19937 rng_;
  int counter_ = 0;
  onnx::NodeProto* last_ = nullptr;
};

}  // namespace normrt::cli::demo
