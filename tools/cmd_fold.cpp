// `normrt fold IN.onnx OUT.onnx`: writes a deployment copy of a model with
// BatchNorm folded into the layers before it (runtime/passes/fold_model.hpp)
// and prints the pass report.
#include <iostream>

#include "cli.hpp"
#include "passes/fold_model.hpp"

namespace normrt::cli {

const char* const kFoldUsage =
    "usage: normrt fold IN.onnx OUT.onnx [--seed N] [--no-verify]\n\n"
    "Folds BatchNormalization into the Conv/ConvTranspose/Gemm/MatMul before it\n"
    "(and folds constant shape subgraphs), keeping standard ONNX ops, input and\n"
    "output names; drops dead initializers; checks the result with onnx::checker;\n"
    "runs original and folded model on the same random inputs and compares them\n"
    "(rtol 1e-4, atol 1e-5); prints what was folded and why any BN was left.\n\n"
    "  --seed N      seed of the random inputs (default 0)\n"
    "  --no-verify   skip running the two models (e.g. ops normrt cannot run)\n";

int run_fold(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  rt::FoldModelOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--seed") {
      const std::string& v = option_value(args, i);
      try {
        options.seed = uint32_t(std::stoul(v));
      } catch (const std::exception&) {
        throw UsageError("--seed needs a non-negative integer, got '" + v + "'");
      }
    } else if (args[i] == "--no-verify") {
      options.verify = false;
    } else if (!args[i].empty() && args[i][0] == '-') {
      throw UsageError("unknown option '" + args[i] + "'");
    } else {
      paths.push_back(args[i]);
    }
  }
  if (paths.size() != 2) throw UsageError("expected IN.onnx and OUT.onnx");

  const rt::FoldModelResult r = rt::fold_model(paths[0], paths[1], options);
  std::cout << r.report.str();
  std::cout << "nodes: " << r.nodes_before << " -> " << r.nodes_after
            << ", initializers: " << r.constants_before << " -> " << r.constants_after << "\n";
  std::cout << "onnx::checker: ok\n";
  if (r.verified)
    std::cout << "outputs match the original on random inputs (max |diff| " << r.max_abs_diff << ")\n";
  else
    std::cout << "outputs not compared (--no-verify)\n";
  std::cout << "wrote " << paths[1] << "\n";
  return 0;
}

}  // namespace normrt::cli
