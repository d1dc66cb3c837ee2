// LayerNormalization as ONNX's own function expansion writes it (the
// `_expanded` conformance models, and exporters that inline the function):
//   X2D = Flatten(X, axis)            XU = Cast(X2D, float)?
//   Mean2D = ReduceMean(XU, [1])      Var = ReduceMean(XU * XU, [1]) - Mean2D * Mean2D
//   StdDev = Sqrt(Var + eps)          Normalized = (XU - Mean2D) / StdDev
//   Y = Reshape(Cast(Normalized)? * Flatten(W, 0) (+ Flatten(B, 0))?, Shape(X))
//   Mean = Reshape(Mean2D, ReducedShape)?   InvStdDev = Reshape(Reciprocal(StdDev), ReducedShape)?
// becomes one LayerNormalization(X, W, B) -> Y, Mean?, InvStdDev?, whose
// kernel computes the variance centred instead of as E[x^2] - E[x]^2.
// Matched only when the structure is exactly that: every intermediate has
// the uses listed and is not a graph output; the Casts are float -> float;
// W and B have the normalized shape; the Reshapes restore X's shape and the
// reduced statistics shape. Flatten(W) / Flatten(B) of constants arrive
// already folded to [1, N] constants.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

constexpr int64_t kOnnxFloat = 1;  // TensorProto::FLOAT

int64_t uses(const Value* v) { return v ? int64_t(v->consumers.size()) : 0; }

// `v` itself, or the output of its sole consumer when that is Cast(to=float).
Value* skip_float_cast(Value* v, std::vector<Node*>& matched) {
  Node* cast = sole_consumer(v);
  if (!is_op(cast, "Cast") || cast->attr_int("to", 0) != kOnnxFloat) return v;
  matched.push_back(cast);
  return output(*cast, 0);
}

// The consumer of `v` that is `op` reading `v` as input `index`, or null.
Node* consumer_at(const Value* v, const char* op, std::size_t index) {
  for (Node* n : v->consumers)
    if (is_op(n, op) && input(*n, index) == v) return n;
  return nullptr;
}

bool is_row_mean(const Node* n) {
  if (!is_op(n, "ReduceMean") || n->attr_int("keepdims", 1) != 1) return false;
  auto axes = reduce_axes(*n, 2);
  return axes && *axes == std::vector<int64_t>{1};
}

