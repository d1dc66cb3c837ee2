// normrt::Session: load -> passes -> op support check; per input-shape
// signature a cached plan; runs lease an arena each, so they can overlap.
#include "normrt/runtime/session.hpp"

#include <omp.h>

#include <chrono>
#include <map>
#include <mutex>

#include "exec/arena_pool.hpp"
#include "exec/executor.hpp"
#include "exec/plan.hpp"
#include "exec/run_step.hpp"
#include "ir/graph.hpp"
#include "kernels/kernel.hpp"
#include "onnx/loader.hpp"
#include "passes/blocked_layouts.hpp"
#include "passes/conv_algorithms.hpp"
#include "passes/dw_conv_fusion.hpp"
#include "passes/passes.hpp"

namespace normrt {

using rt::Dims;
using rt::Graph;
using rt::Tensor;

std::string TensorSpec::shape_string() const {
  if (!has_shape) return "[?]";
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += dims[i] >= 0 ? std::to_string(dims[i]) : (symbols[i].empty() ? "?" : symbols[i]);
  }
  return s + "]";
}

namespace {

// Plans cached per session; beyond this many signatures the cache restarts.
constexpr std::size_t kMaxCachedPlans = 32;

TensorSpec spec_of(const rt::Value& v) {
  TensorSpec s;
  s.name = v.name;
  s.dtype = v.dtype;
  if (v.shape) {
    s.has_shape = true;
    for (const rt::Dim& d : *v.shape) {
      s.dims.push_back(d.value);
      s.symbols.push_back(d.symbol);
    }
  }
  return s;
}

// Every node must have a kernel; the error names the first that has none
// and counts the others, so a user sees the whole gap at once.
void check_ops_supported(const Graph& g) {
  const auto& registry = rt::KernelRegistry::builtin();
  std::string first;
  std::map<std::string, int> others;
  for (const auto& n : g.nodes()) {
    if (registry.find(n->domain, n->op_type, n->opset)) continue;
    if (first.empty()) {
      first = rt::unsupported_op_message(*n);
    } else {
      ++others[(n->domain.empty() ? "" : n->domain + ".") + n->op_type];
    }
  }
  if (first.empty()) return;
  if (!others.empty()) {
    first += " (other unsupported ops:";
    for (const auto& [op, count] : others) first += " " + op + " x" + std::to_string(count);
    first += ")";
  }
  throw Error(first);
}

}  // namespace

struct Session::Impl {
  SessionOptions options;
  ops::ExecOptions exec;
  std::unique_ptr<Graph> graph;
  rt::PassReport report;
  std::vector<TensorSpec> input_specs, output_specs;

  mutable std::mutex plans_mutex;
  mutable std::map<std::vector<Dims>, std::shared_ptr<const rt::Plan>> plans;
  mutable rt::ArenaPool arenas;

  Impl(std::unique_ptr<Graph> g, const SessionOptions& opts) : options(opts), graph(std::move(g)) {
    if (opts.threads < 0) throw Error("SessionOptions.threads must be >= 0");
    if (opts.isa) require_isa(*opts.isa);
    exec.isa = opts.isa;
    exec.threads = opts.threads;
    graph->topo_sort();
    if (opts.optimize) rt::run_default_passes(*graph, report);
    if (opts.optimize && opts.blocked_layouts) {
      if (opts.depthwise_fusion) rt::passes::fuse_depthwise_convs(*graph, report);
      const int64_t block = rt::passes::session_block(opts.isa.value_or(best_isa()));
      rt::passes::plan_blocked_layouts(*graph, block, report);
      if (opts.winograd) rt::passes::choose_conv_algorithms(*graph, report);
    }
    check_ops_supported(*graph);
    for (const rt::Value* v : graph->inputs) input_specs.push_back(spec_of(*v));
    for (const rt::Value* v : graph->outputs) output_specs.push_back(spec_of(*v));
  }

  // The caller's tensors in graph-input order, checked against the specs.
  std::vector<const Tensor*> bind(const std::vector<std::pair<std::string, Tensor>>& named) const {
    std::vector<const Tensor*> bound(input_specs.size(), nullptr);
    std::map<std::string, int64_t> symbols;  // "batch" -> its value in this run
    for (const auto& [name, tensor] : named) {
      std::size_t i = 0;
      while (i < input_specs.size() && input_specs[i].name != name) ++i;
      if (i == input_specs.size()) {
        std::string known;
        for (const auto& s : input_specs) known += (known.empty() ? "" : ", ") + s.name;
        throw Error("input '" + name + "' is not an input of the model (inputs: " + known + ")");
      }
      if (bound[i]) throw Error("input '" + name + "' is given twice");
      check_input(input_specs[i], tensor, symbols);
      bound[i] = &tensor;
    }
    for (std::size_t i = 0; i < bound.size(); ++i)
      if (!bound[i]) throw Error("input '" + input_specs[i].name + "' is missing");
    return bound;
  }

