// LayerNorm and RMSNorm written out as elementwise ops by exporters:
//   LayerNorm: m = ReduceMean(x); d = x - m; v = ReduceMean(d^2)
//              y = d / Sqrt(v + eps) * gamma + beta
//   RMSNorm:   v = ReduceMean(x^2); y = x / Sqrt(v + eps) * gamma
// with d^2 as Pow(d, 2) or Mul(d, d), and the division also written as
// Mul(d, Reciprocal(Sqrt(..))), Mul(d, Div(1, Sqrt(..))) or Mul(d, Pow(.., -0.5)).
// Every intermediate must have exactly the uses the pattern gives it and not
// be a graph output; axes must be the trailing dims; eps, gamma, beta constant.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

bool is_input_pair(const Node& n, const Value* a, const Value* b) {
  return n.inputs.size() == 2 && ((n.inputs[0] == a && n.inputs[1] == b) ||
                                  (n.inputs[0] == b && n.inputs[1] == a));
}

bool scalar_equals(const Value* v, double want) {
  auto s = scalar_constant(v);
  return s && *s == want;
}

// Pow(t, 2) or Mul(t, t): how many uses of `t` it makes, 0 when neither.
int square_uses(const Node& n, const Value* t) {
  if (is_op(&n, "Pow") && input(n, 0) == t && scalar_equals(input(n, 1), 2.0)) return 1;
  if (is_op(&n, "Mul") && input(n, 0) == t && input(n, 1) == t) return 2;
  return 0;
}

bool keeps_dims(const Node& reduce) { return reduce.attr_int("keepdims", 1) == 1; }

// The matched statistics-and-normalize chain, square node to normalize node.
struct RowChain {
  std::vector<Node*> nodes;
  std::vector<int64_t> axes;
  double eps = 0.0;
  Node* normalize = nullptr;  // its output is t / sqrt(mean(t^2) + eps)
};

// From the square of `t`: ReduceMean -> Add(eps) -> {Sqrt -> Div(t, .) |
// Sqrt -> Reciprocal -> Mul(t, .) | Sqrt -> Div(1, .) -> Mul(t, .) | Pow(-0.5) -> Mul(t, .)}.
std::optional<RowChain> match_row_chain(Node& square, Value* t, std::size_t rank) {
  RowChain c;
  c.nodes.push_back(&square);
  Node* mean = sole_consumer(output(square, 0));
  if (!is_op(mean, "ReduceMean") || !keeps_dims(*mean)) return std::nullopt;
  auto axes = reduce_axes(*mean, rank);
  if (!axes || !are_trailing_axes(*axes, rank)) return std::nullopt;
  c.axes = *axes;
  c.nodes.push_back(mean);
  Node* add = sole_consumer(output(*mean, 0));
  if (!is_op(add, "Add")) return std::nullopt;
  auto eps = scalar_constant(other_input(*add, output(*mean, 0)));
  if (!eps || !(*eps >= 0.0) || !std::isfinite(*eps)) return std::nullopt;
  c.eps = *eps;
  c.nodes.push_back(add);
  Node* root = sole_consumer(output(*add, 0));
  Value* inv = nullptr;  // 1 / sqrt(v + eps), when the chain multiplies
  if (is_op(root, "Pow") && input(*root, 0) == output(*add, 0) && scalar_equals(input(*root, 1), -0.5)) {
    c.nodes.push_back(root);
    inv = output(*root, 0);
  } else if (is_op(root, "Sqrt")) {
    c.nodes.push_back(root);
    Value* s = output(*root, 0);
    Node* next = sole_consumer(s);
    if (is_op(next, "Div") && input(*next, 0) == t && input(*next, 1) == s) {
      c.nodes.push_back(next);
      c.normalize = next;
      return c;
    }
    const bool reciprocal = is_op(next, "Reciprocal") ||
                            (is_op(next, "Div") && input(*next, 1) == s && scalar_equals(input(*next, 0), 1.0));
    if (!reciprocal) return std::nullopt;
    c.nodes.push_back(next);
    inv = output(*next, 0);
  } else {
    return std::nullopt;
  }
  Node* mul = sole_consumer(inv);
  if (!is_op(mul, "Mul") || !is_input_pair(*mul, t, inv)) return std::nullopt;
  c.nodes.push_back(mul);
  c.normalize = mul;
  return c;
}

// The optional Mul(gamma) and, for LayerNorm, Add(beta) after the normalize node.
struct AffineTail {
  std::vector<Node*> nodes;
  Value* out = nullptr;
  const Value* gamma = nullptr;
  const Value* beta = nullptr;
};

AffineTail match_affine_tail(Value* normalized, bool with_beta) {
  AffineTail t;
  t.out = normalized;
  Node* mul = sole_consumer(normalized);
  if (is_op(mul, "Mul") && other_input(*mul, normalized) &&
      float_constant(other_input(*mul, normalized))) {
    t.gamma = other_input(*mul, normalized);
    t.nodes.push_back(mul);
    t.out = output(*mul, 0);
  }
  Node* add = with_beta ? sole_consumer(t.out) : nullptr;
  if (is_op(add, "Add") && other_input(*add, t.out) && float_constant(other_input(*add, t.out))) {
    t.beta = other_input(*add, t.out);
    t.nodes.push_back(add);
    t.out = output(*add, 0);
  }
  return t;
}

