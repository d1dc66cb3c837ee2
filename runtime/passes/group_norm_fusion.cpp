// GroupNorm as PyTorch exports it before opset 18:
//   r = Reshape(x, [N|0, G, -1]); i = InstanceNormalization(r, ones(G), zeros(G))
//   y = Reshape(i, Shape(x) | x's static shape) * gamma + beta
// with gamma/beta per channel ([C,1,..,1] or [1,C,1,..]). Becomes one
// GroupNormalization with per-channel scale/bias (opset-21 semantics).
#include <string>
#include <vector>

#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

bool all_equal(const std::optional<std::vector<double>>& v, double want) {
  if (!v) return false;
  for (double d : *v)
    if (d != want) return false;
  return true;
}

// The first Reshape's target [0 or N, G, -1 or C/G*spatial] for x.
bool splits_into_groups(const Value* shape, const std::vector<Dim>& x, int64_t groups) {
  auto s = constant_values(shape);
  if (!s || s->size() != 3 || (*s)[1] != double(groups)) return false;
  const double n = (*s)[0];
  if (n != 0.0 && !(x[0].value >= 0 && n == double(x[0].value))) return false;
  if ((*s)[2] == -1.0) return true;
  int64_t per_group = x[1].value / groups;
  for (std::size_t i = 2; i < x.size(); ++i) {
    if (x[i].value < 0) return false;
    per_group *= x[i].value;
  }
  return (*s)[2] == double(per_group);
}

// The second Reshape's target restores x's shape.
bool restores_shape(const Value* shape, const Value* x) {
  if (shape->producer && is_op(shape->producer, "Shape") && input(*shape->producer, 0) == x &&
      !shape->producer->has("start") && !shape->producer->has("end"))
    return true;
  auto s = constant_values(shape);
  auto dims = static_shape(x);
  if (!s || !dims || s->size() != dims->size()) return false;
  for (std::size_t i = 0; i < dims->size(); ++i)
    if ((*s)[i] != double((*dims)[i])) return false;
  return true;
}

// A per-channel constant of an NC... tensor of `rank` as a [C] vector.
std::optional<Tensor> per_channel(const Value* v, std::size_t rank, int64_t channels) {
  const Tensor* t = float_constant(v);
  if (!t || t->dims().size() > rank) return std::nullopt;
  // Right-aligned against [N, C, spatial...], every dim but C must be 1.
  const Dims& d = t->dims();
  const std::size_t lead = rank - d.size();
  for (std::size_t i = 0; i < d.size(); ++i)
    if (lead + i != 1 && d[i] != 1) return std::nullopt;
  Dims as_channel(rank, 1);
  as_channel[1] = channels;
  auto full = broadcast_constant(v, as_channel);  // C values, or a scalar repeated
  if (!full) return std::nullopt;
  Tensor out(DType::f32, {channels});
  for (int64_t c = 0; c < channels; ++c) out.as<float>()[c] = full->as<float>()[c];
  return out;
}

bool reshape_plain(const Node& n) { return n.attr_int("allowzero", 0) == 0; }

bool fuse_group_norm_at(Graph& g, Node& inst, PassReport& report) {
  if (!is_op(&inst, "InstanceNormalization")) return false;
  Value* r = input(inst, 0);
  Node* split = r ? r->producer : nullptr;
  if (!is_op(split, "Reshape") || !reshape_plain(*split) || sole_consumer(r) != &inst) return false;
  Value* x = input(*split, 0);
  if (!x || !x->shape || x->shape->size() < 3 || (*x->shape)[1].value <= 0) return false;
  if (x->dtype != DType::f32 && x->dtype != DType::undefined) return false;
  const std::size_t rank = x->shape->size();
  const int64_t channels = (*x->shape)[1].value;
  auto ones = constant_values(input(inst, 1));
  if (!all_equal(ones, 1.0) || !all_equal(constant_values(input(inst, 2)), 0.0)) return false;
  const auto groups = int64_t(ones->size());
  if (groups < 1 || channels % groups != 0) return false;
  if (!splits_into_groups(input(*split, 1), *x->shape, groups)) return false;
  Node* merge = sole_consumer(output(inst, 0));
  if (!is_op(merge, "Reshape") || !reshape_plain(*merge) || !restores_shape(input(*merge, 1), x))
    return false;

  std::vector<Node*> matched = {split, &inst, merge};
  Value* out = output(*merge, 0);
  std::optional<Tensor> scale, bias;
  Node* mul = sole_consumer(out);
  if (is_op(mul, "Mul") && (scale = per_channel(other_input(*mul, out), rank, channels))) {
    matched.push_back(mul);
    out = output(*mul, 0);
    Node* add = sole_consumer(out);
    if (is_op(add, "Add") && (bias = per_channel(other_input(*add, out), rank, channels))) {
      matched.push_back(add);
      out = output(*add, 0);
    }
  }
  if (!scale) {
    scale = Tensor(DType::f32, {channels});
    for (int64_t c = 0; c < channels; ++c) scale->as<float>()[c] = 1.0f;
  }
  if (!bias) bias = Tensor(DType::f32, {channels});  // zero-filled

  const std::string who = inst.describe();
  const float eps = inst.attr_float("epsilon", 1e-5f);
  Value* scale_v = add_constant(g, x->name + "_gn_scale", std::move(*scale));
  Value* bias_v = add_constant(g, x->name + "_gn_bias", std::move(*bias));
  const bool standard = default_opset(g) >= 21;
  remove_nodes(g, matched);
  Node* n = add_node(g, NodeSpec{"GroupNormalization", standard ? "" : kNormrtDomain, "",
                                 {x, scale_v, bias_v}, {out},
                                 {{"num_groups", groups}, {"epsilon", eps}}});
  report.add("group-norm-fusion", std::to_string(matched.size()) + " nodes around " + who + " -> " +
                                      n->describe() + " with " + std::to_string(groups) + " groups");
  return true;
}

}  // namespace

void fuse_group_norms(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_group_norm_at(g, n, report); });
}

}  // namespace normrt::rt::passes
