#pragma once
// `normrt fold`: a deployment copy of a model with BatchNorm folded. Loads
// IN, applies the deployment passes (semantics-preserving, standard ONNX ops
// only), checks the result with onnx::checker, keeps the graph's input and
// output names, drops dead initializers, writes OUT, then runs the original
// and the written model on the same random inputs and compares.
#include <cstdint>
#include <string>
#include <vector>

#include "passes/passes.hpp"

namespace normrt::rt {

struct FoldModelOptions {
  uint32_t seed = 0;     // random inputs: float U[-1, 1], integers 0, symbolic dims 1
  bool verify = true;    // run both models and compare
  double rtol = 1e-4;
  double atol = 1e-5;
};

struct FoldModelResult {
  PassReport report;
  std::size_t nodes_before = 0, nodes_after = 0;
  std::size_t constants_before = 0, constants_after = 0;
  bool verified = false;
  double max_abs_diff = 0.0;  // over every float output element
};

// Throws normrt::Error on any failure (load, checker, names, mismatch, write).
FoldModelResult fold_model(const std::string& in_path, const std::string& out_path,
                           const FoldModelOptions& options = {});

}  // namespace normrt::rt
