#pragma once
// The normrt-vs-oneDNN summary printed after the Google Benchmark output: for
// each workload and thread count, normrt's best ISA GB/s, oneDNN's best
// layout GB/s and their ratio (> 1: normrt is faster).
#include <benchmark/benchmark.h>

#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace normrt::perf {

// Console output as usual, plus GB/s of every finished run, keyed by its name
// "<label>/<impl>/threads:<t>" (impl: an ISA name, or "onednn_<layout>").
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  // Prints the summary table of what ran, in workload-list order.
  void print_summary(std::ostream& os) const;

 private:
  struct Key {
    std::string label;
    int threads;
    bool operator<(const Key& o) const {
      return std::tie(label, threads) < std::tie(o.label, o.threads);
    }
  };
  struct Best {
    double gbps = 0;
    std::string impl;
  };
  void record(const std::string& name, double gbps);
  std::map<Key, std::pair<Best, Best>> best_;  // (normrt, oneDNN)
};

}  // namespace normrt::perf
