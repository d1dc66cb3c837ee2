// Epilogues folded into the op before them (execution only):
//  - residual Add + LayerNorm / RMSNorm over the last dim -> com.microsoft
//    SkipLayerNormalization / SkipSimplifiedLayerNormalization, whose 4th
//    output is the sum when something else still reads it;
//  - Relu or SiLU (x * Sigmoid(x)) after a norm -> the normrt-domain copy of
//    the norm with an `activation` attribute;
//  - [residual Add +] Relu / Clip / SiLU / Sigmoid after a Conv -> normrt.Conv
//    with the epilogue attributes of kernels/onednn_epilogue.hpp.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

// ---- residual Add + norm -> Skip*Normalization ------------------------------

bool is_layer_norm(const Node& n) {
  return is_op(&n, "LayerNormalization") || is_op(&n, "LayerNormalization", kNormrtDomain);
}

bool is_rms_norm(const Node& n) {
  return is_op(&n, "RMSNormalization") || is_op(&n, "RMSNormalization", kNormrtDomain) ||
         is_op(&n, "SimplifiedLayerNormalization");
}

bool fuse_skip_norm_at(Graph& g, Node& norm, PassReport& report) {
  const bool layer = is_layer_norm(norm);
  if ((!layer && !is_rms_norm(norm)) || norm.has("activation") || !only_first_output_used(norm))
    return false;
  Value* sum = input(norm, 0);
  Node* add = sum ? sum->producer : nullptr;
  if (!is_op(add, "Add") || add->inputs.size() != 2) return false;
  Value* a = input(*add, 0);
  Value* b = input(*add, 1);
  // A residual: two computed tensors of the same shape, rank 2 or 3, normalized over the last dim.
  if (!a || !b || a->constant || b->constant || !same_declared_shape(a, b) ||
      !same_declared_shape(a, sum))
    return false;
  const auto rank = int64_t(sum->shape->size());
  if (rank < 2 || rank > 3) return false;
  const int64_t axis = norm.attr_int("axis", -1);
  if (axis != -1 && axis != rank - 1) return false;
  const Value* gamma = input(norm, 1);
  const int64_t hidden = sum->shape->back().value;
  if (!gamma || hidden <= 0 || !static_shape(gamma) || *static_shape(gamma) != Dims{hidden})
    return false;
  const Value* beta = input(norm, 2);
  if (beta && (!static_shape(beta) || *static_shape(beta) != Dims{hidden})) return false;

  const std::string who = norm.describe() + " and " + add->describe();
  const float eps = norm.attr_float("epsilon", 1e-5f);  // Skip* default differs: always write it
  std::vector<Value*> inputs = {a, b, norm.inputs[1]};
  if (layer && beta) inputs.push_back(norm.inputs[2]);
  Value* y = output(norm, 0);
  remove_nodes(g, {&norm, add});
  // The sum stays an output when anything else (or the graph) still reads it.
  Value* sum_out = sum->consumers.empty() && !sum->is_graph_output ? nullptr : sum;
  Node* n = add_node(g, NodeSpec{layer ? "SkipLayerNormalization" : "SkipSimplifiedLayerNormalization",
                                 kMicrosoftDomain, "", inputs, {y, nullptr, nullptr, sum_out},
                                 {{"epsilon", eps}}});
  report.add("skip-norm-fusion", who + " -> " + n->describe() +
                                     (sum_out ? " (sum kept as output 3)" : ""));
  return true;
}

// ---- activation epilogues ---------------------------------------------------

struct Epilogue {
  std::vector<Node*> nodes;
  Value* out = nullptr;
  std::map<std::string, Attribute> attrs;
  std::string what;
};

// SiLU: y feeds exactly Sigmoid(y) and Mul(y, Sigmoid(y)).
std::optional<Epilogue> match_silu(Value* y) {
  if (y->is_graph_output || y->consumers.size() != 2) return std::nullopt;
  Node* sig = nullptr;
  Node* mul = nullptr;
  for (Node* c : y->consumers) {
    if (is_op(c, "Sigmoid")) sig = c;
    else if (is_op(c, "Mul")) mul = c;
  }
  if (!sig || !mul || sole_consumer(output(*sig, 0)) != mul ||
      other_input(*mul, y) != output(*sig, 0))
    return std::nullopt;
  return Epilogue{{sig, mul}, output(*mul, 0), {{"activation", std::string("silu")}}, "SiLU"};
}

// Clip bounds from attributes (opset < 11) or constant inputs; nullopt if dynamic.
std::optional<std::pair<float, float>> clip_bounds(const Node& clip) {
  float lo = clip.attr_float("min", -3.402823466e38f);
  float hi = clip.attr_float("max", 3.402823466e38f);
  for (std::size_t i : {1, 2}) {
    Value* v = input(clip, i);
    if (!v) continue;
    auto s = scalar_constant(v);
    if (!s) return std::nullopt;
    (i == 1 ? lo : hi) = float(*s);
  }
  return std::make_pair(lo, hi);
}