bool constant_equals(const Value* v, const Dims& want) {
  auto values = constant_values(v);
  if (!values || values->size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (want[i] <= 0 || (*values)[i] != double(want[i])) return false;  // 0 / -1 mean "copy"/"infer"
  return true;
}

// Reshape(src, shape) restoring `dims`; `x` given, Shape(x) is accepted for
// the shape too (a symbolic batch leaves it unfolded).
bool restores_shape(const Node* reshape, const Value* src, const Dims& dims, const Value* x) {
  if (!is_op(reshape, "Reshape") || input(*reshape, 0) != src) return false;
  const Value* shape = input(*reshape, 1);
  if (constant_equals(shape, dims)) return true;
  const Node* p = shape ? shape->producer : nullptr;
  return x && is_op(p, "Shape") && input(*p, 0) == x && !p->has("start") && !p->has("end");
}

// Scale or bias: `v2d` = Flatten(P, 0) of a float value P of the normalized
// shape (then P), or a constant of that many floats (then a reshaped copy).
Value* norm_param(Graph& g, Value* v2d, const Dims& norm_dims, std::vector<Node*>& matched,
                  const std::string& prefix) {
  const int64_t count = element_count(norm_dims, prefix);
  if (const Tensor* t = float_constant(v2d)) {
    if (t->size() != count) return nullptr;
    Tensor shaped(DType::f32, norm_dims);
    std::copy(t->as<float>(), t->as<float>() + count, shaped.as<float>());
    return add_constant(g, prefix, std::move(shaped));
  }
  Node* flatten = v2d->producer;
  if (!is_op(flatten, "Flatten") || flatten->attr_int("axis", 1) != 0 || uses(v2d) != 1 ||
      v2d->is_graph_output)
    return nullptr;
  Value* p = input(*flatten, 0);
  if (!p || p->dtype != DType::f32 || static_shape(p) != norm_dims) return nullptr;
  matched.push_back(flatten);
  return p;
}

struct Match {
  std::vector<Node*> nodes;
  Value* x = nullptr;
  int64_t axis = 0;
  double eps = 0.0;
  Value* scale = nullptr;
  Value* bias = nullptr;  // null: no B
  Value* y = nullptr;
  Value* mean = nullptr;     // null: Mean not computed
  Value* inv_std = nullptr;  // null: InvStdDev not computed
};

// The statistics outputs: Mean2D feeds Mul(m, m), Sub(XU, m) and maybe one
// Reshape; StdDev feeds the Div and maybe Reciprocal -> Reshape.
bool match_stat_outputs(Match& m, Value* mean2d, Value* std_dev, const Dims& reduced) {
  if (Node* r = consumer_at(mean2d, "Reshape", 0)) {
    if (!restores_shape(r, mean2d, reduced, nullptr) || uses(mean2d) != 4) return false;
    m.nodes.push_back(r);
    m.mean = output(*r, 0);
  } else if (uses(mean2d) != 3) {
    return false;
  }
  if (Node* rec = consumer_at(std_dev, "Reciprocal", 0)) {
    Node* r = sole_consumer(output(*rec, 0));
    if (uses(std_dev) != 2 || !restores_shape(r, output(*rec, 0), reduced, nullptr)) return false;
    m.nodes.insert(m.nodes.end(), {rec, r});
    m.inv_std = output(*r, 0);
  } else if (uses(std_dev) != 1) {
    return false;
  }
  return true;
}

std::optional<Match> match_at(Graph& g, Node& flatten) {
  if (!is_op(&flatten, "Flatten")) return std::nullopt;
  Match m;
  m.x = input(flatten, 0);
  auto dims = static_shape(m.x);
  if (!m.x || m.x->dtype != DType::f32 || !m.x->shape) return std::nullopt;
  const auto rank = int64_t(m.x->shape->size());
  m.axis = flatten.attr_int("axis", 1);
  if (m.axis < -rank || m.axis > rank) return std::nullopt;
  if (m.axis < 0) m.axis += rank;
  if (m.axis == rank) return std::nullopt;  // Flatten to [N, 1]: LayerNorm needs axis < rank
  Dims norm_dims, reduced;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t d = (*m.x->shape)[std::size_t(i)].value;
    if (i >= m.axis && d < 0) return std::nullopt;  // the normalized dims must be static
    if (i >= m.axis) norm_dims.push_back(d);
    reduced.push_back(i < m.axis ? d : 1);
  }
  m.nodes.push_back(&flatten);
  Value* x2d = output(flatten, 0);
  if (x2d->is_graph_output) return std::nullopt;
  Value* xu = skip_float_cast(x2d, m.nodes);
  // XU feeds ReduceMean, Mul(XU, XU) and Sub(XU, Mean2D): four uses.
  if (xu->is_graph_output || uses(xu) != 4) return std::nullopt;
  Node* mean = consumer_at(xu, "ReduceMean", 0);
  Node* square = consumer_at(xu, "Mul", 0);
  Node* dev = consumer_at(xu, "Sub", 0);
  if (!is_row_mean(mean) || !square || input(*square, 1) != xu || !dev) return std::nullopt;
  Value* mean2d = output(*mean, 0);
  if (mean2d->is_graph_output || input(*dev, 1) != mean2d) return std::nullopt;
  Node* mean_sq = sole_consumer(output(*square, 0));
  if (!is_row_mean(mean_sq)) return std::nullopt;
  Node* sq_mean = consumer_at(mean2d, "Mul", 0);
  if (!sq_mean || input(*sq_mean, 1) != mean2d) return std::nullopt;
  Node* var = sole_consumer(output(*mean_sq, 0));
  if (!is_op(var, "Sub") || input(*var, 0) != output(*mean_sq, 0) ||
      input(*var, 1) != output(*sq_mean, 0) || sole_consumer(output(*sq_mean, 0)) != var)
    return std::nullopt;
  Node* add = sole_consumer(output(*var, 0));
  if (!is_op(add, "Add")) return std::nullopt;
  auto eps = scalar_constant(other_input(*add, output(*var, 0)));
  if (!eps || !(*eps >= 0.0) || !std::isfinite(*eps)) return std::nullopt;
  m.eps = *eps;
  Node* sqrt = sole_consumer(output(*add, 0));
  if (!is_op(sqrt, "Sqrt")) return std::nullopt;
  Value* std_dev = output(*sqrt, 0);
  if (std_dev->is_graph_output) return std::nullopt;
  Node* div = sole_consumer(output(*dev, 0));
  if (!is_op(div, "Div") || input(*div, 0) != output(*dev, 0) || input(*div, 1) != std_dev)
    return std::nullopt;
  m.nodes.insert(m.nodes.end(), {mean, square, dev, mean_sq, sq_mean, var, add, sqrt, div});
  if (!match_stat_outputs(m, mean2d, std_dev, reduced)) return std::nullopt;

  Value* normalized = skip_float_cast(output(*div, 0), m.nodes);
  Node* scale_mul = sole_consumer(normalized);
  if (!is_op(scale_mul, "Mul") || !other_input(*scale_mul, normalized)) return std::nullopt;
  m.nodes.push_back(scale_mul);
  m.scale = norm_param(g, other_input(*scale_mul, normalized), norm_dims, m.nodes,
                       m.x->name + "_norm_scale");
  if (!m.scale) return std::nullopt;
  Value* out = output(*scale_mul, 0);
  Node* last = sole_consumer(out);
  if (is_op(last, "Add") && other_input(*last, out)) {
    m.nodes.push_back(last);
    m.bias = norm_param(g, other_input(*last, out), norm_dims, m.nodes, m.x->name + "_norm_bias");
    if (!m.bias) return std::nullopt;
    out = output(*last, 0);
    last = sole_consumer(out);
  }
  if (!restores_shape(last, out, dims ? *dims : Dims{}, m.x)) return std::nullopt;
  m.nodes.push_back(last);
  m.y = output(*last, 0);
  return m;
}

bool fuse_at(Graph& g, Node& flatten, PassReport& report) {
  auto m = match_at(g, flatten);
  if (!m) return false;  // constants norm_param made for a failed match are dropped as dead
  const std::string who = flatten.describe();
  const bool standard = default_opset(g) >= 17;
  std::vector<Value*> inputs = {m->x, m->scale};
  if (m->bias) inputs.push_back(m->bias);
  std::vector<Value*> outputs = {m->y, m->mean, m->inv_std};
  while (!outputs.back()) outputs.pop_back();
  remove_nodes(g, m->nodes);
  Node* n = add_node(g, NodeSpec{"LayerNormalization", standard ? "" : kNormrtDomain, "", inputs,
                                 outputs, {{"axis", m->axis}, {"epsilon", float(m->eps)}}});
  report.add("layer-norm-fusion", "expanded LayerNormalization function (" +
                                      std::to_string(m->nodes.size()) + " nodes from " + who +
                                      ") -> " + n->describe() + " over axis " +
                                      std::to_string(m->axis));
  return true;
}

}  // namespace

void fuse_expanded_layer_norms(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_at(g, n, report); });
}

}  // namespace normrt::rt::passes
