#include "ratio_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "workloads.hpp"

namespace normrt::perf {
namespace {

bool is_onednn(const std::string& impl) { return impl.rfind("onednn", 0) == 0; }

struct Best {
  double gbps = 0;
  std::string impl;
};

Best fastest(const std::map<std::string, double>& by_impl, bool onednn) {
  Best b;
  for (const auto& [impl, gbps] : by_impl) {
    if (is_onednn(impl) == onednn && gbps > b.gbps) b = {gbps, impl};
  }
  return b;
}

std::string cell(double gbps, const std::string& impl, int impl_width) {
  char buf[64];
  if (gbps > 0) {
    std::snprintf(buf, sizeof buf, "%8.2f %-*s", gbps, impl_width, impl.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%8s %-*s", "n/a", impl_width, "");
  }
  return buf;
}

// "87%" of the roofline, or "-" when either side did not run.
std::string percent(double gbps, double roof_gbps) {
  if (gbps <= 0 || roof_gbps <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * gbps / roof_gbps);
  return buf;
}

// The workloads under the ratio target, each with what meeting it would take.
void print_ratio_misses(std::ostream& os, const TargetSummary& t) {
  if (t.ratio_misses.empty()) return;
  char line[256];
  std::snprintf(line, sizeof line,
                "under %.1fx oneDNN: ratio, and %.1fx oneDNN's GB/s as a share of the faster "
                "copy at the workload's level (over 100%%: beyond copy bandwidth)\n",
                kRatioTarget, kRatioTarget);
  os << line;
  for (const RatioMiss& m : t.ratio_misses) {
    std::string need = "-";
    if (m.target_of_roof > 0) {
      std::snprintf(line, sizeof line, "%.0f%% of %s copy", 100 * m.target_of_roof,
                    bench::level_name(m.level));
      need = line;
    }
    std::snprintf(line, sizeof line, "  %d thr  %-40s %5.2fx  %s\n", m.threads, m.label.c_str(),
                  m.ratio, need.c_str());
    os << line;
  }
}

}  // namespace

bool rated_against_roof(workloads::OpKind op) {
  using workloads::OpKind;
  return op == OpKind::rms_norm || op == OpKind::group_norm || op == OpKind::instance_norm;
}

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
  if (threads_at == std::string::npos || threads_at == 0) return;
  const auto impl_at = name.rfind('/', threads_at - 1);
  if (impl_at == std::string::npos) return;
  const Key key{name.substr(0, impl_at), std::stoi(name.substr(threads_at + 9))};
  gbps_[key][name.substr(impl_at + 1, threads_at - impl_at - 1)] = gbps;
}

std::set<int> RatioReporter::ran_thread_counts() const {
  std::set<int> counts;
  for (const auto& entry : gbps_) counts.insert(entry.first.threads);
  return counts;
}

void RatioReporter::print_summary(std::ostream& os) const {
  const std::set<int> thread_counts = ran_thread_counts();
  char line[256];
  for (int threads : thread_counts) {
    const auto roof = rooflines_.find(threads);
    os << "\n";
    if (roof != rooflines_.end()) os << bench::describe_roofline(roof->second);
    os << "normrt vs oneDNN at " << threads
       << " thread(s): GB/s = 1e9 bytes (input read + output written) per second;\n"
       << "ratio = fastest normrt ISA / fastest oneDNN layout (> 1: normrt faster);\n"
       << "level = where input + output fit; %roof = GB/s / faster copy GB/s at that level\n";
    std::snprintf(line, sizeof line, "%-40s %-15s %-15s %-23s %6s %5s %7s %7s\n", "workload",
                  "normrt fastest", (default_isa_ + " (default)").c_str(), "oneDNN fastest",
                  "ratio", "level", "normrt", "oneDNN");
    os << line;
    double log_sum = 0;
    int rated = 0;
    for (const workloads::Workload& w : workloads::all_workloads()) {
      const auto it = gbps_.find(Key{w.label, threads});
      if (it == gbps_.end()) continue;  // filtered out
      const Best normrt = fastest(it->second, false);
      const Best onednn = fastest(it->second, true);
      const auto dflt = it->second.find(default_isa_);
      const double dflt_gbps = dflt == it->second.end() ? 0.0 : dflt->second;
      std::snprintf(line, sizeof line, "%-40s ", w.label.c_str());
      os << line << cell(normrt.gbps, normrt.impl, 6) << " " << cell(dflt_gbps, "", 6) << " "
         << cell(onednn.gbps, onednn.impl, 14) << " ";
      if (normrt.gbps > 0 && onednn.gbps > 0) {
        const double ratio = normrt.gbps / onednn.gbps;
        log_sum += std::log(ratio);
        ++rated;
        std::snprintf(line, sizeof line, "%6.2f", ratio);
        os << line;
      } else {
        os << "     -";
      }
      if (roof != rooflines_.end()) {
        const double roof_gbps = roof->second.roof_gbps_for(w.problem.bytes());
        std::snprintf(line, sizeof line, " %5s %7s %7s",
                      bench::level_name(roof->second.level_for(w.problem.bytes())),
                      percent(normrt.gbps, roof_gbps).c_str(),
                      percent(onednn.gbps, roof_gbps).c_str());
        os << line;
      }
      os << "\n";
    }
    if (rated > 0) {
      std::snprintf(line, sizeof line, "geometric mean ratio over %d workloads: %.2f\n", rated,
                    std::exp(log_sum / rated));
      os << line;
    }
  }
  print_targets(os);
  for (const workloads::Workload& w : workloads::all_workloads()) {
    if (!w.available()) os << "normrt n/a: " << w.label << ": " << w.unavailable << "\n";
  }
}

TargetSummary RatioReporter::targets() const {
  TargetSummary t;
  const std::set<int> thread_counts = ran_thread_counts();
  // Fastest GB/s of normrt (or oneDNN) on w at `threads`; 0 if it did not run.
  auto best = [&](const workloads::Workload& w, int threads, bool onednn) {
    const auto it = gbps_.find(Key{w.label, threads});
    return it == gbps_.end() ? 0.0 : fastest(it->second, onednn).gbps;
  };
  for (const workloads::Workload& w : workloads::all_workloads()) {
    const std::string op = workloads::op_name(w.problem.op);
    const int64_t bytes = w.problem.bytes();
    for (int threads : thread_counts) {
      const double normrt = best(w, threads, false);
      const double onednn = best(w, threads, true);
      if (normrt <= 0) continue;
      // The roofline at this thread count, if one was measured (0 GB/s if not).
      const auto roof = rooflines_.find(threads);
      const bool has_roof = roof != rooflines_.end();
      const double roof_gbps = has_roof ? roof->second.roof_gbps_for(bytes) : 0.0;
      const auto level = has_roof ? roof->second.level_for(bytes) : bench::MemLevel::dram;
      if (onednn > 0) {
        const bool met = normrt >= kRatioTarget * onednn;
        t.ratio[op][threads].add(met);
        if (!met) {
          const double target_of_roof = roof_gbps > 0 ? kRatioTarget * onednn / roof_gbps : 0.0;
          t.ratio_misses.push_back({w.label, threads, normrt / onednn, target_of_roof, level});
        }
      }
      if (!has_roof) continue;
      if (level == bench::MemLevel::dram) {
        t.dram[op][threads].add(normrt >= kDramRoofTarget * roof_gbps);
      }
      if (rated_against_roof(w.problem.op)) {
        t.roof[op][threads].add(normrt >= kRoofTarget * roof_gbps);
      }
    }
  }
  const auto one = rooflines_.find(1);
  if (thread_counts.size() < 2 || *thread_counts.begin() != 1 || one == rooflines_.end()) return t;
  t.scaling_threads = *thread_counts.rbegin();
  for (const workloads::Workload& w : workloads::all_workloads()) {
    if (one->second.level_for(w.problem.bytes()) == bench::MemLevel::dram) continue;
    const double g1 = best(w, 1, false), gn = best(w, t.scaling_threads, false);
    if (g1 > 0 && gn > 0) t.scaling.emplace_back(w.label, gn / g1);
  }
  return t;
}

void RatioReporter::print_targets(std::ostream& os) const {
  const TargetSummary t = targets();
  if (t.ratio.empty()) return;
  const std::set<int> thread_counts = ran_thread_counts();
  char line[256];
  auto tally = [&](const std::map<std::string, std::map<int, Tally>>& by_op,
                   const std::string& op, int threads) -> std::string {
    const auto o = by_op.find(op);
    if (o == by_op.end()) return "-";
    const auto th = o->second.find(threads);
    if (th == o->second.end()) return "-";
    return std::to_string(th->second.met) + "/" + std::to_string(th->second.total);
  };
  const int group = 10 * int(thread_counts.size());
  std::snprintf(line, sizeof line, ">= %.1fx oneDNN", kRatioTarget);
  const std::string vs_onednn = line;
  std::snprintf(line, sizeof line, ">= %.0f%% DRAM copy", 100 * kDramRoofTarget);
  const std::string vs_dram = line;
  std::snprintf(line, sizeof line, ">= %.0f%% roofline", 100 * kRoofTarget);
  const std::string vs_roof = line;
  os << "\ntargets in this run (fastest normrt ISA; workloads meeting / workloads rated;\n"
     << "roofline: the faster copy at the workload's level, rated for the ops without a oneDNN "
        "primitive):\n";
  std::snprintf(line, sizeof line, "%-16s %*s   %*s   %*s\n%-16s", "op", group, vs_onednn.c_str(),
                group, vs_dram.c_str(), group, vs_roof.c_str(), "");
  os << line;
  const std::vector<const std::map<std::string, std::map<int, Tally>>*> columns = {
      &t.ratio, &t.dram, &t.roof};
  for (std::size_t col = 0; col < columns.size(); ++col) {
    for (int threads : thread_counts) {
      std::snprintf(line, sizeof line, " %9s", (std::to_string(threads) + " thr").c_str());
      os << line;
    }
    os << (col + 1 < columns.size() ? "   " : "\n");
  }
  for (const std::string& op : workloads::op_names()) {
    if (t.ratio.count(op) == 0) continue;
    std::snprintf(line, sizeof line, "%-16s", op.c_str());
    os << line;
    for (std::size_t col = 0; col < columns.size(); ++col) {
      for (int threads : thread_counts) {
        std::snprintf(line, sizeof line, " %9s", tally(*columns[col], op, threads).c_str());
        os << line;
      }
      os << (col + 1 < columns.size() ? "   " : "\n");
    }
  }
  print_ratio_misses(os, t);
  if (t.scaling.empty()) return;
  std::vector<double> speedups;
  for (const auto& entry : t.scaling) speedups.push_back(entry.second);
  std::sort(speedups.begin(), speedups.end());
  const auto met = std::count_if(speedups.begin(), speedups.end(),
                                 [](double x) { return x >= kThreadScalingTarget; });
  std::snprintf(line, sizeof line,
                "%d threads over 1 thread (fastest normrt ISA), workloads in L2/L3 at 1 thread: "
                "%d of %zu >= %.1fx, median %.2fx\n",
                t.scaling_threads, int(met), speedups.size(), kThreadScalingTarget,
                speedups[speedups.size() / 2]);
  os << line;
  auto under = t.scaling;
  std::stable_sort(under.begin(), under.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [label, speedup] : under) {
    if (speedup >= kThreadScalingTarget) break;
    std::snprintf(line, sizeof line, "  under %.1fx: %-40s %5.2fx\n", kThreadScalingTarget,
                  label.c_str(), speedup);
    os << line;
  }
}

}  // namespace normrt::perf