std::optional<Epilogue> match_activation(Value* y, bool conv) {
  if (auto silu = match_silu(y)) return silu;
  Node* act = sole_consumer(y);
  if (!act || input(*act, 0) != y) return std::nullopt;
  if (is_op(act, "Relu")) return Epilogue{{act}, output(*act, 0), {{"activation", std::string("relu")}}, "Relu"};
  if (!conv) return std::nullopt;
  if (is_op(act, "Sigmoid"))
    return Epilogue{{act}, output(*act, 0), {{"activation", std::string("sigmoid")}}, "Sigmoid"};
  if (is_op(act, "Clip")) {
    auto b = clip_bounds(*act);
    if (!b || !(b->first <= b->second)) return std::nullopt;
    return Epilogue{{act},
                    output(*act, 0),
                    {{"activation", std::string("clip")},
                     {"activation_min", b->first},
                     {"activation_max", b->second}},
                    "Clip"};
  }
  return std::nullopt;
}

const std::set<std::string>& norm_ops_with_activation() {
  static const std::set<std::string> ops = {"LayerNormalization", "RMSNormalization",
                                            "GroupNormalization", "InstanceNormalization"};
  return ops;
}

// GroupNormalization before opset 21 has per-group scale/bias; the normrt copy
// takes per-channel ones, so repeat each group's value over its channels.
bool make_group_params_per_channel(Graph& g, Node& gn) {
  if (!is_op(&gn, "GroupNormalization") || gn.opset >= 21) return true;
  const Value* x = input(gn, 0);
  const int64_t groups = gn.attr_int("num_groups", 0);
  if (!x || !x->shape || x->shape->size() < 2 || groups < 1) return false;
  const int64_t channels = (*x->shape)[1].value;
  if (channels <= 0 || channels % groups != 0) return false;
  std::vector<Tensor> expanded;
  for (std::size_t i : {1, 2}) {
    auto v = constant_values(input(gn, i));
    if (!v || int64_t(v->size()) != groups) return false;
    std::vector<double> per_channel(static_cast<std::size_t>(channels));
    for (int64_t c = 0; c < channels; ++c)
      per_channel[std::size_t(c)] = (*v)[std::size_t(c / (channels / groups))];
    expanded.push_back(float_tensor({channels}, per_channel));
  }
  for (std::size_t i : {1, 2})
    set_constant_input(g, gn, i, std::move(expanded[i - 1]), input(gn, i)->name + "_per_channel");
  return true;
}

// Residual Add after a conv: Add(y, z) with z computed and of the same shape.
std::optional<Epilogue> match_residual(Value* y) {
  Node* add = sole_consumer(y);
  if (!is_op(add, "Add")) return std::nullopt;
  Value* z = other_input(*add, y);
  Value* sum = output(*add, 0);
  if (!z || z == y || z->constant || !same_declared_shape(y, z) || !same_declared_shape(y, sum))
    return std::nullopt;
  return Epilogue{{add}, sum, {}, "residual Add"};
}

bool fuse_activation_at(Graph& g, Node& n, PassReport& report) {
  const bool conv = is_op(&n, "Conv") || is_op(&n, "Conv", kNormrtDomain);
  const bool affine = is_op(&n, "ChannelAffine", kNormrtDomain);
  const bool norm = norm_ops_with_activation().count(n.op_type) != 0 &&
                    (n.domain.empty() || n.domain == kNormrtDomain);
  if (!conv && !affine && !norm) return false;
  if ((n.has("activation") && n.attr_string("activation", "none") != "none") ||
      !only_first_output_used(n) || !output(n, 0))
    return false;
  if (conv && input(n, 3)) return false;  // already has a residual
  std::vector<Epilogue> parts;
  Value* y = output(n, 0);
  if (conv)
    if (auto residual = match_residual(y)) {
      parts.push_back(*residual);
      y = residual->out;
    }
  if (auto act = match_activation(y, conv)) {
    if (!affine || act->what == "Relu") parts.push_back(*act);
  }
  if (parts.empty()) return false;
  if (norm && !make_group_params_per_channel(g, n)) return false;

  NodeSpec spec{n.op_type, kNormrtDomain, n.name, n.inputs, n.outputs, n.attrs};
  std::string what;
  for (const Epilogue& e : parts) {
    what += (what.empty() ? "" : " + ") + e.what;
    spec.attrs.insert(e.attrs.begin(), e.attrs.end());
    for (Node* m : e.nodes) {
      if (is_op(m, "Add")) {  // the residual becomes conv input 3
        spec.inputs.resize(4, nullptr);
        spec.inputs[3] = other_input(*m, output(n, 0));
      }
    }
  }
  spec.outputs[0] = parts.back().out;
  if (spec.attrs.count("activation") == 0 && affine) spec.attrs["activation"] = std::string("none");
  const std::string who = n.describe();
  std::vector<Node*> matched = {&n};
  for (const Epilogue& e : parts) matched.insert(matched.end(), e.nodes.begin(), e.nodes.end());
  remove_nodes(g, matched);
  Node* fused = add_node(g, std::move(spec));
  report.add("epilogue-fusion", who + " + " + what + " -> " + fused->describe());
  return true;
}

}  // namespace

void fuse_skip_norms(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_skip_norm_at(g, n, report); });
}

void fuse_activations(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_activation_at(g, n, report); });
}

}  // namespace normrt::rt::passes
