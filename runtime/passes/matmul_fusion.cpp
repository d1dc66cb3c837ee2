// MatMul epilogues (execution only): MatMul [+ bias Add] [+ Div/Mul by a
// scalar] [+ Relu / Sigmoid / SiLU / GELU-erf] -> one normrt.MatMul that
// oneDNN runs with a bias and eltwise post-ops (kernels/onednn_matmul.cpp),
// and a Transpose of B's last two dims folded in as transB. This is what a
// PyTorch-exported transformer spends its non-GEMM time on: Linear + bias,
// the exported GELU Div -> Erf -> Add -> Mul -> Mul, the SiLU gate
// Sigmoid -> Mul, and the attention scores' K^T and Div by sqrt(d).
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

// A scalar constant (one element) of rank <= `rank`, so it broadcasts
// without growing the other operand, equal to `want` within rounding to float.
bool is_scalar_near(const Value* v, double want, std::size_t rank) {
  const auto s = scalar_constant(v);
  const auto r = known_rank(v);
  return s && r && *r <= rank && std::fabs(*s - want) <= 1e-6 * std::fabs(want);
}

// A fused piece: the nodes it swallows, the value it leaves, what it sets.
struct Piece {
  std::vector<Node*> nodes;
  Value* out = nullptr;
  std::string what;
};

// The sole consumer of `v` if it is a `op_type` node whose other input is a
// constant; that constant via `c`.
Node* sole_binary_with_constant(Value* v, const char* op_type, Value*& c) {
  Node* n = sole_consumer(v);
  if (!is_op(n, op_type) || n->inputs.size() != 2) return nullptr;
  c = other_input(*n, v);
  if (!c || c == v || !c->constant) return nullptr;
  return n;
}

// The declared rank of `v`, 0 when unknown (then only rank-0 constants are
// sure not to broadcast it to a bigger shape).
std::size_t rank_or_zero(const Value* v) { return known_rank(v).value_or(0); }

// Add(y, bias) with a constant bias of N elements on the last axis ([N], or
// [1, ..., 1, N] of rank <= rank(y)) that leaves y's shape. N is the last
// dim of B (so y's last dim even when y's declared shape is unknown, as after
// an exporter's dynamic Reshape).
std::optional<Piece> match_bias(Value* y, const Value* b, Value*& bias) {
  Value* c = nullptr;
  Node* add = sole_binary_with_constant(y, "Add", c);
  if (!add || !b->shape || b->shape->size() < 2) return std::nullopt;
  const int64_t n = b->shape->back().value;
  const auto cd = static_shape(c);
  if (n <= 0 || !cd || cd->empty() || cd->back() != n || c->dtype != DType::f32) return std::nullopt;
  if (cd->size() > 1 && cd->size() > rank_or_zero(y)) return std::nullopt;
  for (std::size_t i = 0; i + 1 < cd->size(); ++i)
    if ((*cd)[i] != 1) return std::nullopt;
  bias = c;
  return Piece{{add}, output(*add, 0), "bias Add"};
}

// Div(y, c) or Mul(y, c) by a finite non-zero scalar constant -> alpha.
std::optional<Piece> match_scale(Value* y, float& alpha) {
  const std::size_t rank = rank_or_zero(y);
  for (const char* op : {"Div", "Mul"}) {
    Value* c = nullptr;
    Node* n = sole_binary_with_constant(y, op, c);
    if (!n || (op[0] == 'D' && input(*n, 0) != y)) continue;
    const auto s = scalar_constant(c);
    const auto r = known_rank(c);
    if (!s || !r || *r > rank || !std::isfinite(*s) || *s == 0.0) continue;
    const double a = op[0] == 'D' ? 1.0 / *s : *s;
    if (!std::isfinite(float(a))) continue;
    alpha = float(a);
    return Piece{{n}, output(*n, 0), std::string(op) + " by a scalar"};
  }
  return std::nullopt;
}

// The consumer of `v` other than `not_this` among exactly two, or null.
Node* other_consumer(const Value* v, const Node* not_this) {
  if (v->consumers.size() != 2) return nullptr;
  if (v->consumers[0] == not_this) return v->consumers[1];
  return v->consumers[1] == not_this ? v->consumers[0] : nullptr;
}

// SiLU: y feeds exactly Sigmoid(y) and Mul(y, Sigmoid(y)).
std::optional<Piece> match_silu(Value* y) {
  if (y->is_graph_output || y->consumers.size() != 2) return std::nullopt;
  for (Node* sig : y->consumers) {
    if (!is_op(sig, "Sigmoid")) continue;
    Node* mul = other_consumer(y, sig);
    Value* s = output(*sig, 0);
    if (is_op(mul, "Mul") && sole_consumer(s) == mul && other_input(*mul, y) == s)
      return Piece{{sig, mul}, output(*mul, 0), "SiLU"};
  }
  return std::nullopt;
}

