// `normrt bench --format csv|json`: the same measurements as the table, for
// scripts. CSV: one line per (thread count, workload, ISA); a workload that
// did not run has one line with an empty isa and status "unavailable" or
// "error". JSON: the rooflines and the results, nested.
#include <cmath>
#include <cstdio>
#include <string>

#include "bench_report.hpp"

namespace normrt::cli {
namespace {

std::string number(double v, const char* fmt = "%.6g") {
  if (!std::isfinite(v)) return "null";
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

const char* status(const BenchRow& row) {
  if (row.ran()) return "ok";
  return row.failed ? "error" : "unavailable";
}

void json_roofline(std::ostream& os, const bench::Roofline& roof) {
  os << "    {\"threads\": " << roof.threads << ", \"isa\": " << json_string(roof.isa)
     << ", \"levels\": [";
  for (std::size_t i = 0; i < roof.levels.size(); ++i) {
    const bench::LevelBandwidth& lb = roof.levels[i];
    os << (i ? ", " : "") << "{\"level\": " << json_string(bench::level_name(lb.level))
       << ", \"working_set_bytes\": " << lb.working_set
       << ", \"copy_gbps\": " << number(lb.copy_gbps)
       << ", \"nt_copy_gbps\": " << number(lb.nt_copy_gbps)
       << ", \"triad_gbps\": " << number(lb.triad_gbps) << "}";
  }
  os << "]}";
}

void json_row(std::ostream& os, const BenchRow& row) {
  const workloads::Workload& w = *row.workload;
  os << "    {\"workload\": " << json_string(w.label)
     << ", \"op\": " << json_string(workloads::op_name(w.problem.op))
     << ", \"threads\": " << row.threads << ", \"bytes\": " << w.problem.bytes()
     << ", \"status\": " << json_string(status(row));
  if (!row.ran()) {
    os << ", \"note\": " << json_string(row.note) << "}";
    return;
  }
  os << ", \"level\": " << json_string(bench::level_name(row.level))
     << ", \"roofline_gbps\": " << number(row.roof_gbps)
     << ", \"fastest_isa\": " << json_string(isa_name(row.fastest().isa)) << ", \"isas\": [";
  for (std::size_t i = 0; i < row.timings.size(); ++i) {
    const IsaTiming& t = row.timings[i];
    const double speedup = row.speedup_vs_scalar(t.isa);
    os << (i ? ", " : "") << "{\"isa\": " << json_string(isa_name(t.isa))
       << ", \"seconds\": " << number(t.seconds) << ", \"gbps\": " << number(t.gbps)
       << ", \"roofline_pct\": " << number(row.roofline_percent(t))
       << ", \"speedup_vs_scalar\": " << (speedup > 0 ? number(speedup) : "null") << "}";
  }
  os << "]}";
}

}  // namespace

void write_csv(std::ostream& os, const BenchReport& report) {
  os << "threads,workload,op,bytes,level,roofline_gbps,isa,seconds,gbps,roofline_pct,"
        "speedup_vs_scalar,status,note\n";
  for (const BenchRow& row : report.rows) {
    const workloads::Workload& w = *row.workload;
    const std::string lead = std::to_string(row.threads) + "," + csv_field(w.label) + "," +
                             workloads::op_name(w.problem.op) + "," +
                             std::to_string(w.problem.bytes()) + ",";
    if (!row.ran()) {
      os << lead << ",,,,,,," << status(row) << "," << csv_field(row.note) << "\n";
      continue;
    }
    for (const IsaTiming& t : row.timings) {
      const double speedup = row.speedup_vs_scalar(t.isa);
      os << lead << bench::level_name(row.level) << "," << number(row.roof_gbps) << ","
         << isa_name(t.isa) << "," << number(t.seconds) << "," << number(t.gbps) << ","
         << number(row.roofline_percent(t), "%.1f") << ","
         << (speedup > 0 ? number(speedup, "%.3f") : "") << ",ok,\n";
    }
  }
}

void write_json(std::ostream& os, const BenchReport& report) {
  const CpuFeatures& cpu = cpu_features();
  const bench::CacheSizes caches = bench::cache_sizes();
  os << "{\n  \"tool\": \"normrt bench\",\n  \"quick\": " << (report.quick ? "true" : "false")
     << ",\n  \"samples\": " << report.samples << ",\n  \"cpu\": " << json_string(cpu.brand)
     << ",\n  \"caches\": {\"l1d_bytes\": " << caches.l1d << ", \"l2_bytes\": " << caches.l2
     << ", \"l3_bytes\": " << caches.l3 << ", \"detected\": " << (caches.detected ? "true" : "false")
     << "},\n  \"bytes\": \"input read + output written\",\n  \"isas\": [";
  for (std::size_t i = 0; i < report.isas.size(); ++i) {
    os << (i ? ", " : "") << json_string(isa_name(report.isas[i]));
  }
  os << "],\n  \"threads\": [";
  for (std::size_t i = 0; i < report.threads.size(); ++i) {
    os << (i ? ", " : "") << report.threads[i];
  }
  os << "],\n  \"rooflines\": [\n";
  std::size_t i = 0;
  for (const auto& entry : report.rooflines) {
    json_roofline(os, entry.second);
    os << (++i < report.rooflines.size() ? ",\n" : "\n");
  }
  os << "  ],\n  \"results\": [\n";
  for (std::size_t r = 0; r < report.rows.size(); ++r) {
    json_row(os, report.rows[r]);
    os << (r + 1 < report.rows.size() ? ",\n" : "\n");
  }
  os << "  ]\n}\n";
}

}  // namespace normrt::cli
