#pragma once
// normrt's C++ runtime API: load an ONNX model, run it many times.
//
//   normrt::Session s = normrt::Session::load("resnet50.onnx", {.threads = 8});
//   std::vector<normrt::rt::Tensor> y = s.run({{"input", x}});
//
// Creation loads the model, runs the graph passes (BN folding, norm fusion)
// and checks that every op has a kernel. Execution plans (kernels prepared
// for the shapes, memory layout) are made once per input-shape signature and
// cached. `run` is safe to call from several threads at once. Every problem
// is a normrt::Error naming the node, input or tensor at fault.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.hpp"
#include "normrt/error.hpp"
#include "normrt/runtime/profile.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt {

namespace rt {
class Graph;
struct Dim;
}  // namespace rt

struct SessionOptions {
  int threads = 0;           // 0: OpenMP's default
  std::optional<Isa> isa;    // unset: the best this CPU runs (NORMRT_ISA caps it)
  bool optimize = true;      // run the graph passes (folding, fusion)
  // With optimize: keep conv -> norm/relu/add/pool -> conv chains in
  // oneDNN's blocked nChw8c / nChw16c layout (passes/blocked_layouts.hpp):
  // oneDNN's fast convolutions read and write it, plain NCHW falls back to
  // im2col + GEMM (ResNet-50 1.8x, MobileNetV2 7x slower).
  bool blocked_layouts = true;
  // With blocked_layouts: 3x3 stride-1 convolutions use oneDNN's Winograd
  // algorithm where it has one (AVX-512): ~1.9x faster per conv, results
  // differ from direct convolution by rounding (passes/conv_algorithms.hpp).
  bool winograd = true;
  // With blocked_layouts: a 1x1 conv feeding a 3x3 depthwise conv runs as one
  // oneDNN primitive with a depthwise post-op (passes/dw_conv_fusion.hpp).
  bool depthwise_fusion = true;
  // Hostile or mistaken shapes: planning refuses, with an Error naming the
  // value, any tensor (and the run's arena) larger than this.
  std::size_t max_tensor_bytes = std::size_t(16) << 30;
};

// A graph input or output as the model declares it.
struct TensorSpec {
  std::string name;
  rt::DType dtype = rt::DType::undefined;
  bool has_shape = false;            // false: rank unknown
  std::vector<int64_t> dims;         // -1 for a symbolic or unknown dimension
  std::vector<std::string> symbols;  // per dim: the symbol ("batch") or ""
  std::string shape_string() const;  // "[batch,3,224,224]"
};

class Session {
 public:
  static Session load(const std::string& path, const SessionOptions& options = {});
  // `model_dir` is where external data lives (empty: external data is an error).
  static Session from_buffer(const void* data, std::size_t size,
                             const SessionOptions& options = {},
                             const std::string& model_dir = {});
  // Takes a graph built in memory (tests, `normrt demo`).
  static Session from_graph(std::unique_ptr<rt::Graph> graph, const SessionOptions& options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

  // Named inputs (every graph input exactly once); outputs in graph order.
  std::vector<rt::Tensor> run(const std::vector<std::pair<std::string, rt::Tensor>>& inputs) const;
  // The same, and `profile` is overwritten with this run's per-node times
  // (profile.hpp). Runs without a profile pay nothing for this.
  std::vector<rt::Tensor> run(const std::vector<std::pair<std::string, rt::Tensor>>& inputs,
                              RunProfile& profile) const;

  // What the graph passes did ("" when optimize is off).
  std::string pass_report() const;
  // The graph as it runs (after the passes).
  const rt::Graph& graph() const;
  const SessionOptions& options() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace normrt
