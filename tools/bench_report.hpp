#pragma once
// What `normrt bench` measured, kept apart from how it is shown: the table,
// CSV and JSON writers (bench_table.cpp, bench_export.cpp) and the gnuplot
// chart (bench_plot.cpp) all read a BenchReport.
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "normrt/simd/isa.hpp"
#include "roofline.hpp"
#include "workloads.hpp"

namespace normrt::cli {

struct IsaTiming {
  Isa isa = Isa::scalar;
  double seconds = 0;  // median per call
  double gbps = 0;     // 1e9 bytes (input read + output written) per second
};

// One workload at one thread count.
struct BenchRow {
  const workloads::Workload* workload = nullptr;
  int threads = 1;
  bench::MemLevel level = bench::MemLevel::l2;  // where input + output fit
  double roof_gbps = 0;                         // copy GB/s at that level
  std::vector<IsaTiming> timings;               // in BenchReport::isas order
  std::string note;     // why it did not run, or the error it stopped with
  bool failed = false;  // an op call threw (an unavailable workload is not a failure)

  bool ran() const { return !timings.empty(); }
  const IsaTiming* find(Isa isa) const;
  const IsaTiming& fastest() const;  // requires ran()
  // seconds(scalar) / seconds(isa); 0 when either did not run.
  double speedup_vs_scalar(Isa isa) const;
  // gbps / roof_gbps in percent.
  double roofline_percent(const IsaTiming& t) const { return 100.0 * t.gbps / roof_gbps; }
};

struct BenchReport {
  bool quick = false;
  int samples = 0;
  std::vector<Isa> isas;
  std::vector<int> threads;
  std::map<int, bench::Roofline> rooflines;  // by thread count
  std::vector<BenchRow> rows;                // workload-major, then thread count

  std::vector<const BenchRow*> rows_at(int threads) const;
};

enum class BenchFormat { table, csv, json };

void write_table(std::ostream& os, const BenchReport& report);
void write_csv(std::ostream& os, const BenchReport& report);
void write_json(std::ostream& os, const BenchReport& report);

// Throws normrt::Error when gnuplot cannot be run (checked before measuring).
void require_gnuplot();
// Grouped bars of GB/s per workload and ISA, the roofline as a line, one panel
// per thread count, written as a PNG to `png_path` by gnuplot.
void write_plot(const BenchReport& report, const std::string& png_path);

}  // namespace normrt::cli
