// `normrt demo`: builds three normalization-heavy models in memory (a
// ResNet-style CNN, a transformer encoder block, UNet GroupNorm blocks),
// folds and fuses them, runs optimized and unoptimized graphs on every ISA
// this CPU has, checks that they agree and prints what the passes gained.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "demo_run.hpp"
#include "normrt/error.hpp"

namespace normrt::cli {

const char* const kDemoUsage =
    "usage: normrt demo [--isa LIST] [--threads N] [--seed N] [--quick] [--save-models DIR]\n"
    "                   [--rtol X] [--atol Y]\n\n"
    "Builds three small normalization-heavy models in memory from a fixed seed\n"
    "(a ResNet-style CNN with BatchNorm, a transformer encoder block with\n"
    "LayerNorm and residuals, UNet blocks with GroupNorm(32) + SiLU), applies the\n"
    "graph passes (BN folding, norm and epilogue fusion), runs the unoptimized and\n"
    "the optimized graph on every ISA this CPU runs, checks that their outputs\n"
    "agree, and prints latency per ISA and what folding and fusion gained.\n"
    "Exits 1 if any outputs disagree.\n\n"
    "  --isa LIST    ISAs to run, e.g. scalar,avx2 (default: every usable one)\n"
    "  --threads N   OpenMP threads (default: OpenMP's default)\n"
    "  --seed N      seed of the weights and inputs (default 2024)\n"
    "  --quick       time 3 runs per model and ISA instead of 15\n"
    "  --save-models DIR    also write the models as DIR/<name>.onnx (for normrt run,\n"
    "                       normrt fold or another runtime)\n"
    "  --rtol X, --atol Y   tolerance of the comparisons (default 1e-4, 1e-5)\n";

namespace {

using demo::DemoOptions;
using demo::ModelResult;

double parse_number(const std::string& option, const std::string& text, double min, double max) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  std::ostringstream range;
  range << min << " to " << max;
  throw UsageError(option + " needs a number from " + range.str() + ", got '" + text + "'");
}

DemoOptions parse(const std::vector<std::string>& args) {
  DemoOptions o;
  o.isas = supported_isas();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--isa") {
      o.isas.clear();
      for (const std::string& name : split_list(option_value(args, i), "--isa")) {
        const Isa isa = parse_isa(name, "--isa");
        require_isa(isa);
        o.isas.push_back(isa);
      }
    } else if (a == "--threads") {
      o.threads = int(parse_number(a, option_value(args, i), 1, 1024));
    } else if (a == "--seed") {
      o.seed = uint32_t(parse_number(a, option_value(args, i), 0, 4294967295.0));
    } else if (a == "--quick") {
      o.samples = 3;
    } else if (a == "--save-models") {
      o.save_dir = option_value(args, i);
    } else if (a == "--rtol") {
      o.rtol = parse_number(a, option_value(args, i), 0, 1);
    } else if (a == "--atol") {
      o.atol = parse_number(a, option_value(args, i), 0, 1);
    } else {
      throw UsageError("unknown option '" + a + "'");
    }
  }
  return o;
}

std::string join_isas(const std::vector<Isa>& isas) {
  std::string s;
  for (Isa isa : isas) s += (s.empty() ? "" : ", ") + std::string(isa_name(isa));
  return s;
}

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

void print_passes(const std::vector<demo::DemoModel>& models, const std::vector<ModelResult>& results) {
  std::cout << "\nWhat the graph passes did\n"
            << std::left << std::setw(13) << "model" << std::setw(12) << "nodes" << std::setw(11)
            << "BN folded" << std::setw(9) << "BN left" << std::setw(13) << "norms fused"
            << std::setw(15) << "residual+norm" << "epilogues\n";
  for (std::size_t m = 0; m < models.size(); ++m) {
    const demo::PassSummary& p = results[m].passes;
    std::cout << std::setw(13) << models[m].name
              << std::setw(12) << (std::to_string(p.nodes_before) + " -> " + std::to_string(p.nodes_after))
              << std::setw(11) << p.bn_folded << std::setw(9) << p.bn_left << std::setw(13)
              << p.norms_fused << std::setw(15) << p.residuals_fused << p.epilogues << "\n";
  }
  for (std::size_t m = 0; m < models.size(); ++m) {
    std::cout << "  " << models[m].name << " (" << models[m].what << "): " << results[m].passes.summary << "\n";
    for (const std::string& why : results[m].passes.bn_left_reasons) std::cout << "    " << why << "\n";
  }
}

