#pragma once
// One demo model end to end: what the graph passes did to it, then on each
// ISA the unoptimized and the optimized session on the same seeded input,
// outputs compared and latency measured.
#include <cstdint>
#include <string>
#include <vector>

#include "demo_models.hpp"
#include "demo_progress.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt::cli::demo {

struct DemoOptions {
  uint32_t seed = 2024;
  std::vector<Isa> isas;  // every one this CPU runs, unless narrowed
  int threads = 0;        // 0: OpenMP's default
  int samples = 15;       // latency: median of this many timed runs
  double rtol = 1e-4, atol = 1e-5;
  std::string save_dir;   // non-empty: write each model there as <name>.onnx
};

// What the execution passes made of the model.
struct PassSummary {
  std::size_t nodes_before = 0, nodes_after = 0;
  std::size_t bn_folded = 0, bn_left = 0, norms_fused = 0, residuals_fused = 0, epilogues = 0;
  std::vector<std::string> bn_left_reasons;  // the pass report's line for each BN left
  std::string summary;                       // the report's "summary: ..." line
};

struct IsaResult {
  Isa isa = Isa::scalar;
  double unoptimized_ms = 0.0, optimized_ms = 0.0;
  double max_abs_diff = 0.0;  // optimized vs unoptimized, over every output element
};

struct ModelResult {
  PassSummary passes;
  std::vector<IsaResult> isas;
  std::vector<std::string> mismatches;  // empty when every comparison agreed
};

// The steps run_demo_model reports to `progress` (for its total).
int demo_steps_per_model(const DemoOptions& options);

// Throws normrt::Error when a session cannot be made or run; a disagreement
// between outputs is recorded in ModelResult::mismatches instead.
ModelResult run_demo_model(const DemoModel& model, const DemoOptions& options, Progress& progress);

}  // namespace normrt::cli::demo
