// Google Benchmark: a ResNet-50 stage-1 sized conv -> BN -> relu -> BN ->
// conv -> GN -> conv chain (tests/runtime/resnet_chain.hpp, 64 channels,
// 56 x 56) run by a Session with plain NCHW activations and with blocked
// ones (passes::plan_blocked_layouts), threads {1, all}. Named
// "chain/<plain|blocked>/threads:<t>"; one item is one Session::run.
//   bench_chain --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <omp.h>

#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "resnet_chain.hpp"

namespace normrt::perf {
namespace {

namespace rtt = rt::testing;

constexpr int64_t kHw = 56;
constexpr rtt::Widths kWidths{64, 64, 64, 64};

void run_chain(benchmark::State& state, bool blocked, int threads) {
  const Session session = rtt::make_session(rtt::chain(kHw, false, kWidths), blocked, threads);
  const auto inputs = rtt::chain_inputs(kHw, kWidths.in);
  session.run(inputs);  // warm-up: primitives created, buffers allocated
  for (auto _ : state) {
    std::vector<rt::Tensor> out = session.run(inputs);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void register_all() {
  std::vector<int> thread_counts{1};
  if (omp_get_max_threads() > 1) thread_counts.push_back(omp_get_max_threads());
  for (const int t : thread_counts) {  // plain and blocked back to back, per thread count
    for (const bool blocked : {false, true}) {
      const std::string name =
          std::string("chain/") + (blocked ? "blocked" : "plain") + "/threads:" + std::to_string(t);
      benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
        run_chain(state, blocked, t);
      })->UseRealTime()->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace
}  // namespace normrt::perf

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    normrt::perf::register_all();
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::cerr << "bench_chain: error: " << e.what() << "\n";
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
