// `normrt bench`: times the shared workload list on every usable ISA and
// prints a table (median time, GB/s, speed-up of the best ISA over scalar).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_timer.hpp"
#include "cli.hpp"
#include "normrt/error.hpp"
#include "normrt/simd/isa.hpp"
#include "workloads.hpp"

namespace normrt::cli {

const char* const kBenchUsage =
    "usage: normrt bench [--quick] [--isa LIST] [--ops LIST] [--threads N] [--list]\n\n"
    "Times every workload of the benchmark list (shapes from real networks) on\n"
    "each ISA and prints median time, GB/s (input read + output written) and the\n"
    "speed-up of the best ISA over scalar. Progress goes to stderr.\n\n"
    "  --quick        1-2 representative shapes per op, fewer samples (seconds)\n"
    "  --isa LIST     comma-separated ISAs (default: every usable one, scalar included)\n"
    "  --ops LIST     comma-separated ops: batch_norm, layer_norm, rms_norm,\n"
    "                 group_norm, instance_norm, lrn (default: all)\n"
    "  --threads N    threads per op call (default: OpenMP's maximum)\n"
    "  --list         print the selected workloads (label, MB moved), run nothing\n";

namespace {

struct BenchOptions {
  bool quick = false;
  bool list = false;
  std::vector<Isa> isas;
  std::vector<std::string> ops;
  int threads = 0;
};

int parse_threads(const std::string& text) {
  std::size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || n < 1) {
    throw UsageError("--threads: expected a positive integer, got '" + text + "'");
  }
  return n;
}

BenchOptions parse(const std::vector<std::string>& args) {
  BenchOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--isa") {
      for (const std::string& name : split_list(option_value(args, i), "--isa")) {
        const Isa isa = parse_isa(name, "--isa");  // normrt::Error on a bad name
        require_isa(isa);                         // ... or one this CPU cannot run
        o.isas.push_back(isa);
      }
    } else if (a == "--ops") {
      o.ops = split_list(option_value(args, i), "--ops");
    } else if (a == "--threads") {
      o.threads = parse_threads(option_value(args, i));
    } else {
      throw UsageError("unknown option '" + a + "'");
    }
  }
  if (o.isas.empty()) o.isas = supported_isas();
  if (o.threads == 0) o.threads = omp_get_max_threads();
  return o;
}

std::string format(const char* fmt, double a, double b = 0.0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

constexpr std::size_t kCellWidth = 24;  // "12345.678 ms 1234.56 GB/s"

// One workload's row: a cell per ISA, then the best ISA's speed-up over scalar.
// Returns false when an op call failed.
bool bench_row(const workloads::Workload& w, const BenchOptions& o, const TimingPlan& plan,
               std::size_t label_width) {
  std::cout << pad(w.label, label_width);
  if (!w.available()) {
    std::cout << "not available: " << w.unavailable << "\n";
    return true;
  }
  try {
    const std::unique_ptr<workloads::Instance> inst = w.prepare();
    double best = 0, scalar = 0;
    Isa fastest = o.isas.front();
    for (Isa isa : o.isas) {
      ops::ExecOptions exec;
      exec.isa = isa;
      exec.threads = o.threads;
      const double s = median_seconds([&] { inst->run(exec); }, plan);
      std::cout << pad(format("%9.3f ms %7.2f GB/s", s * 1e3, double(w.problem.bytes()) / s / 1e9),
                       kCellWidth)
                << std::flush;
      if (isa == Isa::scalar) scalar = s;
      if (best == 0 || s < best) {
        best = s;
        fastest = isa;
      }
    }
    if (scalar > 0) {
      std::cout << format("%6.1fx", scalar / best) << " " << isa_name(fastest);
    } else {
      std::cout << "     - (no scalar)";
    }
    std::cout << "\n";
    return true;
  } catch (const std::exception& e) {  // normrt::Error, or out of memory
    std::cout << "error: " << e.what() << "\n";
    return false;
  }
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  const BenchOptions o = parse(args);
  const std::vector<const workloads::Workload*> list = workloads::select_workloads(o.ops, o.quick);
  if (o.list) {
    for (const auto* w : list) {
      std::cout << w->label << " " << format("%.1f MB", double(w->problem.bytes()) / 1e6)
                << (w->available() ? "" : " (not available: " + w->unavailable + ")") << "\n";
    }
    return 0;
  }
  TimingPlan plan;
  plan.samples = o.quick ? 5 : 9;
  plan.min_sample_seconds = o.quick ? 0.005 : 0.02;

  std::size_t label_width = 10;
  for (const auto* w : list) label_width = std::max(label_width, w->label.size() + 2);

  std::cout << "normrt bench" << (o.quick ? " --quick" : "") << ": " << o.threads
            << " thread(s); median of " << plan.samples
            << " samples after a warm-up;\n"
            << "GB/s = 1e9 bytes (input read + output written) per second\n";
  std::cout << pad("workload", label_width);
  for (Isa isa : o.isas) std::cout << pad(std::string("   ") + isa_name(isa), kCellWidth);
  std::cout << " best vs scalar\n";

  bool ok = true;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::cerr << "[" << i + 1 << "/" << list.size() << "] " << list[i]->label << "\n";
    ok = bench_row(*list[i], o, plan, label_width) && ok;
  }
  return ok ? 0 : 1;
}

}  // namespace normrt::cli
