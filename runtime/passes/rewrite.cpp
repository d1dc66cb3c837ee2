#include "passes/rewrite.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace normrt::rt::passes {

Value* input(const Node& n, std::size_t i) { return i < n.inputs.size() ? n.inputs[i] : nullptr; }
Value* output(const Node& n, std::size_t i) { return i < n.outputs.size() ? n.outputs[i] : nullptr; }

Value* other_input(const Node& n, const Value* one) {
  if (n.inputs.size() != 2) return nullptr;
  if (n.inputs[0] == one) return n.inputs[1];
  if (n.inputs[1] == one) return n.inputs[0];
  return nullptr;
}

bool is_op(const Node* n, const char* op_type, const char* domain) {
  if (!n || n->op_type != op_type) return false;
  const std::string& d = n->domain == "ai.onnx" ? std::string() : n->domain;
  return d == domain;
}

Node* sole_consumer(const Value* v) {
  if (!v || v->is_graph_output || v->consumers.size() != 1) return nullptr;
  return v->consumers.front();
}

bool only_first_output_used(const Node& n) {
  for (std::size_t i = 1; i < n.outputs.size(); ++i) {
    const Value* v = n.outputs[i];
    if (v && (!v->consumers.empty() || v->is_graph_output)) return false;
  }
  return true;
}

std::optional<std::vector<double>> constant_values(const Value* v) {
  if (!v || !v->constant) return std::nullopt;
  const Tensor& t = *v->constant;
  const auto n = std::size_t(t.size());
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (t.dtype()) {
      case DType::f32: out[i] = double(t.as<float>()[i]); break;
      case DType::f64: out[i] = t.as<double>()[i]; break;
      case DType::i32: out[i] = double(t.as<int32_t>()[i]); break;
      case DType::i64: out[i] = double(t.as<int64_t>()[i]); break;
      case DType::i8: out[i] = double(t.as<int8_t>()[i]); break;
      case DType::u8: case DType::boolean: out[i] = double(t.as<uint8_t>()[i]); break;
      default: return std::nullopt;
    }
  }
  return out;
}

std::optional<double> scalar_constant(const Value* v) {
  if (!v || !v->constant || v->constant->size() != 1) return std::nullopt;
  auto values = constant_values(v);
  if (!values) return std::nullopt;
  return values->front();
}

const Tensor* float_constant(const Value* v) {
  if (!v || !v->constant || v->constant->dtype() != DType::f32) return nullptr;
  return &*v->constant;
}

std::optional<Dims> static_shape(const Value* v) {
  if (!v) return std::nullopt;
  if (v->constant) return v->constant->dims();
  if (!v->shape) return std::nullopt;
  Dims dims;
  for (const Dim& d : *v->shape) {
    if (d.value < 0) return std::nullopt;
    dims.push_back(d.value);
  }
  return dims;
}

std::optional<std::size_t> known_rank(const Value* v) {
  if (!v) return std::nullopt;
  if (v->constant) return v->constant->dims().size();
  if (!v->shape) return std::nullopt;
  return v->shape->size();
}

bool same_declared_shape(const Value* a, const Value* b) {
  if (!a || !b || !a->shape || !b->shape || a->shape->size() != b->shape->size()) return false;
  for (std::size_t i = 0; i < a->shape->size(); ++i) {
    const Dim& x = (*a->shape)[i];
    const Dim& y = (*b->shape)[i];
    if (x.value >= 0 || y.value >= 0) {
      if (x.value != y.value) return false;
    } else if (x.symbol.empty() || x.symbol != y.symbol) {
      return false;
    }
  }
  return true;
}

std::optional<std::vector<int64_t>> reduce_axes(const Node& reduce, std::size_t rank) {
  std::vector<int64_t> axes;
  if (reduce.has("axes")) {
    axes = reduce.attr_ints("axes");
  } else if (Value* a = input(reduce, 1)) {
    auto values = constant_values(a);
    if (!values) return std::nullopt;
    for (double d : *values) axes.push_back(int64_t(d));
  } else {
    return std::nullopt;  // all axes (or none, with noop_with_empty_axes): never a norm
  }
  if (axes.empty()) return std::nullopt;
  const auto r = int64_t(rank);
  for (int64_t& a : axes) {
    if (a < -r || a >= r) return std::nullopt;
    if (a < 0) a += r;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) return std::nullopt;
  return axes;
}

bool are_trailing_axes(const std::vector<int64_t>& axes, std::size_t rank) {
  if (axes.empty() || axes.size() > rank) return false;
  const auto first = int64_t(rank - axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != first + int64_t(i)) return false;
  return true;
}

Tensor float_tensor(const Dims& dims, const std::vector<double>& values) {
  Tensor t(DType::f32, dims);
  float* p = t.as<float>();
  for (std::size_t i = 0; i < values.size() && int64_t(i) < t.size(); ++i) p[i] = float(values[i]);
  return t;
}

