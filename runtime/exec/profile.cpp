// RunProfile / ProfileSummary: per-op-type and per-node totals over runs and
// the text report `normrt run --profile` prints.
#include "normrt/runtime/profile.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <numeric>

namespace normrt {

double RunProfile::node_ms() const {
  return std::accumulate(nodes.begin(), nodes.end(), 0.0,
                         [](double s, const NodeTiming& t) { return s + t.ms; });
}

void ProfileSummary::accumulate(std::vector<Row>& rows, std::map<Key, std::size_t>& index, Row r) {
  auto [it, fresh] = index.emplace(Key{r.name, r.op}, rows.size());
  if (fresh) {
    rows.push_back(std::move(r));
    return;
  }
  Row& row = rows[it->second];
  row.calls += r.calls;
  row.total_ms += r.total_ms;
}

void ProfileSummary::add(const RunProfile& run) {
  ++runs_;
  wall_ms_ += run.wall_ms;
  for (const NodeTiming& t : run.nodes) {
    accumulate(ops_, op_index_, Row{t.op, "", "", 1, t.ms});
    accumulate(nodes_, node_index_, Row{t.node, t.op, t.shape, 1, t.ms});
  }
}

double ProfileSummary::node_ms() const {
  return std::accumulate(ops_.begin(), ops_.end(), 0.0,
                         [](double s, const Row& r) { return s + r.total_ms; });
}

namespace {

std::vector<ProfileSummary::Row> slowest_first(std::vector<ProfileSummary::Row> rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
  return rows;
}

// Long exported names ("/encoder/layer.3/attention/MatMul_1") keep their tail.
std::string fit(const std::string& s, std::size_t width) {
  if (s.size() <= width) return s;
  return "..." + s.substr(s.size() - (width - 3));
}

std::size_t column_width(const std::vector<ProfileSummary::Row>& rows, std::size_t rows_shown,
                         std::string ProfileSummary::Row::*field, std::size_t min, std::size_t max) {
  std::size_t w = min;
  for (std::size_t i = 0; i < rows_shown; ++i) w = std::max(w, (rows[i].*field).size());
  return std::min(w, max);
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

}  // namespace

std::vector<ProfileSummary::Row> ProfileSummary::by_op() const { return slowest_first(ops_); }
std::vector<ProfileSummary::Row> ProfileSummary::by_node() const { return slowest_first(nodes_); }

std::string ProfileSummary::report(int top_nodes) const {
  if (runs_ == 0) return "profile: no runs\n";
  const double wall = wall_ms_ > 0.0 ? wall_ms_ : 1.0;
  const double per_run = 1.0 / double(runs_);
  std::string out = format(
      "profile over %d run%s: wall %.3f ms per run, nodes %.3f ms per run (%.1f%% of wall; the "
      "rest is binding, planning, arena and output allocation)\n\n",
      runs_, runs_ == 1 ? "" : "s", wall_ms_ * per_run, node_ms() * per_run,
      100.0 * node_ms() / wall);

  const auto ops = by_op();
  const int ow = int(column_width(ops, ops.size(), &Row::name, 7, 48));
  out += format("%-*s %8s %11s %7s %9s %9s\n", ow, "op type", "calls", "total ms", "% wall",
                "avg ms", "ms/run");
  for (const Row& r : ops)
    out += format("%-*s %8lld %11.3f %6.1f%% %9.4f %9.3f\n", ow, fit(r.name, std::size_t(ow)).c_str(),
                  static_cast<long long>(r.calls), r.total_ms, 100.0 * r.total_ms / wall,
                  r.avg_ms(), r.total_ms * per_run);

  const auto nodes = by_node();
  const std::size_t shown =
      top_nodes < 0 ? nodes.size() : std::min(nodes.size(), std::size_t(top_nodes));
  if (shown == 0) return out;
  const int nw = int(column_width(nodes, shown, &Row::name, 4, 48));
  const int pw = int(column_width(nodes, shown, &Row::op, 2, 40));
  const int sw = int(column_width(nodes, shown, &Row::shape, 5, 24));
  out += format("\ntop %zu of %zu nodes by time:\n", shown, nodes.size());
  out += format("%-*s %-*s %-*s %8s %11s %7s %9s\n", nw, "node", pw, "op", sw, "shape", "calls",
                "total ms", "% wall", "avg ms");
  for (std::size_t i = 0; i < shown; ++i) {
    const Row& r = nodes[i];
    out += format("%-*s %-*s %-*s %8lld %11.3f %6.1f%% %9.4f\n", nw,
                  fit(r.name, std::size_t(nw)).c_str(), pw, fit(r.op, std::size_t(pw)).c_str(), sw,
                  fit(r.shape, std::size_t(sw)).c_str(), static_cast<long long>(r.calls),
                  r.total_ms, 100.0 * r.total_ms / wall, r.avg_ms());
  }
  return out;
}

}  // namespace normrt
