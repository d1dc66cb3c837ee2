#include "ratio_report.hpp"

#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

#include "workloads.hpp"

namespace normrt::perf {

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    // With --benchmark_repetitions, only the median aggregate counts.
    if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
    const auto it = run.counters.find("bytes_per_second");
    if (it == run.counters.end()) continue;
    record(run.run_name.function_name, it->second.value / 1e9);
  }
}

void RatioReporter::record(const std::string& name, double gbps) {
  const auto threads_at = name.rfind("/threads:");
  const auto impl_at = threads_at == std::string::npos ? threads_at : name.rfind('/', threads_at - 1);
  if (impl_at == std::string::npos) return;
  const Key key{name.substr(0, impl_at), std::stoi(name.substr(threads_at + 9))};
  const std::string impl = name.substr(impl_at + 1, threads_at - impl_at - 1);
  auto& [normrt, onednn] = best_[key];
  Best& slot = impl.rfind("onednn", 0) == 0 ? onednn : normrt;
  if (gbps > slot.gbps) slot = {gbps, impl};
}

void RatioReporter::print_summary(std::ostream& os) const {
  std::set<int> thread_counts;
  for (const auto& [key, pair] : best_) thread_counts.insert(key.threads);
  char line[256];
  for (int threads : thread_counts) {
    os << "\nnormrt vs oneDNN at " << threads
       << " thread(s): GB/s = 1e9 bytes (input read + output written) per second;\n"
       << "best ISA of normrt vs best layout of oneDNN; ratio > 1: normrt faster\n";
    std::snprintf(line, sizeof line, "%-42s %9s %-8s %9s %-16s %7s\n", "workload", "normrt",
                  "isa", "oneDNN", "layout", "ratio");
    os << line;
    double log_sum = 0;
    int rated = 0;
    for (const workloads::Workload& w : workloads::all_workloads()) {
      const auto it = best_.find(Key{w.label, threads});
      if (it == best_.end()) {
        continue;  // filtered out, or neither side ran
      }
      const auto& [normrt, onednn] = it->second;
      std::snprintf(line, sizeof line, "%-42s ", w.label.c_str());
      os << line;
      if (normrt.gbps > 0) {
        std::snprintf(line, sizeof line, "%9.2f %-8s ", normrt.gbps, normrt.impl.c_str());
      } else {
        std::snprintf(line, sizeof line, "%9s %-8s ", "n/a", "");
      }
      os << line;
      if (onednn.gbps > 0) {
        std::snprintf(line, sizeof line, "%9.2f %-16s ", onednn.gbps, onednn.impl.c_str());
      } else {
        std::snprintf(line, sizeof line, "%9s %-16s ", "n/a", "");
      }
      os << line;
      if (normrt.gbps > 0 && onednn.gbps > 0) {
        const double ratio = normrt.gbps / onednn.gbps;
        log_sum += std::log(ratio);
        ++rated;
        std::snprintf(line, sizeof line, "%7.2f\n", ratio);
        os << line;
      } else {
        os << "      -\n";
      }
    }
    if (rated > 0) {
      std::snprintf(line, sizeof line, "geometric mean ratio over %d workloads: %.2f\n", rated,
                    std::exp(log_sum / rated));
      os << line;
    }
  }
}

}  // namespace normrt::perf
