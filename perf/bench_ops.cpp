// Google Benchmark over the shared workload list: every workload x every ISA
// this CPU runs x threads {1, all}, and oneDNN's primitives on the same
// problems, named "<label>/<isa or onednn_layout>/threads:<t>". Ends with the
// normrt-vs-oneDNN ratio table (ratio_report.hpp), with every kernel's GB/s as
// a fraction of the memory roofline measured first in the same process.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "normrt/error.hpp"
#include "normrt/simd/isa.hpp"
#include "onednn_baseline.hpp"
#include "ratio_report.hpp"
#include "roofline.hpp"
#include "workloads.hpp"

namespace normrt::perf {
namespace {

using Factory = std::function<std::unique_ptr<workloads::Instance>()>;

// One prepared instance at a time: the largest workloads hold 512 MiB, so an
// instance lives while consecutive benchmarks use it and is freed before the
// next one is built. Benchmarks run in registration order, grouped by key.
workloads::Instance& cached_instance(const std::string& key, const Factory& make) {
  static std::string current_key;
  static std::unique_ptr<workloads::Instance> current;
  if (key != current_key || !current) {
    current.reset();
    current_key.clear();
    current = make();
    current_key = key;
  }
  return *current;
}

void time_instance(benchmark::State& state, const std::string& key, const Factory& make,
                   const ops::ExecOptions& exec, int64_t bytes) {
  omp_set_num_threads(exec.threads);  // oneDNN takes its threads from OpenMP
  workloads::Instance* inst = nullptr;
  try {
    inst = &cached_instance(key, make);
    inst->run(exec);  // warm-up, and any error surfaces here
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) inst->run(exec);
  state.SetBytesProcessed(int64_t(state.iterations()) * bytes);
}

// The fastest repetition (--benchmark_repetitions=N prints "_min"): on a
// shared machine where this process gets part of a core, the median of real
// time mostly measures the other tenants; the minimum is the kernel.
double min_of(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// 1 thread, and all of OpenMP's.
std::vector<int> thread_counts() {
  std::vector<int> counts = {1};
  if (omp_get_max_threads() > 1) counts.push_back(omp_get_max_threads());
  return counts;
}

// The memory roofline at each thread count, measured before the kernels run.
std::map<int, bench::Roofline> measure_rooflines() {
  bench::TimingPlan plan;
  plan.samples = 10;
  plan.min_sample_seconds = 0.02;
  std::map<int, bench::Roofline> roofs;
  for (int t : thread_counts()) {
    roofs[t] = bench::measure_roofline(t, plan, [](const std::string& what) {
      std::cerr << "bench_ops: measuring " << what << "\n";
    });
  }
  return roofs;
}

void register_all() {
  const std::vector<int> thread_counts = perf::thread_counts();
  const std::vector<Isa> isas = supported_isas();
  std::map<std::string, int> unavailable;  // why -> how many workloads

  for (const workloads::Workload& w : workloads::all_workloads()) {
    const int64_t bytes = w.problem.bytes();
    auto add = [&](const std::string& impl, const std::string& key, const Factory& make,
                   std::optional<Isa> isa) {
      for (int t : thread_counts) {
        ops::ExecOptions exec;
        exec.isa = isa;
        exec.threads = t;
        const std::string name = w.label + "/" + impl + "/threads:" + std::to_string(t);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
          time_instance(state, key, make, exec, bytes);
        })->UseRealTime()->ComputeStatistics("min", min_of);
      }
    };
    if (w.available()) {
      const Factory make = [&w] { return w.prepare(); };
      for (Isa isa : isas) add(isa_name(isa), w.label + "/normrt", make, isa);
    } else {
      ++unavailable[w.unavailable];
    }
    for (const std::string& baseline : onednn_baselines(w.problem)) {
      const Factory make = [&w, baseline] { return make_onednn_baseline(w.problem, baseline); };
      add(baseline, w.label + "/" + baseline, make, std::nullopt);
    }
  }
  for (const auto& [why, count] : unavailable) {
    std::cerr << "bench_ops: " << count << " normrt workload(s) not available (only oneDNN runs): "
              << why << "\n";
  }
}

}  // namespace
}  // namespace normrt::perf

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    normrt::perf::register_all();
  } catch (const normrt::Error& e) {  // e.g. an invalid NORMRT_ISA
    std::cerr << "bench_ops: error: " << e.what() << "\n";
    return 1;
  }
  normrt::perf::RatioReporter reporter(normrt::isa_name(normrt::best_isa()),
                                       normrt::perf::measure_rooflines());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary(std::cout);
  benchmark::Shutdown();
  return 0;
}
