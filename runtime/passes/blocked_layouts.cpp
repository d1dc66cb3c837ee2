// plan_blocked_layouts: decides, in topological order, which values are
// stored blocked, then marks the nodes and inserts normrt.Reorder where a
// blocked value meets a reader that needs it plain.
#include "passes/blocked_layouts.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "kernels/onednn_common.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt::rt::passes {
namespace {

bool is_op(const Node& n, const char* op, bool normrt_too = true) {
  return n.op_type == op && (n.domain.empty() || (normrt_too && n.domain == "normrt"));
}
// Up to this many input channels a conv reads plain X and writes blocked Y
// itself (oneDNN's jit kernels for a network's first conv).
constexpr int64_t kPlainSrcChannels = 4;

bool is_conv(const Node& n) { return is_op(n, "Conv"); }
bool is_add(const Node& n) { return is_op(n, "Add", false); }
bool is_relu(const Node& n) { return is_op(n, "Relu", false); }

// Pools keep the layout (oneDNN pools blocked tensors). Not an average pool
// whose ceil_mode overhang needs the plain-layout divisor fix-up
// (kernels/onednn_pool.cpp).
bool is_blockable_pool(const Node& n) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "MaxPool" || n.op_type == "GlobalMaxPool" || n.op_type == "GlobalAveragePool")
    return true;
  return n.op_type == "AveragePool" &&
         !(n.attr_int("ceil_mode", 0) != 0 && n.attr_int("count_include_pad", 0) != 0);
}

bool single_output(const Node& n) {
  for (std::size_t o = 1; o < n.outputs.size(); ++o)
    if (n.outputs[o]) return false;
  return true;
}

// Norms with a blocked kernel that keep X's layout for Y.
bool is_blockable_norm(const Node& n) {
  if (is_op(n, "BatchNormalization"))
    return single_output(n) && n.attr_int("training_mode", 0) == 0;
  return (n.domain == "normrt" && n.op_type == "ChannelAffine") ||
         is_op(n, "GroupNormalization") || is_op(n, "InstanceNormalization");
}

// A value the blocked kernels can hold: f32 of rank 3 to 5 with known C.
bool candidate(const Value* v) {
  return v && !v->constant && v->dtype == DType::f32 && v->shape && v->shape->size() >= 3 &&
         v->shape->size() <= 5 && (*v->shape)[1].value > 0;
}

bool same_shape(const Value* a, const Value* b) {
  if (!a->shape || !b->shape || a->shape->size() != b->shape->size()) return false;
  for (std::size_t i = 0; i < a->shape->size(); ++i)
    if ((*a->shape)[i].value < 0 || (*a->shape)[i].value != (*b->shape)[i].value) return false;
  return true;
}

// Does `n` read input `i` as a blocked tensor (given the decisions so far)?
bool reads_blocked(const Node& n, std::size_t i, const std::set<const Value*>& blocked) {
  const bool out_blocked = n.outputs.size() > 0 && blocked.count(n.outputs[0]);
  if (is_conv(n)) return (i == 0 || i == 3) && out_blocked;
  if (is_blockable_norm(n) || is_blockable_pool(n) || is_relu(n) || is_add(n)) return i <= (is_add(n) ? 1u : 0u) && out_blocked;
  return false;
}

// A consumer for which a blocked producer pays off.
bool takes_blocked(const Node& n) {
  return is_conv(n) || is_blockable_norm(n) || is_blockable_pool(n) || is_relu(n) || is_add(n);
}

class Planner {
 public:
  Planner(Graph& g, int64_t block, PassReport& report) : g_(g), b_(block), report_(report) {}

  void run() {
    for (const auto& n : g_.nodes()) decide(*n);
    if (blocked_.empty()) return;
    std::vector<Node*> nodes;
    for (const auto& n : g_.nodes()) nodes.push_back(n.get());
    for (Node* n : nodes) mark(*n);
    for (const Value* v : order_) insert_reorder(const_cast<Value*>(v));
    for (const Value* v : order_) to_physical_shape(const_cast<Value*>(v));
    report_.add("blocked-layouts", std::to_string(order_.size()) + " values stored in blocks of " +
                                       std::to_string(b_) + ", " + std::to_string(reorders_) +
                                       " reorder(s) at the boundaries");
  }

 private:
  void decide(const Node& n) {
    if (n.outputs.empty() || !candidate(n.outputs[0]) || !single_output(n)) return;
    const Value* y = n.outputs[0];
    bool blocked = false;
    if (is_conv(n)) {
      // oneDNN's jit convolutions read and write blocked together (plain X
      // only for a few input channels, e.g. an RGB stem): a blocked X keeps
      // Y blocked, a plain X of candidate shape gets a reorder in mark().
      // A plain residual Z of candidate shape gets a reorder too (the first
      // block of a residual stack reads the graph input).
      const Value* z = n.inputs.size() < 4 ? nullptr : n.inputs[3];
      const bool z_ok = !z || blocked_.count(z) || candidate(z);
      bool useful = blocked_.count(n.inputs[0]) > 0;
      for (const Node* c : y->consumers) useful = useful || takes_blocked(*c);
      blocked = z_ok && useful && (blocked_.count(n.inputs[0]) || candidate(n.inputs[0]));
    } else if (is_blockable_norm(n) || is_blockable_pool(n) || is_relu(n)) {
      blocked = !n.inputs.empty() && blocked_.count(n.inputs[0]);
    } else if (is_add(n)) {
      blocked = n.inputs.size() == 2 && blocked_.count(n.inputs[0]) &&
                blocked_.count(n.inputs[1]) && same_shape(n.inputs[0], n.inputs[1]);
    }
    if (blocked) {
      blocked_.insert(y);
      order_.push_back(y);
    }
  }