void print_latency(const std::vector<demo::DemoModel>& models, const std::vector<ModelResult>& results,
                   const DemoOptions& o) {
  std::cout << "\nLatency per ISA, median of " << o.samples << " runs (ms)\n"
            << std::left << std::setw(13) << "model" << std::setw(8) << "isa" << std::right
            << std::setw(13) << "unoptimized" << std::setw(11) << "optimized" << std::setw(9)
            << "speedup" << std::setw(12) << "max |diff|" << "\n";
  for (std::size_t m = 0; m < models.size(); ++m) {
    for (const demo::IsaResult& r : results[m].isas) {
      char diff[32];
      std::snprintf(diff, sizeof diff, "%.1e", r.max_abs_diff);
      std::cout << std::left << std::setw(13) << models[m].name << std::setw(8) << isa_name(r.isa)
                << std::right << std::setw(13) << fixed(r.unoptimized_ms, 3) << std::setw(11)
                << fixed(r.optimized_ms, 3) << std::setw(8) << fixed(r.unoptimized_ms / r.optimized_ms, 2)
                << "x" << std::setw(12) << diff << "\n";
    }
  }
  std::cout << std::left;
}

// One line per model on the best ISA run: speedup and node count.
void print_gain(const std::vector<demo::DemoModel>& models, const std::vector<ModelResult>& results) {
  if (results.empty() || results[0].isas.empty()) return;
  std::cout << "\nWhat folding and fusion gained on " << isa_name(results[0].isas.back().isa) << ":\n";
  for (std::size_t m = 0; m < models.size(); ++m) {
    const demo::IsaResult& best = results[m].isas.back();
    const demo::PassSummary& p = results[m].passes;
    std::cout << "  " << std::setw(12) << models[m].name << "speedup "
              << fixed(best.unoptimized_ms / best.optimized_ms, 2) << "x ("
              << fixed(best.unoptimized_ms, 3) << " -> " << fixed(best.optimized_ms, 3) << " ms), "
              << p.nodes_before << " -> " << p.nodes_after << " nodes\n";
  }
}

void save_models(const std::vector<demo::DemoModel>& models, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("--save-models: cannot create '" + dir + "': " + ec.message());
  for (const demo::DemoModel& m : models) {
    const std::string path = (std::filesystem::path(dir) / (m.name + ".onnx")).string();
    std::ofstream file(path, std::ios::binary);
    file.write(m.bytes.data(), std::streamsize(m.bytes.size()));
    if (!file.flush()) throw Error("--save-models: cannot write '" + path + "'");
    std::cout << "wrote " << path << "\n";
  }
}

}  // namespace

int run_demo(const std::vector<std::string>& args) {
  const DemoOptions o = parse(args);
  std::cout << "normrt demo: three normalization-heavy models built in memory (seed " << o.seed << ")\n"
            << "ISAs: " << join_isas(o.isas)
            << " (the ISA picks normrt's norm kernels; oneDNN runs conv/matmul on its own best ISA)\n"
            << "threads: " << (o.threads > 0 ? o.threads : omp_get_max_threads()) << "\n"
            << std::flush;

  const std::vector<demo::DemoModel> models = demo::build_demo_models(o.seed);
  if (!o.save_dir.empty()) save_models(models, o.save_dir);
  std::vector<ModelResult> results;
  {
    demo::Progress progress(int(models.size()) * demo::demo_steps_per_model(o));
    for (const demo::DemoModel& m : models) results.push_back(demo::run_demo_model(m, o, progress));
  }
  print_passes(models, results);
  print_latency(models, results, o);
  print_gain(models, results);

  std::size_t failed = 0;
  for (const ModelResult& r : results) {
    for (const std::string& message : r.mismatches) std::cout << "MISMATCH: " << message << "\n";
    failed += r.mismatches.size();
  }
  std::ostringstream tol;
  tol << "rtol " << o.rtol << ", atol " << o.atol;
  if (failed > 0) {
    std::cout << "FAILED: " << failed << " comparisons outside tolerance (" << tol.str() << ")\n";
    return 1;
  }
  std::cout << "\nall outputs agree: optimized vs unoptimized on every ISA, and every ISA vs "
            << isa_name(o.isas.front()) << " (" << tol.str() << ")\n";
  return 0;
}

}  // namespace normrt::cli
