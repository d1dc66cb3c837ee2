// The pass manager: runs the selected passes in a fixed order, re-sorts the
// graph after each, then drops dead nodes and values (initializers included).
#include <map>
#include <sstream>

#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt {

PassOptions PassOptions::execution() { return PassOptions{}; }

PassOptions PassOptions::deployment() {
  PassOptions o;
  o.batch_norm_to_affine = false;
  o.fuse_norms = false;
  o.fuse_epilogues = false;
  return o;
}

void PassReport::add(const std::string& pass, const std::string& message) {
  entries.push_back({pass, message});
}

std::size_t PassReport::count(const std::string& pass) const {
  std::size_t n = 0;
  for (const Entry& e : entries) n += e.pass == pass ? 1 : 0;
  return n;
}

std::string PassReport::str() const {
  std::ostringstream out;
  std::map<std::string, std::size_t> totals;
  for (const Entry& e : entries) {
    out << "[" << e.pass << "] " << e.message << "\n";
    ++totals[e.pass];
  }
  out << "summary:";
  if (totals.empty()) out << " no rewrites";
  for (const auto& [pass, n] : totals) out << " " << pass << "=" << n;
  out << "\n";
  return out.str();
}

namespace {

bool is_dead(const Node& n) {
  for (const Value* v : n.outputs)
    if (v && (!v->consumers.empty() || v->is_graph_output)) return false;
  return true;
}

// Nodes whose outputs nothing reads, back to front so whole chains go.
void remove_dead_nodes(Graph& g) {
  for (std::size_t i = g.nodes().size(); i-- > 0;) {
    if (i >= g.nodes().size()) continue;
    Node* n = g.nodes()[i].get();
    if (is_dead(*n)) g.remove_node(n);
  }
  g.remove_dead_values();
}

}  // namespace

void run_passes(Graph& graph, const PassOptions& options, PassReport& report) {
  auto step = [&](bool enabled, auto&& pass) {
    if (!enabled) return;
    pass();
    remove_dead_nodes(graph);
    graph.topo_sort();
  };
  step(true, [] {});  // start from a sorted graph without dead nodes
  step(options.fold_constants, [&] { passes::fold_constants(graph, report); });
  step(options.fold_batch_norm || options.batch_norm_to_affine, [&] {
    passes::fold_batch_norms(graph, options.fold_batch_norm, options.batch_norm_to_affine, report);
  });
  step(options.fuse_norms, [&] {
    passes::fuse_layer_norms(graph, report);
    passes::fuse_rms_norms(graph, report);
    passes::fuse_group_norms(graph, report);
  });
  step(options.fuse_epilogues, [&] {
    passes::fuse_skip_norms(graph, report);
    passes::fuse_activations(graph, report);
    passes::fuse_matmul_epilogues(graph, report);
  });
}

void run_default_passes(Graph& graph, PassReport& report) {
  run_passes(graph, PassOptions::execution(), report);
}

}  // namespace normrt::rt