std::optional<Tensor> broadcast_constant(const Value* v, const Dims& dims) {
  auto values = constant_values(v);
  if (!values) return std::nullopt;
  const Dims& src = v->constant->dims();
  const std::size_t rank = dims.size();
  // Leading dims beyond the target rank must be 1; the rest align right.
  for (std::size_t i = 0; i + rank < src.size(); ++i)
    if (src[i] != 1) return std::nullopt;
  Dims aligned(rank, 1);
  for (std::size_t i = 0; i < std::min(rank, src.size()); ++i)
    aligned[rank - 1 - i] = src[src.size() - 1 - i];
  for (std::size_t i = 0; i < rank; ++i)
    if (aligned[i] != 1 && aligned[i] != dims[i]) return std::nullopt;
  Tensor out(DType::f32, dims);
  const int64_t count = out.size();
  float* p = out.as<float>();
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rest = flat, src_index = 0, src_stride = 1;
    for (std::size_t i = rank; i-- > 0;) {
      const int64_t coord = rest % dims[i];
      rest /= dims[i];
      if (aligned[i] != 1) src_index += coord * src_stride;
      src_stride *= aligned[i];
    }
    p[flat] = float((*values)[std::size_t(src_index)]);
  }
  return out;
}

Tensor clone_tensor(const Tensor& t) {
  Tensor copy(t.dtype(), t.dims());
  if (t.bytes()) std::memcpy(copy.data(), t.data(), t.bytes());
  return copy;
}

Value* add_constant(Graph& g, const std::string& prefix, Tensor t) {
  Value* v = g.add_value(g.unique_name(prefix));
  v->dtype = t.dtype();
  std::vector<Dim> shape;
  for (int64_t d : t.dims()) shape.push_back(Dim{d, {}});
  v->shape = std::move(shape);
  v->constant = std::move(t);
  return v;
}

Value* add_intermediate(Graph& g, const std::string& prefix, DType dtype,
                        std::optional<std::vector<Dim>> shape) {
  Value* v = g.add_value(g.unique_name(prefix));
  v->dtype = dtype;
  v->shape = std::move(shape);
  return v;
}

int ensure_domain(Graph& g, const std::string& domain, int version) {
  auto it = g.opset_imports.find(domain);
  if (it == g.opset_imports.end()) it = g.opset_imports.emplace(domain, version).first;
  return int(it->second);
}

int default_opset(const Graph& g) {
  for (const char* d : {"", "ai.onnx"}) {
    auto it = g.opset_imports.find(d);
    if (it != g.opset_imports.end()) return int(it->second);
  }
  return 0;
}

Node* add_node(Graph& g, NodeSpec spec) {
  auto n = std::make_unique<Node>();
  n->op_type = std::move(spec.op_type);
  n->domain = std::move(spec.domain);
  n->name = std::move(spec.name);
  n->inputs = std::move(spec.inputs);
  n->outputs = std::move(spec.outputs);
  n->attrs = std::move(spec.attrs);
  n->opset = n->domain.empty() ? default_opset(g) : ensure_domain(g, n->domain, 1);
  return g.add_node(std::move(n));
}

void set_input(Node& n, std::size_t i, Value* v) {
  if (n.inputs.size() <= i) n.inputs.resize(i + 1, nullptr);
  if (Value* old = n.inputs[i]) {
    auto& c = old->consumers;
    auto it = std::find(c.begin(), c.end(), &n);
    if (it != c.end()) c.erase(it);  // one entry per use
  }
  n.inputs[i] = v;
  if (v) v->consumers.push_back(&n);
}

bool set_constant_input(Graph& g, Node& n, std::size_t i, Tensor t, const std::string& prefix) {
  Value* old = input(n, i);
  const bool exclusive = old && old->constant && old->consumers.size() == 1 &&
                         !old->is_graph_input && !old->is_graph_output;
  if (exclusive) {
    old->dtype = t.dtype();
    std::vector<Dim> shape;
    for (int64_t d : t.dims()) shape.push_back(Dim{d, {}});
    old->shape = std::move(shape);
    old->constant = std::move(t);  // the old tensor is not written: aliases keep it
    return false;
  }
  set_input(n, i, add_constant(g, prefix, std::move(t)));
  return old != nullptr;
}

void remove_nodes(Graph& g, const std::vector<Node*>& nodes) {
  for (Node* n : nodes) g.remove_node(n);
}

int for_each_node(Graph& g, const std::function<bool(Node&)>& rewrite) {
  std::vector<Node*> snapshot;
  for (const auto& n : g.nodes()) snapshot.push_back(n.get());
  std::unordered_set<Node*> alive(snapshot.begin(), snapshot.end());
  int rewrites = 0;
  for (Node* n : snapshot) {
    if (!alive.count(n)) continue;
    if (!rewrite(*n)) continue;
    ++rewrites;
    alive.clear();
    for (const auto& m : g.nodes()) alive.insert(m.get());
  }
  return rewrites;
}

}  // namespace normrt::rt::passes
