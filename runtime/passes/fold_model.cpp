#include "passes/fold_model.hpp"

#include <onnx/checker.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "normrt/error.hpp"
#include "normrt/runtime/session.hpp"
#include "onnx/loader.hpp"
#include "onnx/writer.hpp"

namespace normrt::rt {
namespace {

std::size_t count_constants(const Graph& g) {
  std::size_t n = 0;
  for (const auto& [name, v] : g.values()) n += v->constant ? 1 : 0;
  return n;
}

std::vector<std::string> names_of(const std::vector<Value*>& values) {
  std::vector<std::string> names;
  for (const Value* v : values) names.push_back(v->name);
  return names;
}

// One random tensor per declared input; symbolic or unknown dims are 1.
std::vector<std::pair<std::string, Tensor>> random_inputs(const Session& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<std::pair<std::string, Tensor>> inputs;
  for (const TensorSpec& spec : s.inputs()) {
    Dims dims;
    for (int64_t d : spec.dims) dims.push_back(d < 0 ? 1 : d);
    Tensor t(spec.dtype, dims);  // zero-filled: integer inputs (indices, ids) stay 0
    if (spec.dtype == DType::f32)
      for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = uniform(rng);
    else if (spec.dtype == DType::f64)
      for (int64_t i = 0; i < t.size(); ++i) t.as<double>()[i] = uniform(rng);
    inputs.emplace_back(spec.name, std::move(t));
  }
  return inputs;
}

// Largest |a - b| over float outputs; throws naming the first output outside tolerance.
double compare_outputs(const Session& original, const std::vector<Tensor>& want,
                       const std::vector<Tensor>& got, const FoldModelOptions& o) {
  double max_diff = 0.0;
  for (std::size_t k = 0; k < want.size(); ++k) {
    const std::string what = "output '" + original.output_names()[k] + "'";
    if (want[k].dtype() != got[k].dtype() || want[k].dims() != got[k].dims())
      throw Error(what + ": the folded model gives " + dims_string(got[k].dims()) +
                  ", the original " + dims_string(want[k].dims()));
    if (want[k].dtype() != DType::f32) {
      if (std::memcmp(want[k].data(), got[k].data(), want[k].bytes()) != 0)
        throw Error(what + ": the folded model's values differ");
      continue;
    }
    for (int64_t i = 0; i < want[k].size(); ++i) {
      const double a = want[k].as<float>()[i];
      const double b = got[k].as<float>()[i];
      const double diff = std::fabs(a - b);
      if (!(diff <= o.atol + o.rtol * std::fabs(a)))
        throw Error(what + " element " + std::to_string(i) + ": folded " + std::to_string(b) +
                    ", original " + std::to_string(a) + " (rtol " + std::to_string(o.rtol) +
                    ", atol " + std::to_string(o.atol) + ")");
      max_diff = std::max(max_diff, diff);
    }
  }
  return max_diff;
}

}  // namespace

FoldModelResult fold_model(const std::string& in_path, const std::string& out_path,
                           const FoldModelOptions& options) {
  FoldModelResult r;
  std::unique_ptr<Graph> g = load_model_file(in_path);
  const auto inputs_before = names_of(g->inputs);
  const auto outputs_before = names_of(g->outputs);
  r.nodes_before = g->nodes().size();
  r.constants_before = count_constants(*g);

  run_passes(*g, PassOptions::deployment(), r.report);
  r.nodes_after = g->nodes().size();
  r.constants_after = count_constants(*g);
  if (names_of(g->inputs) != inputs_before || names_of(g->outputs) != outputs_before)
    throw Error("folding changed the model's input or output names");

  const onnx::ModelProto model = model_from_graph(*g);
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error(std::string("the folded model fails onnx::checker: ") + e.what());
  }
  save_model(*g, out_path);
  if (!options.verify) return r;

  SessionOptions plain;
  plain.optimize = false;  // compare the models as written, not as normrt would rewrite them
  const Session original = Session::load(in_path, plain);
  const Session folded = Session::load(out_path, plain);
  const auto inputs = random_inputs(original, options.seed);
  r.max_abs_diff = compare_outputs(original, original.run(inputs), folded.run(inputs), options);
  r.verified = true;
  return r;
}

}  // namespace normrt::rt
