// `normrt bench`: times the shared workload list on every usable ISA at each
// thread count, rates each result against the memory roofline measured in the
// same process, and prints it as a table, CSV or JSON (bench_report.hpp),
// optionally also as a gnuplot chart.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_report.hpp"
#include "bench_timer.hpp"
#include "cli.hpp"
#include "normrt/error.hpp"
#include "normrt/simd/isa.hpp"
#include "roofline.hpp"
#include "workloads.hpp"

namespace normrt::cli {

const char* const kBenchUsage =
    "usage: normrt bench [--quick] [--isa LIST] [--ops LIST] [--threads LIST]\n"
    "                    [--format table|csv|json] [--plot FILE.png] [--list]\n\n"
    "Times every workload of the benchmark list (shapes from real networks) on\n"
    "each ISA and prints median time, GB/s (input read + output written), the\n"
    "percentage of the memory roofline (the faster copy, plain or non-temporal,\n"
    "at the cache level the workload's bytes fit in, measured first in the same\n"
    "process) and each ISA's speed-up over scalar. Progress goes to stderr.\n\n"
    "  --quick          1-2 representative shapes per op, fewer samples (seconds)\n"
    "  --isa LIST       comma-separated ISAs (default: every usable one, scalar included)\n"
    "  --ops LIST       comma-separated ops: batch_norm, layer_norm, rms_norm,\n"
    "                   group_norm, instance_norm, lrn (default: all)\n"
    "  --threads LIST   comma-separated thread counts (default: OpenMP's maximum)\n"
    "  --format F       table (default), csv or json, on stdout\n"
    "  --plot FILE.png  also draw GB/s per workload and ISA, with the roofline,\n"
    "                   as a PNG chart (needs gnuplot)\n"
    "  --list           print the selected workloads (label, MB moved), run nothing\n";

namespace {

struct BenchOptions {
  bool quick = false;
  bool list = false;
  std::vector<Isa> isas;
  std::vector<std::string> ops;
  std::vector<int> threads;
  BenchFormat format = BenchFormat::table;
  std::string plot;  // PNG path; empty: no chart
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

BenchFormat parse_format(const std::string& text) {
  if (text == "table") return BenchFormat::table;
  if (text == "csv") return BenchFormat::csv;
  if (text == "json") return BenchFormat::json;
  throw UsageError("--format: expected table, csv or json, got '" + text + "'");
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
      for (const std::string& n : split_list(option_value(args, i), "--threads")) {
        const int t = parse_threads(n);
        if (std::find(o.threads.begin(), o.threads.end(), t) == o.threads.end()) {
          o.threads.push_back(t);
        }
      }
    } else if (a == "--format") {
      o.format = parse_format(option_value(args, i));
    } else if (a == "--plot") {
      o.plot = option_value(args, i);
    } else {
      throw UsageError("unknown option '" + a + "'");
    }
  }
  if (o.isas.empty()) o.isas = supported_isas();
  if (o.threads.empty()) o.threads.push_back(omp_get_max_threads());
  return o;
}

void progress(const std::string& what) { std::cerr << "normrt bench: " << what << "\n"; }

// Runs one workload at every thread count and ISA; one row per thread count.
void bench_workload(const workloads::Workload& w, const BenchOptions& o,
                    const bench::TimingPlan& plan, BenchReport& report) {
  std::vector<BenchRow> rows;
  for (int t : o.threads) {
    BenchRow row;
    row.workload = &w;
    row.threads = t;
    const bench::Roofline& roof = report.rooflines.at(t);
    row.level = roof.level_for(w.problem.bytes());
    row.roof_gbps = roof.roof_gbps_for(w.problem.bytes());
    row.note = w.unavailable;
    rows.push_back(row);
  }
  if (w.available()) {
    try {
      const std::unique_ptr<workloads::Instance> inst = w.prepare();
      for (BenchRow& row : rows) {
        for (Isa isa : o.isas) {
          ops::ExecOptions exec;
          exec.isa = isa;
          exec.threads = row.threads;
          IsaTiming timing;
          timing.isa = isa;
          timing.seconds = bench::median_seconds([&] { inst->run(exec); }, plan);
          timing.gbps = double(w.problem.bytes()) / timing.seconds / 1e9;
          row.timings.push_back(timing);
        }
      }
    } catch (const std::exception& e) {  // normrt::Error, or out of memory
      for (BenchRow& row : rows) {
        row.timings.clear();
        row.failed = true;
        row.note = e.what();
      }
      progress("error: " + w.label + ": " + e.what());
    }
  }
  for (BenchRow& row : rows) report.rows.push_back(std::move(row));
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  const BenchOptions o = parse(args);
  const std::vector<const workloads::Workload*> list = workloads::select_workloads(o.ops, o.quick);
  if (o.list) {
    for (const auto* w : list) {
      char mb[32];
      std::snprintf(mb, sizeof mb, "%.1f MB", double(w->problem.bytes()) / 1e6);
      std::cout << w->label << " " << mb
                << (w->available() ? "" : " (not available: " + w->unavailable + ")") << "\n";
    }
    return 0;
  }
  if (!o.plot.empty()) require_gnuplot();  // fail before minutes of measuring

  bench::TimingPlan plan;
  plan.samples = o.quick ? 5 : 9;
  plan.min_sample_seconds = o.quick ? 0.005 : 0.02;
  bench::TimingPlan roof_plan;
  roof_plan.samples = o.quick ? 5 : 10;
  roof_plan.min_sample_seconds = plan.min_sample_seconds;

  BenchReport report;
  report.quick = o.quick;
  report.samples = plan.samples;
  report.isas = o.isas;
  report.threads = o.threads;
  for (int t : o.threads) report.rooflines[t] = bench::measure_roofline(t, roof_plan, progress);
  for (std::size_t i = 0; i < list.size(); ++i) {
    progress("[" + std::to_string(i + 1) + "/" + std::to_string(list.size()) + "] " +
             list[i]->label);
    bench_workload(*list[i], o, plan, report);
  }

  switch (o.format) {
    case BenchFormat::table: write_table(std::cout, report); break;
    case BenchFormat::csv: write_csv(std::cout, report); break;
    case BenchFormat::json: write_json(std::cout, report); break;
  }
  if (!o.plot.empty()) {
    write_plot(report, o.plot);
    progress("chart written to " + o.plot);
  }
  for (const BenchRow& row : report.rows) {
    if (row.failed) return 1;
  }
  return 0;
}

}  // namespace normrt::cli
