#pragma once
// Building small graphs in code for the graph-pass tests, running them
// through Session with the passes off and on, and comparing.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.hpp"
#include "normrt/runtime/session.hpp"
#include "passes/passes.hpp"

namespace normrt::rt::testing {

inline Tensor random_tensor(const Dims& dims, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::f32, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = dist(rng);
  return t;
}

inline Tensor float_values(const Dims& dims, const std::vector<float>& v) {
  Tensor t(DType::f32, dims);
  for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = v[std::size_t(i)];
  return t;
}

inline Tensor int_values(const std::vector<int64_t>& v) {
  Tensor t(DType::i64, {int64_t(v.size())});
  for (std::size_t i = 0; i < v.size(); ++i) t.as<int64_t>()[i] = v[i];
  return t;
}

inline std::vector<Dim> shape_of(const Dims& dims) {
  std::vector<Dim> s;
  for (int64_t d : dims) s.push_back(Dim{d, {}});
  return s;
}

// Builds a graph node by node; every value gets the shape the test declares
// (the loader's shape inference does this for real models).
class GraphBuilder {
 public:
  explicit GraphBuilder(int opset = 13) : g_(std::make_unique<Graph>()) {
    g_->opset_imports[""] = opset;
  }

  Value* input(const std::string& name, const Dims& dims) {
    Value* v = g_->add_value(name);
    v->dtype = DType::f32;
    v->shape = shape_of(dims);
    v->is_graph_input = true;
    g_->inputs.push_back(v);
    return v;
  }

  Value* constant(const std::string& name, Tensor t) {
    Value* v = g_->add_value(name);
    v->dtype = t.dtype();
    v->shape = shape_of(t.dims());
    v->constant = std::move(t);
    return v;
  }
  Value* scalar(const std::string& name, float x) { return constant(name, float_values({}, {x})); }
  Value* random(const std::string& name, const Dims& dims, unsigned seed, float lo = -1.0f,
                float hi = 1.0f) {
    return constant(name, random_tensor(dims, seed, lo, hi));
  }

  // A node with one output of declared shape `out_dims` (dtype f32 unless given).
  Value* op(const std::string& op_type, std::vector<Value*> inputs, const Dims& out_dims,
            std::map<std::string, Attribute> attrs = {}, const std::string& domain = "",
            DType out_type = DType::f32) {
    const std::string out_name = g_->unique_name(op_type + "_out");
    Value* out = g_->add_value(out_name);
    out->dtype = out_type;
    out->shape = shape_of(out_dims);
    auto n = std::make_unique<Node>();
    n->name = op_type + "_" + std::to_string(g_->nodes().size());
    n->op_type = op_type;
    n->domain = domain;
    int64_t& opset = g_->opset_imports[domain];
    if (opset == 0) opset = 1;  // a normrt / com.microsoft op in a test graph
    n->opset = int(opset);
    n->inputs = std::move(inputs);
    n->outputs = {out};
    n->attrs = std::move(attrs);
    g_->add_node(std::move(n));
    return out;
  }

  void output(Value* v) {
    v->is_graph_output = true;
    g_->outputs.push_back(v);
  }

  std::unique_ptr<Graph> take() { return std::move(g_); }

 private:
  std::unique_ptr<Graph> g_;
};

using Build = std::function<std::unique_ptr<Graph>()>;
using Inputs = std::vector<std::pair<std::string, Tensor>>;

// The graph after the passes, with their report.
inline std::pair<std::unique_ptr<Graph>, PassReport> optimized(const Build& build,
                                                               const PassOptions& options) {
  auto g = build();
  PassReport report;
  run_passes(*g, options, report);
  return {std::move(g), std::move(report)};
}

inline int count_ops(const Graph& g, const std::string& op_type, const std::string& domain = "") {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->op_type == op_type && node->domain == domain;
  return n;
}

inline const Node* find_op(const Graph& g, const std::string& op_type, const std::string& domain = "") {
  for (const auto& node : g.nodes())
    if (node->op_type == op_type && node->domain == domain) return node.get();
  return nullptr;
}

inline std::string op_list(const Graph& g) {
  std::string s;
  for (const auto& n : g.nodes()) s += (s.empty() ? "" : " ") + (n->domain.empty() ? "" : n->domain + ".") + n->op_type;
  return s;
}

inline std::vector<Tensor> run_graph(std::unique_ptr<Graph> g, bool optimize, const Inputs& inputs) {
  SessionOptions options;
  options.optimize = optimize;
  Session s = Session::from_graph(std::move(g), options);
  return s.run(inputs);
}

inline void expect_close(const std::vector<Tensor>& want, const std::vector<Tensor>& got,
                         double rtol, double atol);

// Runs `reference` with the passes off and `build` with the execution passes
// on and expects the same outputs: |a - b| <= atol + rtol * |a| per element.
inline void expect_outputs_match(const Build& reference, const Build& build, const Inputs& inputs,
                                 double rtol = 1e-4, double atol = 1e-5) {
  expect_close(run_graph(reference(), false, inputs), run_graph(build(), true, inputs), rtol, atol);
}

inline void expect_same_outputs(const Build& build, const Inputs& inputs, double rtol = 1e-4,
                                double atol = 1e-5) {
  expect_outputs_match(build, build, inputs, rtol, atol);
}

inline void expect_close(const std::vector<Tensor>& want, const std::vector<Tensor>& got,
                         double rtol, double atol) {
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t o = 0; o < want.size(); ++o) {
    ASSERT_EQ(want[o].dims(), got[o].dims()) << "output " << o;
    ASSERT_EQ(want[o].dtype(), DType::f32);
    int bad = 0;
    for (int64_t i = 0; i < want[o].size() && bad < 5; ++i) {
      const double a = want[o].as<float>()[i];
      const double b = got[o].as<float>()[i];
      if (!(std::fabs(a - b) <= atol + rtol * std::fabs(a))) {
        ADD_FAILURE() << "output " << o << " element " << i << ": unoptimized " << a
                      << ", optimized " << b;
        ++bad;
      }
    }
  }
}

}  // namespace normrt::rt::testing