  static void check_input(const TensorSpec& spec, const Tensor& t,
                          std::map<std::string, int64_t>& symbols) {
    const std::string what = "input '" + spec.name + "'";
    if (t.dtype() != spec.dtype)
      throw Error(what + ": expected " + rt::dtype_name(spec.dtype) + ", got " +
                  rt::dtype_name(t.dtype()));
    if (!spec.has_shape) return;
    const Dims& d = t.dims();
    const std::string mismatch = what + ": shape " + rt::dims_string(d) + " does not match the " +
                                 "declared shape " + spec.shape_string();
    if (d.size() != spec.dims.size()) throw Error(mismatch + " (rank differs)");
    for (std::size_t k = 0; k < d.size(); ++k) {
      if (spec.dims[k] >= 0 && d[k] != spec.dims[k]) throw Error(mismatch);
      if (spec.dims[k] < 0 && !spec.symbols[k].empty()) {
        auto [it, fresh] = symbols.emplace(spec.symbols[k], d[k]);
        if (!fresh && it->second != d[k])
          throw Error(what + ": dimension '" + spec.symbols[k] + "' is " + std::to_string(d[k]) +
                      " here but " + std::to_string(it->second) + " in another input");
      }
    }
  }

  std::shared_ptr<const rt::Plan> plan_for(const std::vector<const Tensor*>& inputs) const {
    std::vector<Dims> key;
    std::vector<rt::TensorInfo> infos;
    for (const Tensor* t : inputs) {
      key.push_back(t->dims());
      infos.push_back({t->dtype(), t->dims()});
    }
    // Preparing under the lock: one signature is planned once, not by every
    // thread that races to it.
    std::lock_guard<std::mutex> lock(plans_mutex);
    auto it = plans.find(key);
    if (it != plans.end()) return it->second;
    auto plan = rt::make_plan(*graph, infos, exec, options.max_tensor_bytes);
    if (plans.size() >= kMaxCachedPlans) plans.clear();
    plans.emplace(std::move(key), plan);
    return plan;
  }

  std::vector<Tensor> run(const std::vector<std::pair<std::string, Tensor>>& inputs,
                          RunProfile* profile) const {
    const std::vector<const Tensor*> bound = bind(inputs);
    // oneDNN and the normrt kernels share GNU OpenMP's pool; the count is per
    // calling thread, so concurrent runs with different sessions do not clash.
    if (options.threads > 0) omp_set_num_threads(options.threads);
    const auto plan = plan_for(bound);
    const auto arena = arenas.acquire(plan->arena_bytes);
    return rt::execute(*plan, bound, arena.data(), exec, profile);
  }
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session Session::load(const std::string& path, const SessionOptions& options) {
  return from_graph(rt::load_model_file(path), options);
}

Session Session::from_buffer(const void* data, std::size_t size, const SessionOptions& options,
                             const std::string& model_dir) {
  return from_graph(rt::load_model_buffer(data, size, model_dir), options);
}

Session Session::from_graph(std::unique_ptr<Graph> graph, const SessionOptions& options) {
  if (!graph) throw Error("Session::from_graph: no graph");
  return Session(std::make_unique<Impl>(std::move(graph), options));
}

const std::vector<TensorSpec>& Session::inputs() const { return impl_->input_specs; }
const std::vector<TensorSpec>& Session::outputs() const { return impl_->output_specs; }

std::vector<std::string> Session::input_names() const {
  std::vector<std::string> names;
  for (const auto& s : impl_->input_specs) names.push_back(s.name);
  return names;
}

std::vector<std::string> Session::output_names() const {
  std::vector<std::string> names;
  for (const auto& s : impl_->output_specs) names.push_back(s.name);
  return names;
}

std::vector<Tensor> Session::run(const std::vector<std::pair<std::string, Tensor>>& inputs) const {
  return impl_->run(inputs, nullptr);
}

std::vector<Tensor> Session::run(const std::vector<std::pair<std::string, Tensor>>& inputs,
                                 RunProfile& profile) const {
  profile = RunProfile{};
  const auto t0 = std::chrono::steady_clock::now();
  auto outputs = impl_->run(inputs, &profile);
  profile.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return outputs;
}

std::string Session::pass_report() const { return impl_->report.str(); }
const Graph& Session::graph() const { return *impl_->graph; }
const SessionOptions& Session::options() const { return impl_->options; }

}  // namespace normrt
