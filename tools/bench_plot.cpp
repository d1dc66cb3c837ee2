// `normrt bench --plot FILE.png`: a gnuplot script with the data inline
// (datablocks), piped to gnuplot. One panel per thread count: a cluster of
// bars (GB/s, one per ISA) per workload, and the roofline of each workload's
// working set as a step line over the clusters.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "bench_report.hpp"
#include "normrt/error.hpp"

namespace normrt::cli {
namespace {

// A gnuplot single-quoted string: a quote inside is doubled.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// One datablock line per workload that ran: label, GB/s per ISA, roofline.
std::string datablock(const BenchReport& report, int threads, const std::string& name) {
  std::ostringstream os;
  os << name << " << EOD\n";
  for (const BenchRow* row : report.rows_at(threads)) {
    if (!row->ran()) continue;
    os << '"' << row->workload->label << '"';
    for (Isa isa : report.isas) {
      const IsaTiming* t = row->find(isa);
      os << ' ' << (t != nullptr ? std::to_string(t->gbps) : "-");
    }
    os << ' ' << row->roof_gbps << "\n";
  }
  os << "EOD\n";
  return os.str();
}

std::string script(const BenchReport& report, const std::string& png_path) {
  std::size_t clusters = 0, longest_label = 10;
  for (int t : report.threads) clusters = std::max(clusters, report.rows_at(t).size());
  for (const BenchRow& row : report.rows) {
    longest_label = std::max(longest_label, row.workload->label.size());
  }
  const std::size_t panels = report.threads.size();
  // Room for every bar and for the rotated workload labels under each panel.
  const std::size_t width = std::max<std::size_t>(900, 120 + clusters * (report.isas.size() + 1) * 14);
  // Vertical labels: about half a character height per label character at ',8'.
  const std::size_t label_lines = longest_label / 2 + 2;
  const std::size_t height = panels * (420 + label_lines * 12) + 40;
  std::ostringstream os;
  os << "set terminal pngcairo noenhanced size " << width << "," << height << " font 'Sans,9'\n"
     << "set output " << quoted(png_path) << "\n"
     << "set datafile missing '-'\n"
     << "set style data histograms\n"
     << "set style histogram clustered gap 1\n"
     << "set style fill solid 0.85 border -1\n"
     << "set boxwidth 0.9\n"
     << "set grid ytics\n"
     << "set yrange [0:*]\n"
     << "set ylabel 'GB/s (input read + output written)'\n"
     << "set xtics rotate by 90 right nomirror font ',8'\n"
     << "set bmargin " << label_lines << "\n"
     << "set key above horizontal maxrows 1\n";
  for (int t : report.threads) os << datablock(report, t, "$t" + std::to_string(t));
  os << "set multiplot layout " << panels << ",1 title " << quoted(std::string("normrt bench") + (report.quick ? " --quick" : "") + ": " + cpu_features().brand) << "\n";
  for (int t : report.threads) {
    const std::string data = "$t" + std::to_string(t);
    os << "set title '" << t << " thread(s)'\n"
       << "plot ";
    for (std::size_t i = 0; i < report.isas.size(); ++i) {
      os << (i ? ", " : "") << data << " using " << i + 2 << (i ? "" : ":xtic(1)") << " title '"
         << isa_name(report.isas[i]) << "'";
    }
    // A horizontal segment over each cluster: that workload's roofline.
    os << ", " << data << " using ($0-0.45):" << report.isas.size() + 2
       << ":(0.9):(0) with vectors nohead lw 3 lc rgb 'black'"
       << " title 'roofline: faster copy GB/s at the level input + output fit in'\n";
  }
  os << "unset multiplot\n";
  return os.str();
}

}  // namespace

void require_gnuplot() {
  if (std::system("gnuplot --version >/dev/null 2>&1") != 0) {
    throw Error("--plot needs gnuplot, which is not installed or not on PATH "
                "(Debian: apt-get install gnuplot-nox)");
  }
}

void write_plot(const BenchReport& report, const std::string& png_path) {
  if (png_path.find_first_of("\n\r") != std::string::npos) {
    throw Error("--plot: the file name must not contain a line break");
  }
  bool any_ran = false;
  for (const BenchRow& row : report.rows) any_ran = any_ran || row.ran();
  if (!any_ran) throw Error("--plot: no workload ran, so there is nothing to draw");
  std::remove(png_path.c_str());  // so a stale chart is never mistaken for this one
  FILE* gnuplot = popen("gnuplot", "w");
  if (gnuplot == nullptr) throw Error("--plot: cannot start gnuplot");
  const std::string text = script(report, png_path);
  const bool written = std::fwrite(text.data(), 1, text.size(), gnuplot) == text.size();
  const int status = pclose(gnuplot);
  if (!written || status != 0) {
    throw Error("--plot: gnuplot failed (exit status " + std::to_string(status) +
                ") writing '" + png_path + "'");
  }
  if (!std::ifstream(png_path)) {
    throw Error("--plot: gnuplot did not write '" + png_path + "'");
  }
}

}  // namespace normrt::cli