  void mark(Node& n) {
    const bool out_blocked = !n.outputs.empty() && blocked_.count(n.outputs[0]);
    if (is_conv(n) && out_blocked) {
      Value* x = n.inputs[0];
      if (!blocked_.count(x) && (*x->shape)[1].value > kPlainSrcChannels)
        redirect(n, x, blocked_copy(x));
      if (blocked_.count(n.inputs[0])) n.attrs["normrt_src_block"] = b_;
      if (n.inputs.size() > 3 && n.inputs[3] && !blocked_.count(n.inputs[3]))
        redirect(n, n.inputs[3], blocked_copy(n.inputs[3]));
      n.attrs["normrt_dst_block"] = b_;
    } else if ((is_blockable_norm(n) || is_blockable_pool(n)) && out_blocked) {
      n.attrs["normrt_block"] = b_;
      n.attrs["normrt_channels"] = (*n.outputs[0]->shape)[1].value;
    }
  }

  // One blocked copy of plain `x` (a graph input, or a value of another op)
  // for every conv that reads it.
  Value* blocked_copy(Value* x) {
    auto it = copies_.find(x);
    if (it != copies_.end()) return it->second;
    Value* c = g_.add_value(g_.unique_name(x->name + "_blocked"));
    c->dtype = x->dtype;
    c->shape = x->shape;
    to_physical_shape(c);
    add_reorder(x, c, "blocked");
    blocked_.insert(c);
    return copies_[x] = c;
  }

  void add_reorder(Value* from, Value* to, const char* layout) {
    auto r = std::make_unique<Node>();
    r->name = g_.unique_name(from->name + "_to_" + layout);
    r->op_type = "Reorder";
    r->domain = "normrt";
    r->opset = 1;
    r->inputs = {from};
    r->outputs = {to};
    r->attrs["to"] = std::string(layout);
    r->attrs["normrt_block"] = b_;
    r->attrs["normrt_channels"] = (*from->shape)[1].value;
    g_.add_node(std::move(r));
    ++reorders_;
  }

  // Readers that need `v` plain (and graph outputs) get it from one Reorder.
  void insert_reorder(Value* v) {
    std::vector<Node*> plain;
    for (Node* c : v->consumers) {
      bool needs_plain = false;
      for (std::size_t i = 0; i < c->inputs.size(); ++i)
        needs_plain = needs_plain || (c->inputs[i] == v && !reads_blocked(*c, i, blocked_));
      if (needs_plain && std::find(plain.begin(), plain.end(), c) == plain.end()) plain.push_back(c);
    }
    if (plain.empty() && !v->is_graph_output) return;
    Value* p = g_.add_value(g_.unique_name(v->name + "_plain"));
    p->dtype = v->dtype;
    p->shape = v->shape;
    if (v->is_graph_output) {
      // The output keeps its name on the plain value; blocked readers move back.
      std::vector<Node*> blocked_readers;
      for (Node* c : v->consumers)
        if (std::find(plain.begin(), plain.end(), c) == plain.end()) blocked_readers.push_back(c);
      g_.replace_uses(v, p);
      for (Node* c : blocked_readers) redirect(*c, p, v);
    } else {
      for (Node* c : plain) redirect(*c, v, p);
    }
    add_reorder(v, p, "plain");
  }

  // Moves every use of `from` by `n` to `to` (the uses' entries move along).
  static void redirect(Node& n, Value* from, Value* to) {
    for (Value*& in : n.inputs) {
      if (in != from) continue;
      in = to;
      auto it = std::find(from->consumers.begin(), from->consumers.end(), &n);
      if (it != from->consumers.end()) from->consumers.erase(it);
      to->consumers.push_back(&n);
    }
  }

  void to_physical_shape(Value* v) {
    std::vector<Dim> s = *v->shape;
    s[1].value = (s[1].value + b_ - 1) / b_;
    s[1].symbol.clear();
    s.push_back(Dim{b_, {}});
    v->shape = s;
  }

  Graph& g_;
  const int64_t b_;
  PassReport& report_;
  std::set<const Value*> blocked_;
  std::map<const Value*, Value*> copies_;
  std::vector<const Value*> order_;
  int reorders_ = 0;
};

}  // namespace

int64_t preferred_block(Isa kernels_isa, bool onednn_avx512) {
  return kernels_isa == Isa::avx512 && onednn_avx512 ? 16 : 8;
}

int64_t session_block(Isa kernels_isa) {
  return preferred_block(kernels_isa, onednn::onednn_runs_avx512());
}

void plan_blocked_layouts(Graph& g, int64_t block, PassReport& report) {
  Planner(g, block, report).run();
  g.topo_sort();
}

}  // namespace normrt::rt::passes
