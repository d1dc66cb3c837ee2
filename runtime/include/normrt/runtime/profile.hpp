#pragma once
// Where a run's time goes: per executed node, its op and milliseconds, like
// ONNX Runtime's profiler. Collected only when asked for:
//
//   normrt::RunProfile p;
//   auto y = session.run({{"input", x}}, p);   // p.nodes: one entry per node run
//   normrt::ProfileSummary sum;
//   sum.add(p);                                // any number of runs
//   std::cout << sum.report(20);               // per op type, then the top 20 nodes
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace normrt {

// One executed node of one run.
struct NodeTiming {
  std::string node;   // the node's name, or "<its first output>" when unnamed
  std::string op;     // "Conv", "normrt.Conv", "com.microsoft.SkipLayerNormalization"
  std::string shape;  // its first output's shape, "[1,64,56,56]"
  double ms = 0.0;
};

// One run: the nodes in execution order (nodes folded at plan time do not
// run, so they are not listed) and the wall time of the whole
// Session::run call (binding, planning on a new shape signature, arena,
// output copies), so the sum of node times never exceeds wall_ms.
struct RunProfile {
  std::vector<NodeTiming> nodes;
  double wall_ms = 0.0;
  double node_ms() const;  // sum of nodes[i].ms
};

// Many runs of one model folded into per-op-type and per-node totals.
class ProfileSummary {
 public:
  struct Row {
    std::string name;    // op type, or node name
    std::string op;      // the node's op (per-node rows); "" for op-type rows
    std::string shape;   // per-node rows
    int64_t calls = 0;   // executions over all runs
    double total_ms = 0.0;
    double avg_ms() const { return calls ? total_ms / double(calls) : 0.0; }
  };

  void add(const RunProfile& run);

  int runs() const { return runs_; }
  double wall_ms() const { return wall_ms_; }  // summed over runs
  double node_ms() const;                      // summed over runs and nodes
  // Sorted by total time, largest first (ties: first executed first).
  std::vector<Row> by_op() const;
  std::vector<Row> by_node() const;

  // A text table per op type (calls, total ms, % of wall time, avg ms per
  // call, ms per run) and then the `top_nodes` slowest nodes (all when < 0).
  std::string report(int top_nodes = 20) const;

 private:
  using Key = std::pair<std::string, std::string>;  // (name, op)
  static void accumulate(std::vector<Row>& rows, std::map<Key, std::size_t>& index, Row r);
  std::vector<Row> ops_, nodes_;  // in first-seen order
  std::map<Key, std::size_t> op_index_, node_index_;
  int runs_ = 0;
  double wall_ms_ = 0.0;
};

}  // namespace normrt
