#pragma once
// The runtime's IR: SSA values with use lists, nodes in topological order,
// graph inputs/outputs flagged on their values. Built by the ONNX loader,
// rewritten by passes, executed by the planner/executor, written back to
// ONNX by the fold tool.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ir/tensor.hpp"

namespace normrt::rt {

struct Node;

// A symbolic or concrete dimension as declared in the model: value >= 0, or
// value == -1 with an optional symbol name ("batch").
struct Dim {
  int64_t value = -1;
  std::string symbol;
};

struct Value {
  std::string name;
  DType dtype = DType::undefined;
  std::optional<std::vector<Dim>> shape;  // unknown rank when empty
  Node* producer = nullptr;               // null for graph inputs and constants
  std::vector<Node*> consumers;           // one entry per use (a node may appear twice)
  bool is_graph_input = false;
  bool is_graph_output = false;
  std::optional<Tensor> constant;  // initializer or folded constant
};

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

struct Node {
  std::string name;     // as in the model (may be empty: use describe())
  std::string op_type;  // "Conv"
  std::string domain;   // "" for the default ONNX domain, "com.microsoft", "normrt"
  int opset = 0;        // the model's opset import for `domain`
  std::vector<Value*> inputs;   // null for an omitted optional input
  std::vector<Value*> outputs;  // null for an omitted optional output
  std::map<std::string, Attribute> attrs;

  // "node 'conv1' (Conv)" or "node #12 (Conv)": what error messages name.
  std::string describe() const;

  // Typed attribute access; a wrong type is a normrt::Error naming the node.
  bool has(const std::string& attr) const { return attrs.count(attr) != 0; }
  int64_t attr_int(const std::string& attr, int64_t fallback) const;
  float attr_float(const std::string& attr, float fallback) const;
  std::string attr_string(const std::string& attr, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& attr, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& attr, std::vector<float> fallback = {}) const;
  const Tensor* attr_tensor(const std::string& attr) const;
};

class Graph {
 public:
  std::string name;
  std::map<std::string, int64_t> opset_imports;  // domain -> version
  std::vector<Value*> inputs;   // graph inputs in declaration order (not initializers)
  std::vector<Value*> outputs;  // graph outputs in declaration order

  Value* add_value(const std::string& name);  // unique name required
  Value* find_value(const std::string& name) const;
  // Appends a node; wires producer/consumer links. Call topo_sort() after
  // inserting out of order.
  Node* add_node(std::unique_ptr<Node> node);
  // Unlinks and deletes a node; its outputs lose their producer.
  void remove_node(Node* node);
  // Replaces every use of `from` by `to` (graph outputs included: the output
  // keeps its name by renaming when `from` was a graph output).
  void replace_uses(Value* from, Value* to);
  // Drops values that are neither used, produced, inputs nor outputs.
  void remove_dead_values();
  // Orders nodes topologically; throws normrt::Error naming a node on a cycle.
  void topo_sort();
  // A fresh value name with the given prefix.
  std::string unique_name(const std::string& prefix) const;

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::map<std::string, std::unique_ptr<Value>>& values() const { return values_; }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::string, std::unique_ptr<Value>> values_;
};

}  // namespace normrt::rt
