#include "demo_builder.hpp"

#include <cmath>

namespace normrt::cli::demo {
namespace {

int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

}  // namespace

// Opset 15, what PyTorch 1.13 exports by default (14) plus the final
// BatchNormalization: no LayerNormalization op yet, so exporters write it out;
// ReduceMean takes `axes` as an attribute. (The runtime registers
// BatchNormalization only for model opsets up to 15.)
DemoBuilder::DemoBuilder(const std::string& graph_name, uint32_t seed) : onnx_(15), rng_(seed) {
  onnx_.model().mutable_graph()->set_name(graph_name);
  onnx_.model().set_producer_name("normrt demo");
}

std::string DemoBuilder::fresh(const std::string& prefix) {
  return prefix + "_" + std::to_string(counter_++);
}

std::string DemoBuilder::uniform(const std::string& prefix, std::vector<int64_t> dims, float lo,
                                 float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> values(static_cast<std::size_t>(element_count(dims)));
  for (float& v : values) v = dist(rng_);
  const std::string name = fresh(prefix);
  onnx_.initializer(name, std::move(dims), std::move(values));
  return name;
}

std::string DemoBuilder::weights(const std::string& prefix, std::vector<int64_t> dims,
                                 int64_t fan_in) {
  const auto a = float(std::sqrt(3.0 / double(fan_in)));
  return uniform(prefix, std::move(dims), -a, a);
}

std::string DemoBuilder::scalar(const std::string& prefix, float value) {
  return filled(prefix, {}, value);
}

std::string DemoBuilder::filled(const std::string& prefix, std::vector<int64_t> dims, float value) {
  const std::string name = fresh(prefix);
  std::vector<float> values(static_cast<std::size_t>(element_count(dims)), value);
  onnx_.initializer(name, std::move(dims), std::move(values));
  return name;
}

std::string DemoBuilder::int64s(const std::string& prefix, std::vector<int64_t> values) {
  const std::string name = fresh(prefix);
  const auto n = int64_t(values.size());
  onnx_.initializer_i64(name, {n}, std::move(values));
  return name;
}

std::string DemoBuilder::op(const std::string& op_type, std::vector<std::string> inputs,
                            const std::string& prefix) {
  const std::string out = fresh(prefix);
  last_ = onnx_.node(op_type, std::move(inputs), {out}, prefix + "_" + std::to_string(counter_));
  return out;
}

void DemoBuilder::graph_output(const std::string& name) {
  last_->set_output(0, name);
  onnx_.output(name);
}

std::string DemoBuilder::conv(const std::string& x, int64_t c_in, int64_t c_out, int64_t kernel,
                              bool bias) {
  std::vector<std::string> inputs = {
      x, weights("conv_w", {c_out, c_in, kernel, kernel}, c_in * kernel * kernel)};
  if (bias) inputs.push_back(uniform("conv_b", {c_out}, -0.1f, 0.1f));
  const std::string y = op("Conv", inputs, "conv");
  const int64_t pad = kernel / 2;
  rt::OnnxBuilder::attr_ints(last_, "kernel_shape", {kernel, kernel});
  rt::OnnxBuilder::attr_ints(last_, "pads", {pad, pad, pad, pad});
  return y;
}

std::string DemoBuilder::batch_norm(const std::string& x, int64_t channels) {
  const std::string gamma = uniform("bn_gamma", {channels}, 0.5f, 1.5f);
  const std::string beta = uniform("bn_beta", {channels}, -0.2f, 0.2f);
  const std::string mean = uniform("bn_mean", {channels}, -0.2f, 0.2f);
  const std::string var = uniform("bn_var", {channels}, 0.5f, 1.5f);
  const std::string y = op("BatchNormalization", {x, gamma, beta, mean, var}, "bn");
  rt::OnnxBuilder::attr_float(last_, "epsilon", 1e-5f);
  return y;
}

std::string DemoBuilder::linear(const std::string& x, int64_t k, int64_t n) {
  const std::string xw = op("MatMul", {x, weights("linear_w", {k, n}, k)}, "matmul");
  return op("Add", {xw, uniform("linear_b", {n}, -0.1f, 0.1f)}, "linear");
}

std::string DemoBuilder::silu(const std::string& x) {
  return op("Mul", {x, op("Sigmoid", {x}, "sigmoid")}, "silu");
}

}  // namespace normrt::cli::demo
