#pragma once
// The normrt-vs-oneDNN summary printed after the Google Benchmark output: for
// each workload and thread count, normrt's fastest ISA GB/s (and that of the
// ISA it dispatches to by default), oneDNN's fastest layout GB/s, and the
// ratio fastest normrt / fastest oneDNN (> 1: normrt is faster), and each
// fastest GB/s as a percentage of the memory roofline (copy bandwidth of the
// cache level the workload's bytes fit in, measured in the same process).
#include <benchmark/benchmark.h>

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "roofline.hpp"
#include "workloads.hpp"

namespace normrt::perf {

// The speed targets of the issue this report tracks, as fractions.
constexpr double kRatioTarget = 1.3;        // fastest normrt ISA / fastest oneDNN layout
constexpr double kDramRoofTarget = 0.85;    // DRAM-resident: GB/s / the faster copy's
// Ops without a oneDNN 2.6 primitive (RMSNorm, GroupNorm, InstanceNorm;
// rated_against_roof): GB/s / the faster copy's at the workload's level.
constexpr double kRoofTarget = 0.6;
constexpr double kThreadScalingTarget = 1.7;  // most threads / 1 thread, cache-resident

// Workloads meeting a target out of those it applies to.
struct Tally {
  int met = 0;
  int total = 0;
  void add(bool ok) {
    met += ok ? 1 : 0;
    ++total;
  }
};

// A workload under the ratio target, and what meeting it would take.
struct RatioMiss {
  std::string label;
  int threads = 0;
  double ratio = 0;  // fastest normrt / fastest oneDNN
  // kRatioTarget x oneDNN's GB/s as a fraction of the faster copy at the
  // workload's level (0 without a roofline): above 1, meeting the target
  // takes more than copy bandwidth, i.e. it is bound by oneDNN's own speed.
  double target_of_roof = 0;
  bench::MemLevel level = bench::MemLevel::dram;  // where its bytes fit (with a roofline)
};

// How many workloads of what ran meet each target, per op and thread count.
struct TargetSummary {
  std::map<std::string, std::map<int, Tally>> ratio;  // op -> threads -> vs oneDNN
  std::map<std::string, std::map<int, Tally>> dram;   // op -> threads -> vs DRAM copy
  std::map<std::string, std::map<int, Tally>> roof;   // op -> threads -> vs copy at level
  std::vector<RatioMiss> ratio_misses;  // in workload-list order, then threads
  // Fastest normrt ISA at `scaling_threads` over 1 thread, for the workloads
  // whose bytes fit L2 or L3 at 1 thread (empty without 1 and more threads).
  int scaling_threads = 0;
  std::vector<std::pair<std::string, double>> scaling;  // label, speed-up
};

// Whether the issue rates op against the roofline of its working set too: the
// ops oneDNN 2.6 has no primitive for (their baseline is its LayerNorm).
bool rated_against_roof(workloads::OpKind op);

// Console output as usual, plus the GB/s of every finished run, keyed by its
// name "<label>/<impl>/threads:<t>" (impl: an ISA name, or "onednn_<layout>").
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // rooflines: by thread count; a thread count without one gets no % columns.
  RatioReporter(std::string default_isa, std::map<int, bench::Roofline> rooflines)
      : default_isa_(std::move(default_isa)), rooflines_(std::move(rooflines)) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  // Prints the summary table of what ran, in workload-list order, then how
  // many workloads meet each target (targets()).
  void print_summary(std::ostream& os) const;
  TargetSummary targets() const;

 private:
  struct Key {
    std::string label;
    int threads;
    bool operator<(const Key& o) const {
      return std::tie(label, threads) < std::tie(o.label, o.threads);
    }
  };
  void record(const std::string& name, double gbps);
  std::set<int> ran_thread_counts() const;
  void print_targets(std::ostream& os) const;
  std::string default_isa_;
  std::map<int, bench::Roofline> rooflines_;
  std::map<Key, std::map<std::string, double>> gbps_;  // impl -> GB/s
};

}  // namespace normrt::perf