// A parameter of the normalized shape: the constant broadcast to it, or `fill`.
std::optional<Tensor> norm_param(const Value* v, const Dims& dims, double fill) {
  if (!v) {
    Tensor t(DType::f32, dims);
    for (int64_t i = 0; i < t.size(); ++i) t.as<float>()[i] = float(fill);
    return t;
  }
  return broadcast_constant(v, dims);
}

bool is_float_or_unknown(const Value* v) {
  return v && (v->dtype == DType::f32 || v->dtype == DType::undefined);
}

// Replaces `chain` + `tail` by one norm op reading `x` and writing tail.out.
bool emit_row_norm(Graph& g, const char* op, int since, Value* x, const RowChain& chain,
                   const AffineTail& tail, const char* pass, PassReport& report) {
  // Only the normalized dims must be static: the batch may be symbolic.
  auto rank = known_rank(x);
  if (!rank || !x->shape) return false;
  const std::size_t axis = *rank - chain.axes.size();
  Dims norm_dims;
  for (std::size_t i = axis; i < *rank; ++i) {
    if ((*x->shape)[i].value < 0) return false;
    norm_dims.push_back((*x->shape)[i].value);
  }
  auto gamma = norm_param(tail.gamma, norm_dims, 1.0);
  std::optional<Tensor> beta;
  if (tail.beta) beta = norm_param(tail.beta, norm_dims, 0.0);
  if (!gamma || (tail.beta && !beta)) return false;

  std::vector<Node*> matched = chain.nodes;
  matched.insert(matched.end(), tail.nodes.begin(), tail.nodes.end());
  const std::string who = chain.normalize->describe();
  std::vector<Value*> inputs = {x, add_constant(g, x->name + "_norm_scale", std::move(*gamma))};
  if (beta) inputs.push_back(add_constant(g, x->name + "_norm_bias", std::move(*beta)));
  const bool standard = default_opset(g) >= since;
  remove_nodes(g, matched);
  Node* n = add_node(g, NodeSpec{op, standard ? "" : kNormrtDomain, "", inputs, {tail.out},
                                 {{"axis", int64_t(axis)}, {"epsilon", float(chain.eps)}}});
  report.add(pass, std::to_string(matched.size()) + " nodes ending at " + who + " -> " +
                       n->describe() + " over axis " + std::to_string(axis));
  return true;
}

// Anchored at the first ReduceMean (the mean of x).
bool fuse_layer_norm_at(Graph& g, Node& mean, PassReport& report) {
  if (!is_op(&mean, "ReduceMean") || !keeps_dims(mean)) return false;
  Value* x = input(mean, 0);
  auto rank = known_rank(x);
  if (!rank || !is_float_or_unknown(x)) return false;
  auto axes = reduce_axes(mean, *rank);
  if (!axes || !are_trailing_axes(*axes, *rank)) return false;
  Value* m = output(mean, 0);
  Node* sub = sole_consumer(m);
  if (!is_op(sub, "Sub") || input(*sub, 0) != x || input(*sub, 1) != m) return false;
  Value* d = output(*sub, 0);
  if (d->is_graph_output) return false;
  // d feeds the square (1 or 2 uses) and the normalize node (1 use), nothing else.
  for (Node* square : d->consumers) {
    const int uses = square_uses(*square, d);
    if (uses == 0 || int(d->consumers.size()) != uses + 1) continue;
    auto chain = match_row_chain(*square, d, *rank);
    if (!chain || chain->axes != *axes) continue;
    chain->nodes.insert(chain->nodes.begin(), {&mean, sub});
    AffineTail tail = match_affine_tail(output(*chain->normalize, 0), true);
    return emit_row_norm(g, "LayerNormalization", 17, x, *chain, tail, "layer-norm-fusion", report);
  }
  return false;
}

// Anchored at the square of x.
bool fuse_rms_norm_at(Graph& g, Node& square, PassReport& report) {
  Value* x = input(square, 0);
  if (square_uses(square, x) == 0 || !is_float_or_unknown(x)) return false;
  auto rank = known_rank(x);
  if (!rank) return false;
  auto chain = match_row_chain(square, x, *rank);
  if (!chain) return false;
  AffineTail tail = match_affine_tail(output(*chain->normalize, 0), false);
  return emit_row_norm(g, "RMSNormalization", 23, x, *chain, tail, "rms-norm-fusion", report);
}

}  // namespace

void fuse_layer_norms(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_layer_norm_at(g, n, report); });
  fuse_expanded_layer_norms(g, report);
}

void fuse_rms_norms(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_rms_norm_at(g, n, report); });
}

}  // namespace normrt::rt::passes
