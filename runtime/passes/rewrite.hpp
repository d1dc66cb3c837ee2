#pragma once
// Small pattern-matching and graph-editing helpers shared by the passes.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace normrt::rt::passes {

constexpr const char* kNormrtDomain = "normrt";
constexpr const char* kMicrosoftDomain = "com.microsoft";

// Input/output i of a node, null when absent or omitted.
Value* input(const Node& n, std::size_t i);
Value* output(const Node& n, std::size_t i);

// The other input of a binary node, given one of them; null when `one` is not an input.
Value* other_input(const Node& n, const Value* one);

bool is_op(const Node* n, const char* op_type, const char* domain = "");

// The single consumer of `v` (one use) when `v` is an internal value, i.e.
// not a graph output: the condition for an intermediate a fusion may swallow.
Node* sole_consumer(const Value* v);

// True when every output but the first is absent or unused and not a graph output.
bool only_first_output_used(const Node& n);

// Numeric constant contents as doubles (f32/f64/i32/i64/i8/u8/bool); nullopt
// when `v` is not a constant of such a type.
std::optional<std::vector<double>> constant_values(const Value* v);
// A constant holding exactly one element.
std::optional<double> scalar_constant(const Value* v);
// A constant float32 tensor, or null.
const Tensor* float_constant(const Value* v);

// The declared shape when every dim is a known value.
std::optional<Dims> static_shape(const Value* v);
// The declared rank, when the shape is declared at all.
std::optional<std::size_t> known_rank(const Value* v);
// Two values declared with the same shape: equal known dims or equal symbols.
bool same_declared_shape(const Value* a, const Value* b);

// Axes of a Reduce* node (attribute before opset 18, constant input from 18),
// normalized to [0, rank) and sorted; nullopt when not static or invalid.
std::optional<std::vector<int64_t>> reduce_axes(const Node& reduce, std::size_t rank);
// True when `axes` are exactly the trailing dims [rank - axes.size(), rank).
bool are_trailing_axes(const std::vector<int64_t>& axes, std::size_t rank);

// A float32 tensor of `dims` holding `values` rounded once.
Tensor float_tensor(const Dims& dims, const std::vector<double>& values);
// `t` broadcast (numpy rules) to exactly `dims`, as float32; nullopt when it
// does not broadcast to them or is not numeric.
std::optional<Tensor> broadcast_constant(const Value* v, const Dims& dims);
// A deep copy (Tensor copies alias their bytes).
Tensor clone_tensor(const Tensor& t);

// A new constant value (an initializer) named after `prefix`.
Value* add_constant(Graph& g, const std::string& prefix, Tensor t);
// A new intermediate value with the given type and (optional) shape.
Value* add_intermediate(Graph& g, const std::string& prefix, DType dtype,
                        std::optional<std::vector<Dim>> shape);

// The opset of `domain`, imported at `version` when the model does not yet use it.
int ensure_domain(Graph& g, const std::string& domain, int version);
// The default-domain opset, 0 when absent.
int default_opset(const Graph& g);

struct NodeSpec {
  std::string op_type;
  std::string domain;
  std::string name;
  std::vector<Value*> inputs;
  std::vector<Value*> outputs;
  std::map<std::string, Attribute> attrs;
};
// Adds the node (opset from the graph's imports); call topo_sort() afterwards.
Node* add_node(Graph& g, NodeSpec spec);

// Rewires input i of `n` to `v` (null to omit it), keeping use lists right.
void set_input(Node& n, std::size_t i, Value* v);
// Gives input i of `n` the constant `t`: replaces the value's tensor when `n`
// is its only user, otherwise (a weight shared by two convs) rewires `n` to a
// new constant so the other users keep the original. Returns true on a clone.
bool set_constant_input(Graph& g, Node& n, std::size_t i, Tensor t, const std::string& prefix);

// Removes the nodes; their values stay until the pass manager drops dead ones,
// so a rewrite can hand the last output over to the node that replaces them.
void remove_nodes(Graph& g, const std::vector<Node*>& nodes);

// Calls `rewrite` on each node alive when the walk starts, in order, skipping
// nodes earlier rewrites removed; returns how many rewrites said true.
int for_each_node(Graph& g, const std::function<bool(Node&)>& rewrite);

}  // namespace normrt::rt::passes
