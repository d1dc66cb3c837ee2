// Constant folding: a node whose inputs are all known is evaluated once,
// with the same built-in kernels the executor runs, and replaced by its
// results. Shape of a value whose declared shape is fully static is known
// too, which is what turns exporters' Shape -> Gather -> Unsqueeze -> Concat
// -> Reshape chains into plain Reshapes.
#include <algorithm>
#include <cstring>
#include <set>
#include <string>

#include "kernels/kernel.hpp"
#include "normrt/error.hpp"
#include "passes/pass_list.hpp"
#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

constexpr const char* kPass = "constant-folding";
// Folded results may not be much larger than what they replace: Expand,
// Tile or ConstantOfShape on small constants would bloat the model.
constexpr int64_t kMaxGrowthElements = 64 * 1024;

bool is_random(const Node& n) {
  static const std::set<std::string> ops = {"RandomNormal", "RandomUniform", "RandomNormalLike",
                                            "RandomUniformLike", "Multinomial", "Bernoulli"};
  return ops.count(n.op_type) != 0;
}

bool outputs_foldable(const Node& n) {
  bool any = false;
  for (const Value* v : n.outputs) {
    if (!v) continue;
    if (v->is_graph_output) return false;  // outputs stay produced by a node
    any = true;
  }
  return any;
}

void make_constant(Value* v, Tensor t) {
  v->dtype = t.dtype();
  std::vector<Dim> shape;
  for (int64_t d : t.dims()) shape.push_back(Dim{d, {}});
  v->shape = std::move(shape);
  v->constant = std::move(t);
}

// Shape (with opset-15 start/end) of a value whose shape is static.
bool fold_shape(Graph& g, Node& n) {
  auto dims = static_shape(input(n, 0));
  if (!dims) return false;
  const auto rank = int64_t(dims->size());
  auto clamp = [rank](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t(0), rank); };
  const int64_t start = clamp(n.attr_int("start", 0));
  const int64_t end = clamp(n.attr_int("end", rank));
  const int64_t len = std::max<int64_t>(end - start, 0);
  Tensor t(DType::i64, {len});
  for (int64_t i = 0; i < len; ++i) t.as<int64_t>()[i] = (*dims)[std::size_t(start + i)];
  Value* out = output(n, 0);
  remove_nodes(g, {&n});
  make_constant(out, std::move(t));
  return true;
}

// Runs the node's kernel on its constant inputs; false (graph unchanged)
// when no kernel takes it or it refuses the inputs: the session reports that.
bool fold_with_kernel(Graph& g, Node& n) {
  const KernelDef* def = KernelRegistry::builtin().find(n.domain, n.op_type, n.opset);
  if (!def) return false;
  std::vector<TensorInfo> infos;
  std::vector<const Tensor*> known;
  int64_t input_elements = 0;
  for (const Value* v : n.inputs) {
    if (!v) {
      infos.push_back({});
      known.push_back(nullptr);
      continue;
    }
    infos.push_back({v->constant->dtype(), v->constant->dims()});
    known.push_back(&*v->constant);
    input_elements += v->constant->size();
  }
  PrepareContext prep{n, infos, known, {}};
  prep.exec.threads = 1;
  std::vector<TensorInfo> out_infos(n.outputs.size());
  std::unique_ptr<OpKernel> kernel;
  std::vector<Tensor> results;
  try {
    kernel = def->create(prep, out_infos);
    int64_t out_elements = 0;
    for (const TensorInfo& o : out_infos) out_elements += element_count(o.dims, n.describe());
    if (out_elements > std::max(kMaxGrowthElements, input_elements)) return false;
    RunContext run;
    run.exec = prep.exec;
    for (const Tensor* t : known) {
      // Views take non-const pointers; kernels never write their inputs.
      if (t) run.inputs.push_back({const_cast<void*>(t->data()), t->dtype(), t->dims()});
      else run.inputs.push_back({});
    }
    for (std::size_t i = 0; i < n.outputs.size(); ++i) {
      Tensor& t = results.emplace_back(out_infos[i].dtype == DType::undefined ? DType::f32
                                                                              : out_infos[i].dtype,
                                       out_infos[i].dims);
      run.outputs.push_back({t.data(), t.dtype(), t.dims()});
    }
    Tensor scratch(DType::u8, {int64_t(kernel->scratch_bytes())});
    run.scratch = scratch.data();
    kernel->run(run);
  } catch (const Error&) {
    return false;
  }
  std::vector<Value*> outs = n.outputs;
  remove_nodes(g, {&n});
  for (std::size_t i = 0; i < outs.size(); ++i)
    if (outs[i]) make_constant(outs[i], std::move(results[i]));
  return true;
}

bool try_fold(Graph& g, Node& n, PassReport& report) {
  if (is_random(n) || !outputs_foldable(n)) return false;
  const std::string who = n.describe();
  bool folded = false;
  if (is_op(&n, "Shape")) {
    folded = fold_shape(g, n);
  } else {
    const bool all_known =
        std::all_of(n.inputs.begin(), n.inputs.end(), [](const Value* v) { return !v || v->constant; });
    folded = all_known && fold_with_kernel(g, n);
  }
  if (folded) report.add(kPass, who + " evaluated to a constant");
  return folded;
}

}  // namespace

void fold_constants(Graph& g, PassReport& report) {
  // Nodes are in topological order, so one walk folds whole chains.
  for_each_node(g, [&](Node& n) { return try_fold(g, n, report); });
}

}  // namespace normrt::rt::passes
