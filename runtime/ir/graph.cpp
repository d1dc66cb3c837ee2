#include "ir/graph.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "normrt/error.hpp"

namespace normrt::rt {

// ---- Node -------------------------------------------------------------------

std::string Node::describe() const {
  const std::string op = domain.empty() ? op_type : domain + "." + op_type;
  if (!name.empty()) return "node '" + name + "' (" + op + ")";
  // Unnamed nodes are common in exported models: name them by what they make.
  for (const Value* v : outputs)
    if (v) return "node producing '" + v->name + "' (" + op + ")";
  return "unnamed node (" + op + ")";
}

namespace {

template <class T>
const T* typed_attr(const Node& node, const std::string& attr, const char* want) {
  auto it = node.attrs.find(attr);
  if (it == node.attrs.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (!v) throw Error(node.describe() + ": attribute '" + attr + "' must be " + want);
  return v;
}

}  // namespace

int64_t Node::attr_int(const std::string& attr, int64_t fallback) const {
  const int64_t* v = typed_attr<int64_t>(*this, attr, "an int");
  return v ? *v : fallback;
}

float Node::attr_float(const std::string& attr, float fallback) const {
  // Some exporters write integral values of float attributes as ints.
  auto it = attrs.find(attr);
  if (it != attrs.end())
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return float(*i);
  const float* v = typed_attr<float>(*this, attr, "a float");
  return v ? *v : fallback;
}

std::string Node::attr_string(const std::string& attr, const std::string& fallback) const {
  const std::string* v = typed_attr<std::string>(*this, attr, "a string");
  return v ? *v : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& attr, std::vector<int64_t> fallback) const {
  const auto* v = typed_attr<std::vector<int64_t>>(*this, attr, "a list of ints");
  return v ? *v : fallback;
}

std::vector<float> Node::attr_floats(const std::string& attr, std::vector<float> fallback) const {
  const auto* v = typed_attr<std::vector<float>>(*this, attr, "a list of floats");
  return v ? *v : fallback;
}

const Tensor* Node::attr_tensor(const std::string& attr) const {
  return typed_attr<Tensor>(*this, attr, "a tensor");
}

// ---- Graph ------------------------------------------------------------------

Value* Graph::add_value(const std::string& value_name) {
  auto [it, inserted] = values_.emplace(value_name, nullptr);
  if (!inserted) throw Error("value '" + value_name + "' is defined twice");
  it->second = std::make_unique<Value>();
  it->second->name = value_name;
  return it->second.get();
}

Value* Graph::find_value(const std::string& value_name) const {
  auto it = values_.find(value_name);
  return it == values_.end() ? nullptr : it->second.get();
}

Node* Graph::add_node(std::unique_ptr<Node> node) {
  for (Value* out : node->outputs) {
    if (!out) continue;
    if (out->producer || out->constant || out->is_graph_input)
      throw Error(node->describe() + ": output '" + out->name + "' is already defined elsewhere");
  }
  for (Value* out : node->outputs)
    if (out) out->producer = node.get();
  for (Value* in : node->inputs)
    if (in) in->consumers.push_back(node.get());
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

void Graph::remove_node(Node* node) {
  for (Value* in : node->inputs) {
    if (!in) continue;
    auto& c = in->consumers;
    auto it = std::find(c.begin(), c.end(), node);
    if (it != c.end()) c.erase(it);  // one entry per use
  }
  for (Value* out : node->outputs)
    if (out && out->producer == node) out->producer = nullptr;
  auto it = std::find_if(nodes_.begin(), nodes_.end(),
                         [&](const std::unique_ptr<Node>& n) { return n.get() == node; });
  if (it != nodes_.end()) nodes_.erase(it);
}

void Graph::replace_uses(Value* from, Value* to) {
  if (from == to) return;
  for (Node* consumer : from->consumers)
    for (Value*& in : consumer->inputs)
      if (in == from) in = to;
  // Use lists hold one entry per use: every entry moves over unchanged.
  for (Node* consumer : from->consumers) to->consumers.push_back(consumer);
  from->consumers.clear();

  if (!from->is_graph_output) return;
  // The graph output must keep its name: `to` takes it over.
  if (to->is_graph_input || to->is_graph_output)
    throw Error("cannot replace graph output '" + from->name + "' by graph " +
                (to->is_graph_input ? "input '" : "output '") + to->name +
                "' without renaming it");
  for (Value*& out : outputs)
    if (out == from) out = to;
  from->is_graph_output = false;
  to->is_graph_output = true;
  const std::string kept = from->name;
  auto from_node = values_.extract(from->name);
  auto to_node = values_.extract(to->name);
  from->name = unique_name(kept + "_replaced");
  from_node.key() = from->name;
  values_.insert(std::move(from_node));
  to->name = kept;
  to_node.key() = kept;
  values_.insert(std::move(to_node));
}

void Graph::remove_dead_values() {
  for (auto it = values_.begin(); it != values_.end();) {
    const Value& v = *it->second;
    if (v.consumers.empty() && !v.producer && !v.is_graph_input && !v.is_graph_output)
      it = values_.erase(it);
    else
      ++it;
  }
}

void Graph::topo_sort() {
  // Kahn's algorithm, stable: among ready nodes, the earliest in the current
  // order goes first, so an already sorted graph keeps its order.
  std::unordered_map<const Node*, std::size_t> index;
  for (std::size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<std::size_t>> users(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    for (const Value* in : nodes_[i]->inputs) {
      if (!in || !in->producer) continue;
      auto p = index.find(in->producer);
      if (p == index.end()) continue;  // producer not in this graph
      ++pending[i];
      users[p->second].push_back(i);
    }
  }
  std::vector<std::size_t> ready_heap;
  auto cmp = [](std::size_t a, std::size_t b) { return a > b; };  // min-heap
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (pending[i] == 0) ready_heap.push_back(i);
  std::make_heap(ready_heap.begin(), ready_heap.end(), cmp);
  std::vector<std::size_t> order;
  order.reserve(nodes_.size());
  while (!ready_heap.empty()) {
    std::pop_heap(ready_heap.begin(), ready_heap.end(), cmp);
    const std::size_t i = ready_heap.back();
    ready_heap.pop_back();
    order.push_back(i);
    for (std::size_t u : users[i])
      if (--pending[u] == 0) {
        ready_heap.push_back(u);
        std::push_heap(ready_heap.begin(), ready_heap.end(), cmp);
      }
  }
  if (order.size() != nodes_.size()) {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (pending[i] > 0)
        throw Error(nodes_[i]->describe() + ": the graph has a cycle through this node");
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes_.size());
  for (std::size_t i : order) sorted.push_back(std::move(nodes_[i]));
  nodes_ = std::move(sorted);
}

std::string Graph::unique_name(const std::string& prefix) const {
  if (!values_.count(prefix)) return prefix;
  for (std::size_t i = 1;; ++i) {
    std::string candidate = prefix + "_" + std::to_string(i);
    if (!values_.count(candidate)) return candidate;
  }
}

}  // namespace normrt::rt
