// BatchNormalization folding (DESIGN.md section 5). An inference BN is a
// per-channel y = x * scale + shift (ops::fold_batch_norm, in double); when
// the layer before it is linear in its output channels, scale goes into that
// layer's weight and shift into its bias (ops::fold_into_weights, rounded
// once). Every guard answers with the reason the BN stays, never an assert.
#include <string>

#include "normrt/error.hpp"
#include "normrt/ops/batch_norm.hpp"
#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

constexpr const char* kFolded = "bn-fold";
constexpr const char* kLeft = "bn-left";

std::string count_mismatch(const char* what, int64_t got, std::size_t channels) {
  return std::string(what) + " has " + std::to_string(got) + " channels but the BN has " +
         std::to_string(channels);
}

// The BN as a constant per-channel affine map; returns why not, or "".
std::string read_batch_norm(const Node& bn, ops::ChannelAffine& affine) {
  if (bn.attr_int("training_mode", 0) != 0) return "training_mode=1 uses batch statistics";
  if (bn.attr_int("spatial", 1) == 0) return "spatial=0 (per-element statistics)";
  if (!only_first_output_used(bn)) return "its running-statistics outputs are used";
  const Value* x = input(bn, 0);
  if (!x) return "it has no input X";
  if (x->dtype != DType::f32 && x->dtype != DType::undefined)
    return std::string("X is ") + dtype_name(x->dtype) + ", not float32";
  const char* names[4] = {"scale", "B", "mean", "var"};
  const Tensor* params[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    params[i] = float_constant(input(bn, i + 1));
    if (!params[i]) return std::string(names[i]) + " is not a float32 constant";
  }
  const int64_t channels = params[0]->size();
  for (const Tensor* p : params)
    if (p->dims().size() != 1 || p->size() != channels)
      return "the parameter shapes do not match (scale has " + std::to_string(channels) +
             " elements)";
  if (auto dims = x->shape) {
    const std::size_t axis = dims->size() >= 2 ? 1 : 0;
    if (dims->empty()) return "X is a scalar";
    const int64_t c = dims->size() >= 2 ? (*dims)[axis].value : 1;
    if (c >= 0 && c != channels) return count_mismatch("X", c, std::size_t(channels));
  }
  ops::BatchNormParams p;
  p.channels = channels;
  p.gamma = params[0]->as<float>();
  p.beta = params[1]->as<float>();
  p.mean = params[2]->as<float>();
  p.var = params[3]->as<float>();
  p.eps = bn.attr_float("epsilon", 1e-5f);
  try {
    affine = ops::fold_batch_norm(p);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Result of trying one producer: folded (with whether a weight was cloned) or why not.
struct FoldResult {
  std::string why_not;
  bool cloned = false;
};

FoldResult fold_conv(Graph& g, Node& conv, ops::WeightLayout layout,
                     const ops::ChannelAffine& bn) {
  if (conv.has("activation")) return {conv.describe() + " already has a fused activation"};
  const Tensor* w = float_constant(input(conv, 1));
  if (!w) return {"the weight of " + conv.describe() + " is not a float32 constant"};
  const auto rank = w->dims().size();
  if (rank < 3 || rank > 5) return {"the weight of " + conv.describe() + " is not 1D/2D/3D"};
  const int64_t groups = conv.attr_int("group", 1);
  if (groups < 1 || w->dims()[0] % groups != 0)
    return {conv.describe() + " has an invalid group count"};
  const int64_t out_channels =
      layout == ops::WeightLayout::conv ? w->dims()[0] : w->dims()[1] * groups;
  if (out_channels != int64_t(bn.scale.size()))
    return {count_mismatch(conv.describe().c_str(), out_channels, bn.scale.size())};
  Value* bias = input(conv, 2);
  if (bias && !float_constant(bias))
    return {"the bias of " + conv.describe() + " is not a float32 constant"};
  if (bias && (bias->constant->dims().size() != 1 || bias->constant->size() != out_channels))
    return {"the bias of " + conv.describe() + " does not have one value per channel"};

  Tensor w2 = clone_tensor(*w);
  Tensor b2 = bias ? clone_tensor(*bias->constant) : Tensor(DType::f32, {out_channels});
  ops::WeightFoldArgs args;
  args.weight = w2.as<float>();
  args.dims = w2.dims().data();
  args.rank = int(rank);
  args.layout = layout;
  args.groups = groups;
  args.bias = b2.as<float>();
  try {
    ops::fold_into_weights(args, bn);
  } catch (const Error& e) {
    return {e.what()};
  }
  FoldResult r;
  r.cloned = set_constant_input(g, conv, 1, std::move(w2), input(conv, 1)->name + "_bnfold");
  set_constant_input(g, conv, 2, std::move(b2), (bias ? bias->name : conv.name + "_bias") + "_bnfold");
  return r;
}

// Scales a [K, N] or [N, K] matrix constant along N; returns the scaled copy.
std::optional<Tensor> scaled_matrix(const Value* m, ops::WeightLayout layout,
                                    const ops::ChannelAffine& bn, std::string& why) {
  const Tensor* w = float_constant(m);
  if (!w || w->dims().size() != 2) {
    why = "the weight is not a 2-D float32 constant";
    return std::nullopt;
  }
  const int64_t n = layout == ops::WeightLayout::matmul_kn ? w->dims()[1] : w->dims()[0];
  if (n != int64_t(bn.scale.size())) {
    why = count_mismatch("the weight", n, bn.scale.size());
    return std::nullopt;
  }
  Tensor w2 = clone_tensor(*w);
  std::vector<float> unused_bias(bn.scale.size(), 0.0f);  // biases are folded by the caller
  ops::WeightFoldArgs args;
  args.weight = w2.as<float>();
  args.dims = w2.dims().data();
  args.rank = 2;
  args.layout = layout;
  args.bias = unused_bias.data();
  ops::fold_into_weights(args, bn);
  return w2;
}

// Gemm: Y = alpha * A' B' + beta * C. B' is scaled along N; the new
// C = beta * C * scale + shift keeps C's broadcast rows, beta becomes 1.
FoldResult fold_gemm(Graph& g, Node& gemm, const ops::ChannelAffine& bn) {
  const auto layout =
      gemm.attr_int("transB", 0) != 0 ? ops::WeightLayout::matmul_nk : ops::WeightLayout::matmul_kn;
  std::string why;
  auto w2 = scaled_matrix(input(gemm, 1), layout, bn, why);
  if (!w2) return {why + " (" + gemm.describe() + ")"};
  const auto n = int64_t(bn.scale.size());
  const double beta = gemm.attr_float("beta", 1.0f);
  Value* c = input(gemm, 2);
  int64_t rows = 1;
  std::vector<double> c_values(std::size_t(n), 0.0);
  int64_t c_cols = n;
  if (c) {
    auto values = constant_values(c);
    const Tensor* ct = float_constant(c);
    if (!ct || !values) return {"C of " + gemm.describe() + " is not a float32 constant"};
    const Dims& d = ct->dims();
    if (d.size() > 2) return {"C of " + gemm.describe() + " has rank > 2"};
    c_cols = d.empty() ? 1 : d.back();
    rows = d.size() == 2 ? d[0] : 1;
    if (c_cols != 1 && c_cols != n) return {"C of " + gemm.describe() + " does not broadcast to N"};
    c_values = *values;
  }
  std::vector<double> folded(std::size_t(rows * n));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      const double cv = c ? c_values[std::size_t(r * c_cols + (c_cols == 1 ? 0 : j))] : 0.0;
      const auto k = std::size_t(j);
      folded[std::size_t(r * n + j)] = beta * cv * bn.scale[k] + bn.shift[k];
    }
  const Dims c_dims = rows == 1 && (!c || c->constant->dims().size() < 2) ? Dims{n} : Dims{rows, n};
  FoldResult r;
  r.cloned = set_constant_input(g, gemm, 1, std::move(*w2), input(gemm, 1)->name + "_bnfold");
  set_constant_input(g, gemm, 2, float_tensor(c_dims, folded),
                     (c ? c->name : gemm.name + "_C") + "_bnfold");
  gemm.attrs["beta"] = 1.0f;
  return r;
}

// The shift as a [N] constant for a bias Add after a MatMul.
Tensor shift_tensor(const ops::ChannelAffine& bn, const std::vector<double>& bias) {
  std::vector<double> v(bn.shift.size());
  for (std::size_t j = 0; j < v.size(); ++j)
    v[j] = (bias.empty() ? 0.0 : bias[bias.size() == 1 ? 0 : j]) * bn.scale[j] + bn.shift[j];
  return float_tensor({int64_t(v.size())}, v);
}

// BN normalizes axis 1; a MatMul writes its channels on the last axis: only
// 2-D outputs line up.
std::string matmul_rank_problem(const Value* out) {
  auto rank = known_rank(out);
  if (!rank) return "the rank of the MatMul output is unknown";
  if (*rank != 2) return "the MatMul output has rank " + std::to_string(*rank) +
                         ": BN's channel axis 1 is not the MatMul's output axis";
  return {};
}

// MatMul with a constant [K, N] weight directly before the BN: scale the
// weight, and the BN itself becomes the bias Add (done by the caller).
FoldResult fold_matmul(Graph& g, Node& mm, const ops::ChannelAffine& bn) {
  std::string why = matmul_rank_problem(output(mm, 0));
  if (!why.empty()) return {why};
  auto w2 = scaled_matrix(input(mm, 1), ops::WeightLayout::matmul_kn, bn, why);
  if (!w2) return {why + " (" + mm.describe() + ")"};
  FoldResult r;
  r.cloned = set_constant_input(g, mm, 1, std::move(*w2), input(mm, 1)->name + "_bnfold");
  return r;
}

// MatMul -> Add(bias constant) -> BN, the Linear layer exporters write.
FoldResult fold_matmul_add(Graph& g, Node& add, const ops::ChannelAffine& bn) {
  std::size_t mm_side = 0;
  Node* mm = nullptr;
  for (std::size_t i = 0; i < 2 && !mm; ++i) {
    Value* v = input(add, i);
    if (v && is_op(v->producer, "MatMul") && sole_consumer(v) == &add) {
      mm = v->producer;
      mm_side = i;
    }
  }
  if (!mm) return {"its input comes from " + add.describe() + ", not a MatMul bias Add"};
  Value* bias = input(add, 1 - mm_side);
  const Tensor* b = float_constant(bias);
  if (!b || b->dims().size() > 2 || (b->size() != 1 && b->size() != int64_t(bn.scale.size())) ||
      (b->dims().size() == 2 && b->dims()[0] != 1))
    return {"the bias of " + add.describe() + " is not a per-channel float32 constant"};
  std::string why = matmul_rank_problem(output(add, 0));
  if (!why.empty()) return {why};
  auto w2 = scaled_matrix(input(*mm, 1), ops::WeightLayout::matmul_kn, bn, why);
  if (!w2) return {why + " (" + mm->describe() + ")"};
  FoldResult r;
  r.cloned = set_constant_input(g, *mm, 1, std::move(*w2), input(*mm, 1)->name + "_bnfold");
  set_constant_input(g, add, 1 - mm_side, shift_tensor(bn, *constant_values(bias)),
                     bias->name + "_bnfold");
  return r;
}

// Why a BN whose input is not a foldable layer output stays.
std::string not_after_layer(const Node& bn, const Value* x) {
  std::string why = x->producer          ? "its input comes from " + x->producer->describe()
                    : x->is_graph_input ? "its input '" + x->name + "' is a graph input"
                                        : "its input '" + x->name + "' is a constant";
  for (const Value* y : bn.outputs)
    if (y)
      for (const Node* c : y->consumers)
        if (is_op(c, "Conv") || is_op(c, "ConvTranspose"))
          return why + "; a BN before a conv is not folded through its zero padding";
  return why;
}

FoldResult fold_into_producer(Graph& g, Node& bn, const ops::ChannelAffine& affine) {
  Value* x = input(bn, 0);
  Node* p = x->producer;
  const bool layer = is_op(p, "Conv") || is_op(p, "ConvTranspose") || is_op(p, "Gemm") ||
                     is_op(p, "MatMul") || is_op(p, "Add");
  if (!layer) return {not_after_layer(bn, x)};
  if (x->is_graph_output) return {"the output of " + p->describe() + " is also a graph output"};
  if (x->consumers.size() != 1)
    return {"the output of " + p->describe() + " also feeds other nodes"};
  if (is_op(p, "Conv")) return fold_conv(g, *p, ops::WeightLayout::conv, affine);
  if (is_op(p, "ConvTranspose")) return fold_conv(g, *p, ops::WeightLayout::conv_transpose, affine);
  if (is_op(p, "Gemm")) return fold_gemm(g, *p, affine);
  if (is_op(p, "MatMul")) return fold_matmul(g, *p, affine);
  return fold_matmul_add(g, *p, affine);
}

// Replaces the BN by `op` (normrt.ChannelAffine or a bias Add) with the same output.
void replace_batch_norm(Graph& g, Node& bn, NodeSpec spec) {
  Value* y = output(bn, 0);
  spec.name = bn.name;
  spec.outputs = {y};
  remove_nodes(g, {&bn});
  add_node(g, std::move(spec));
}

bool rewrite_batch_norm(Graph& g, Node& bn, bool fold, bool to_affine, PassReport& report) {
  if (!is_op(&bn, "BatchNormalization")) return false;
  const std::string who = bn.describe();
  ops::ChannelAffine affine;
  std::string why = read_batch_norm(bn, affine);
  if (why.empty()) {
    Value* x = input(bn, 0);
    Node* producer = x->producer;
    const bool bare_matmul = is_op(producer, "MatMul");
    const std::string producer_name = producer ? producer->describe() : std::string();
    FoldResult r = fold ? fold_into_producer(g, bn, affine) : FoldResult{"BN folding is off"};
    if (r.why_not.empty()) {
      report.add(kFolded, who + " folded into " + producer_name +
                              (r.cloned ? " (shared weight cloned)" : ""));
      if (bare_matmul) {
        Value* shift = add_constant(g, x->name + "_bnfold_bias", shift_tensor(affine, {}));
        replace_batch_norm(g, bn, NodeSpec{"Add", "", "", {x, shift}, {}, {}});
      } else {
        Value* y = output(bn, 0);
        remove_nodes(g, {&bn});
        g.replace_uses(y, x);
      }
      return true;
    }
    why = r.why_not;
    if (to_affine) {
      Value* scale = add_constant(g, x->name + "_bn_scale",
                                  float_tensor({int64_t(affine.scale.size())}, affine.scale));
      Value* shift = add_constant(g, x->name + "_bn_shift",
                                  float_tensor({int64_t(affine.shift.size())}, affine.shift));
      report.add(kLeft, who + " not folded: " + why + "; runs as normrt.ChannelAffine");
      replace_batch_norm(g, bn, NodeSpec{"ChannelAffine", kNormrtDomain, "", {x, scale, shift}, {},
                                         {{"activation", std::string("none")}}});
      return true;
    }
  }
  report.add(kLeft, who + " not folded: " + why);
  return false;
}

}  // namespace

void fold_batch_norms(Graph& g, bool fold, bool to_affine, PassReport& report) {
  for_each_node(g, [&](Node& n) { return rewrite_batch_norm(g, n, fold, to_affine, report); });
}

}  // namespace normrt::rt::passes
