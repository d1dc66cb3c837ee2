// `normrt bench --format table` (the default): one section per thread count,
// the roofline it is rated against, then a row per workload with a cell per
// ISA: median time, GB/s, % of the roofline and speed-up over scalar.
#include <algorithm>
#include <cstdio>
#include <string>

#include "bench_report.hpp"

namespace normrt::cli {
namespace {

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

constexpr std::size_t kCellWidth = 40;  // "12345.678 ms 1234.56 GB/s  100%  12.3x"

std::string cell(const BenchRow& row, const IsaTiming& t) {
  char buf[96];
  const int n = std::snprintf(buf, sizeof buf, "%9.3f ms %7.2f GB/s %4.0f%%", t.seconds * 1e3,
                              t.gbps, row.roofline_percent(t));
  if (t.isa != Isa::scalar && row.speedup_vs_scalar(t.isa) > 0 && n > 0) {
    std::snprintf(buf + n, sizeof buf - std::size_t(n), " %5.1fx", row.speedup_vs_scalar(t.isa));
  }
  return pad(buf, kCellWidth);
}

void write_section(std::ostream& os, const BenchReport& report, int threads,
                   std::size_t label_width) {
  os << "\nnormrt bench" << (report.quick ? " --quick" : "") << ": " << threads
     << " thread(s); median of " << report.samples << " samples after a warm-up;\n"
     << "GB/s = 1e9 bytes (input read + output written) per second; % = of the roofline\n"
     << "(faster copy GB/s at the level input + output fit in); Nx = speed-up over scalar\n";
  const auto roof = report.rooflines.find(threads);
  if (roof != report.rooflines.end()) os << bench::describe_roofline(roof->second);
  os << pad("workload", label_width) << "level  roof GB/s ";
  for (Isa isa : report.isas) os << pad(std::string("   ") + isa_name(isa), kCellWidth);
  os << " fastest\n";
  for (const BenchRow* row : report.rows_at(threads)) {
    os << pad(row->workload->label, label_width);
    if (!row->ran()) {
      os << (row->failed ? "error: " : "not available: ") << row->note << "\n";
      continue;
    }
    char lead[32];
    std::snprintf(lead, sizeof lead, "%-6s %9.2f ", bench::level_name(row->level), row->roof_gbps);
    os << lead;
    for (const IsaTiming& t : row->timings) os << cell(*row, t);
    os << " " << isa_name(row->fastest().isa) << "\n";
  }
}

}  // namespace

void write_table(std::ostream& os, const BenchReport& report) {
  std::size_t label_width = 10;
  for (const BenchRow& row : report.rows) {
    label_width = std::max(label_width, row.workload->label.size() + 2);
  }
  for (int threads : report.threads) write_section(os, report, threads, label_width);
}

}  // namespace normrt::cli
