#include "demo_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <tuple>

#include "normrt/runtime/session.hpp"
#include "onnx/loader.hpp"
#include "onnx/test_data.hpp"
#include "passes/passes.hpp"

namespace normrt::cli::demo {
namespace {

using Inputs = std::vector<std::pair<std::string, rt::Tensor>>;

// The last line of PassReport::str(): "summary: bn-fold=9 ...".
std::string summary_line(const rt::PassReport& report) {
  std::string text = report.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

// The same passes a Session runs, on a copy of the graph we can inspect.
PassSummary summarize_passes(const DemoModel& model) {
  std::unique_ptr<rt::Graph> g = rt::load_model_buffer(model.bytes.data(), model.bytes.size());
  PassSummary s;
  s.nodes_before = g->nodes().size();
  rt::PassReport report;
  rt::run_default_passes(*g, report);
  s.nodes_after = g->nodes().size();
  s.bn_folded = report.count("bn-fold");
  s.bn_left = report.count("bn-left");
  s.norms_fused = report.count("layer-norm-fusion") + report.count("rms-norm-fusion") +
                  report.count("group-norm-fusion");
  s.residuals_fused = report.count("skip-norm-fusion");
  s.epilogues = report.count("epilogue-fusion");
  for (const auto& e : report.entries)
    if (e.pass == "bn-left") s.bn_left_reasons.push_back(e.message);
  s.summary = summary_line(report);
  return s;
}

// Float inputs U[-1, 1] from the demo's seed (the models have static shapes).
Inputs random_inputs(const Session& session, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Inputs inputs;
  for (const TensorSpec& spec : session.inputs()) {
    if (spec.dtype != rt::DType::f32) throw Error("demo input '" + spec.name + "' is not float");
    rt::Tensor t(spec.dtype, rt::Dims(spec.dims.begin(), spec.dims.end()));
    for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = uniform(rng);
    inputs.emplace_back(spec.name, std::move(t));
  }
  return inputs;
}

// Of two f32 tensors of one shape.
double max_abs_diff(const rt::Tensor& a, const rt::Tensor& b) {
  double m = 0.0;
  for (int64_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::fabs(double(a.as<float>()[i]) - double(b.as<float>()[i])));
  return m;
}

// Records a message per output outside tolerance; returns the largest |difference|.
double compare(const std::vector<rt::Tensor>& got, const std::vector<rt::Tensor>& want,
               const std::vector<std::string>& names, const std::string& what,
               const DemoOptions& options, std::vector<std::string>& mismatches) {
  double m = 0.0;
  for (std::size_t k = 0; k < want.size(); ++k) {
    const std::string message = rt::compare_tensors(got[k], want[k], what + ", output '" + names[k] + "'",
                                                    options.rtol, options.atol);
    if (!message.empty()) mismatches.push_back(message);
    if (got[k].dtype() == rt::DType::f32 && got[k].dims() == want[k].dims())
      m = std::max(m, max_abs_diff(got[k], want[k]));
  }
  return m;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double run_ms(const Session& session, const Inputs& inputs) {
  const auto t0 = std::chrono::steady_clock::now();
  session.run(inputs);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Median latency of both sessions, runs interleaved so that both see the
// same machine (other processes, clock changes). The first run of each,
// which also makes the plan, is not timed.
std::pair<double, double> time_pair(const Session& a, const Session& b, const Inputs& inputs,
                                    int samples) {
  std::vector<double> ta, tb;
  for (int s = 0; s < samples; ++s) {
    ta.push_back(run_ms(a, inputs));
    tb.push_back(run_ms(b, inputs));
  }
  return {median(ta), median(tb)};
}

}  // namespace

int demo_steps_per_model(const DemoOptions& options) { return 1 + int(options.isas.size()); }

ModelResult run_demo_model(const DemoModel& model, const DemoOptions& options, Progress& progress) {
  ModelResult r;
  progress.step(model.name + ": graph passes");
  r.passes = summarize_passes(model);

  std::vector<rt::Tensor> reference;  // unoptimized, on the first ISA
  const std::string first_isa = options.isas.empty() ? "" : isa_name(options.isas.front());
  for (Isa isa : options.isas) {
    SessionOptions so;
    so.isa = isa;
    so.threads = options.threads;
    IsaResult res;
    res.isa = isa;
    const std::string on = std::string(" on ") + isa_name(isa);

    progress.step(model.name + ":" + on + ", unoptimized vs optimized");
    so.optimize = false;
    const Session plain = Session::from_buffer(model.bytes.data(), model.bytes.size(), so);
    so.optimize = true;
    const Session fast = Session::from_buffer(model.bytes.data(), model.bytes.size(), so);
    const Inputs inputs = random_inputs(plain, options.seed);
    const std::vector<rt::Tensor> want = plain.run(inputs);
    const std::vector<rt::Tensor> got = fast.run(inputs);
    std::tie(res.unoptimized_ms, res.optimized_ms) = time_pair(plain, fast, inputs, options.samples);

    const auto names = plain.output_names();
    res.max_abs_diff = compare(got, want, names,
                               model.name + ": optimized vs unoptimized" + on, options, r.mismatches);
    if (reference.empty())
      reference = want;
    else
      compare(want, reference, names,
              model.name + ": unoptimized" + on + " vs " + first_isa, options, r.mismatches);
    r.isas.push_back(res);
  }
  return r;
}

}  // namespace normrt::cli::demo
