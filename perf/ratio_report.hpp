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
#include <string>
#include <tuple>
#include <vector>

#include "roofline.hpp"

namespace normrt::perf {

// Console output as usual, plus the GB/s of every finished run, keyed by its
// name "<label>/<impl>/threads:<t>" (impl: an ISA name, or "onednn_<layout>").
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // rooflines: by thread count; a thread count without one gets no % columns.
  RatioReporter(std::string default_isa, std::map<int, bench::Roofline> rooflines)
      : default_isa_(std::move(default_isa)), rooflines_(std::move(rooflines)) {}
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
  void record(const std::string& name, double gbps);
  std::string default_isa_;
  std::map<int, bench::Roofline> rooflines_;
  std::map<Key, std::map<std::string, double>> gbps_;  // impl -> GB/s
};

}  // namespace normrt::perf