// GELU with erf as PyTorch exports it: 0.5 * y * (1 + erf(y / sqrt(2))),
// y / sqrt(2) also as y * (1 / sqrt(2)), and the 0.5 applied to y first or
// to the product last. y feeds exactly the erf branch and one Mul.
std::optional<Piece> match_gelu_erf(Value* y) {
  if (y->is_graph_output || y->consumers.size() != 2) return std::nullopt;
  const std::size_t rank = rank_or_zero(y);
  for (Node* scale : y->consumers) {
    const bool div = is_op(scale, "Div") && input(*scale, 0) == y &&
                     is_scalar_near(input(*scale, 1), std::sqrt(2.0), rank);
    const bool mul = is_op(scale, "Mul") && is_scalar_near(other_input(*scale, y), std::sqrt(0.5), rank);
    if (!div && !mul) continue;
    Node* erf = sole_consumer(output(*scale, 0));
    if (!is_op(erf, "Erf")) continue;
    Value* e = output(*erf, 0);
    Node* plus_one = sole_consumer(e);
    if (!is_op(plus_one, "Add") || !is_scalar_near(other_input(*plus_one, e), 1.0, rank)) continue;
    Value* p = output(*plus_one, 0);  // 1 + erf(y / sqrt 2)
    Node* other = other_consumer(y, scale);
    if (!is_op(other, "Mul")) continue;
    Value* o = output(*other, 0);
    std::vector<Node*> nodes = {scale, erf, plus_one, other};
    if (other_input(*other, y) == p && sole_consumer(p) == other) {
      // y * p, then * 0.5
      Node* half = sole_consumer(o);
      if (!is_op(half, "Mul") || !is_scalar_near(other_input(*half, o), 0.5, rank)) continue;
      nodes.push_back(half);
      return Piece{nodes, output(*half, 0), "GELU(erf)"};
    }
    if (is_scalar_near(other_input(*other, y), 0.5, rank)) {
      // (0.5 * y) * p
      Node* prod = sole_consumer(o);
      if (!is_op(prod, "Mul") || other_input(*prod, o) != p || sole_consumer(p) != prod) continue;
      nodes.push_back(prod);
      return Piece{nodes, output(*prod, 0), "GELU(erf)"};
    }
  }
  return std::nullopt;
}

std::optional<Piece> match_activation(Value* y, std::string& activation) {
  if (auto silu = match_silu(y)) {
    activation = "silu";
    return silu;
  }
  if (auto gelu = match_gelu_erf(y)) {
    activation = "gelu_erf";
    return gelu;
  }
  Node* act = sole_consumer(y);
  if (!act || input(*act, 0) != y) return std::nullopt;
  if (is_op(act, "Relu")) activation = "relu";
  else if (is_op(act, "Sigmoid")) activation = "sigmoid";
  else return std::nullopt;
  return Piece{{act}, output(*act, 0), act->op_type};
}

// B = Transpose(X) swapping only the last two dims: X is B stored [..., N, K].
Value* transposed_source(const Value* b) {
  const Node* t = b->producer;
  if (!is_op(t, "Transpose")) return nullptr;
  const auto r = known_rank(b);
  if (!r || *r < 2) return nullptr;
  // No perm reverses the dims: for rank 2 that is the swap.
  const std::vector<int64_t> reversed = *r == 2 ? std::vector<int64_t>{1, 0} : std::vector<int64_t>{};
  const std::vector<int64_t> perm = t->attr_ints("perm", reversed);
  if (perm.size() != *r) return nullptr;
  for (std::size_t i = 0; i < *r; ++i) {
    const std::size_t want = i + 2 < *r ? i : (i + 2 == *r ? *r - 1 : *r - 2);
    if (perm[i] != int64_t(want)) return nullptr;
  }
  return input(*t, 0);
}

bool fuse_matmul_at(Graph& g, Node& mm, PassReport& report) {
  if (!is_op(&mm, "MatMul") || mm.inputs.size() != 2 || !output(mm, 0)) return false;
  Value* a = input(mm, 0);
  Value* b = input(mm, 1);
  Value* y = output(mm, 0);
  if (!a || !b || y->dtype != DType::f32 || !known_rank(b) || *known_rank(b) < 2) return false;

  std::vector<Piece> pieces;
  std::map<std::string, Attribute> attrs;
  Value* bias = nullptr;
  Value* b_stored = transposed_source(b);
  if (b_stored) attrs["transB"] = int64_t(1);
  Value* out = y;
  if (auto p = match_bias(out, b, bias)) {
    pieces.push_back(*p);
    out = p->out;
  }
  float alpha = 1.0f;
  if (auto p = match_scale(out, alpha)) {
    pieces.push_back(*p);
    out = p->out;
    attrs["alpha"] = alpha;
  }
  std::string activation;
  if (auto p = match_activation(out, activation)) {
    pieces.push_back(*p);
    out = p->out;
    attrs["activation"] = activation;
  }
  if (pieces.empty() && !b_stored) return false;

  std::string what = b_stored ? "Transpose of B" : "";
  std::vector<Node*> matched = {&mm};
  for (const Piece& p : pieces) {
    what += (what.empty() ? "" : " + ") + p.what;
    matched.insert(matched.end(), p.nodes.begin(), p.nodes.end());
  }
  std::vector<Value*> inputs = {a, b_stored ? b_stored : b};
  if (bias) inputs.push_back(bias);
  const std::string who = mm.describe();
  const std::string name = mm.name;
  remove_nodes(g, matched);
  Node* fused = add_node(g, NodeSpec{"MatMul", kNormrtDomain, name, inputs, {out}, attrs});
  // A bias of shape [1, ..., N] is stored as [N], the shape the kernel takes.
  if (bias && bias->constant->dims().size() != 1)
    set_constant_input(g, *fused, 2, float_tensor({bias->constant->dims().back()}, *constant_values(bias)),
                       bias->name + "_flat");
  report.add("matmul-fusion", who + " + " + what + " -> " + fused->describe());
  return true;
}

}  // namespace

void fuse_matmul_epilogues(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_matmul_at(g, n, report); });
}

}  // namespace normrt::rt::passes
