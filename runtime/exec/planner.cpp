// make_plan: kernels prepared per node, prepare-time folding of small known
// values, slot assignment, lifetimes and the arena layout.
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "exec/memory_plan.hpp"
#include "exec/plan.hpp"
#include "exec/run_step.hpp"
#include "normrt/error.hpp"

namespace normrt::rt {

namespace {

std::size_t byte_size(const TensorInfo& info, const std::string& what) {
  const int64_t count = element_count(info.dims, what);
  const std::size_t elem = dtype_size(info.dtype);
  if (std::size_t(count) > std::numeric_limits<std::size_t>::max() / 2 / elem)
    throw Error(what + ": byte size of shape " + dims_string(info.dims) + " overflows");
  return std::size_t(count) * elem;
}

void check_cap(std::size_t bytes, std::size_t cap, const std::string& what) {
  if (bytes > cap)
    throw Error(what + " needs " + std::to_string(bytes) + " bytes, more than the limit of " +
                std::to_string(cap) + " (SessionOptions::max_tensor_bytes)");
}

class Planner {
 public:
  Planner(const Graph& graph, const ops::ExecOptions& exec, std::size_t cap)
      : graph_(graph), exec_(exec), cap_(cap) {
    for (std::size_t i = 0; i < graph.outputs.size(); ++i)
      output_index_.emplace(graph.outputs[i], int(i));
  }

  std::shared_ptr<const Plan> make(const std::vector<TensorInfo>& inputs) {
    if (inputs.size() != graph_.inputs.size())
      throw Error("plan: expected " + std::to_string(graph_.inputs.size()) + " inputs, got " +
                  std::to_string(inputs.size()));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Slot s;
      s.kind = Slot::Kind::input;
      s.info = inputs[i];
      s.index = int(i);
      add_slot(graph_.inputs[i], s);
    }
    const KernelRegistry& registry = KernelRegistry::builtin();
    for (const auto& node : graph_.nodes()) prepare_node(*node, registry);
    for (const Value* out : graph_.outputs) plan_->output_slots.push_back(slot_of(out, nullptr));
    layout_memory();
    return std::move(plan_);
  }

 private:
  int add_slot(const Value* v, Slot s) {
    s.value = v;
    plan_->slots.push_back(std::move(s));
    const int id = int(plan_->slots.size()) - 1;
    slots_[v] = id;
    return id;
  }

  // The slot holding `v`; constants get theirs on first use.
  int slot_of(const Value* v, const Node* user) {
    auto it = slots_.find(v);
    if (it != slots_.end()) return it->second;
    if (!v->constant) {
      const std::string msg = "value '" + v->name + "' is used before any node produces it";
      throw Error(user ? user->describe() + ": " + msg : "graph output: " + msg);
    }
    Slot s;
    s.kind = Slot::Kind::constant;
    s.info = {v->constant->dtype(), v->constant->dims()};
    s.constant = &*v->constant;
    return add_slot(v, s);
  }

  void prepare_node(const Node& node, const KernelRegistry& registry) {
    const KernelDef* def = registry.find(node.domain, node.op_type, node.opset);
    if (!def) throw Error(unsupported_op_message(node));
    PrepareContext ctx{node, {}, {}, exec_};
    Step step;
    step.node = &node;
    bool all_known = true;
    for (const Value* in : node.inputs) {
      if (!in) {
        step.inputs.push_back(-1);
        ctx.inputs.push_back({});
        ctx.known_values.push_back(nullptr);
        continue;
      }
      const int id = slot_of(in, &node);
      const Slot& s = plan_->slots[std::size_t(id)];
      step.inputs.push_back(id);
      ctx.inputs.push_back(s.info);
      ctx.known_values.push_back(s.constant);
      all_known = all_known && s.constant;
    }
    std::vector<TensorInfo> outs(node.outputs.size());
    try {
      step.kernel = def->create(ctx, outs);
      if (!step.kernel) throw Error("the kernel factory returned no kernel");
      check_cap(step.kernel->scratch_bytes(), cap_, "its scratch buffer");
      if (outs.size() != node.outputs.size())
        throw Error("the kernel declared " + std::to_string(outs.size()) + " outputs, the node has " +
                    std::to_string(node.outputs.size()));
      for (std::size_t o = 0; o < outs.size(); ++o) {
        if (!node.outputs[o]) continue;
        const std::string what = "output '" + node.outputs[o]->name + "'";
        if (outs[o].dtype == DType::undefined) throw Error(what + ": the kernel gave it no type");
        check_cap(byte_size(outs[o], what), cap_, what + " of shape " + dims_string(outs[o].dims));
      }
    } catch (...) {
      rethrow_naming(node);
    }
    if ((all_known || reads_only_shapes(node)) && small(node, outs)) fold_now(node, step, outs);
    else add_step(node, step, outs);
  }

  // Ops whose outputs depend on their inputs' shapes alone: with the shapes
  // fixed by the signature they fold even when the input values are unknown
  // (the kernel gets views without data).
  static bool reads_only_shapes(const Node& node) {
    return node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
  }

  static bool small(const Node& node, const std::vector<TensorInfo>& outs) {
    for (std::size_t o = 0; o < outs.size(); ++o)
      if (node.outputs[o] && element_count(outs[o].dims, "output") > kMaxFoldedElements)
        return false;
    return true;
  }

  // Runs the node now; its outputs become constants of the plan.
  void fold_now(const Node& node, Step& step, const std::vector<TensorInfo>& outs) {
    RunContext ctx;
    ctx.exec = exec_;
    for (int id : step.inputs) ctx.inputs.push_back(id < 0 ? TensorView{} : view_of_known(id));
    std::vector<Tensor*> made(outs.size(), nullptr);
    for (std::size_t o = 0; o < outs.size(); ++o) {
      if (!node.outputs[o]) {
        ctx.outputs.push_back({});
        continue;
      }
      plan_->folded.emplace_back(outs[o].dtype, outs[o].dims);
      made[o] = &plan_->folded.back();
      ctx.outputs.push_back({made[o]->data(), outs[o].dtype, outs[o].dims});
    }
    Tensor scratch(DType::u8, {int64_t(step.kernel->scratch_bytes())});
    ctx.scratch = scratch.data();
    run_kernel(*step.kernel, node, ctx);
    for (std::size_t o = 0; o < outs.size(); ++o) {
      if (!made[o]) continue;
      Slot s;
      s.kind = Slot::Kind::constant;
      s.info = outs[o];
      s.constant = made[o];
      add_slot(node.outputs[o], s);
    }
    ++plan_->folded_nodes;
  }

  // A constant's view; a value known only by its shape has no data.
  TensorView view_of_known(int id) const {
    const Slot& s = plan_->slots[std::size_t(id)];
    void* data = s.constant ? const_cast<void*>(s.constant->data()) : nullptr;
    return {data, s.info.dtype, s.info.dims};
  }

  void add_step(const Node& node, Step& step, const std::vector<TensorInfo>& outs) {
    for (std::size_t o = 0; o < outs.size(); ++o) {
      const Value* v = node.outputs[o];
      if (!v) {
        step.outputs.push_back(-1);
        continue;
      }
      Slot s;
      s.info = outs[o];
      auto out = output_index_.find(v);
      if (out != output_index_.end()) {
        s.kind = Slot::Kind::output;
        s.index = out->second;
      }
      step.outputs.push_back(add_slot(v, s));
    }
    plan_->scratch_bytes = std::max(plan_->scratch_bytes, step.kernel->scratch_bytes());
    plan_->steps.push_back(std::move(step));
  }

  // Lifetimes -> arena offsets; an in-place output joins its input's buffer.
  void layout_memory() {
    auto& slots = plan_->slots;
    const auto& steps = plan_->steps;
    std::vector<int> last_use(slots.size(), -1);
    for (std::size_t s = 0; s < steps.size(); ++s)
      for (int id : steps[s].inputs)
        if (id >= 0) last_use[std::size_t(id)] = int(s);

    std::vector<BufferRequest> buffers;
    std::vector<int> buffer_of(slots.size(), -1);
    for (std::size_t s = 0; s < steps.size(); ++s) {
      const Step& step = steps[s];
      for (std::size_t o = 0; o < step.outputs.size(); ++o) {
        const int id = step.outputs[o];
        if (id < 0 || slots[std::size_t(id)].kind != Slot::Kind::arena) continue;
        const std::size_t bytes = byte_size(slots[std::size_t(id)].info, "value");
        const int last = std::max(int(s), last_use[std::size_t(id)]);
        const int shared = in_place_source(step, int(o), int(s), bytes, last_use, buffer_of);
        if (shared >= 0) {
          buffer_of[std::size_t(id)] = shared;
          auto& b = buffers[std::size_t(shared)];
          b.last_step = std::max(b.last_step, last);
          ++plan_->in_place_steps;
        } else {
          buffer_of[std::size_t(id)] = int(buffers.size());
          buffers.push_back({bytes, int(s), last});
        }
      }
    }
    const MemoryPlan mem = plan_memory(buffers);
    for (std::size_t id = 0; id < slots.size(); ++id)
      if (buffer_of[id] >= 0) slots[id].offset = mem.offsets[std::size_t(buffer_of[id])];
    plan_->scratch_offset = mem.total_bytes;
    plan_->arena_bytes = mem.total_bytes + align_up(plan_->scratch_bytes);
    check_cap(plan_->arena_bytes, cap_, "the arena of intermediate values");
  }

  // The buffer output `o` of `step` (step index `s`) may take over, or -1.
  int in_place_source(const Step& step, int o, int s, std::size_t bytes,
                      const std::vector<int>& last_use, const std::vector<int>& buffer_of) const {
    const int in = step.kernel->in_place_input(o);
    if (in < 0 || std::size_t(in) >= step.inputs.size()) return -1;
    const int src = step.inputs[std::size_t(in)];
    if (src < 0) return -1;
    const Slot& slot = plan_->slots[std::size_t(src)];
    if (slot.kind != Slot::Kind::arena || last_use[std::size_t(src)] != s) return -1;
    if (byte_size(slot.info, "value") != bytes) return -1;
    // Another output of this step may already have claimed that buffer.
    for (int other : step.outputs)
      if (other >= 0 && buffer_of[std::size_t(other)] == buffer_of[std::size_t(src)]) return -1;
    return buffer_of[std::size_t(src)];
  }

  const Graph& graph_;
  ops::ExecOptions exec_;
  std::size_t cap_;
  std::shared_ptr<Plan> plan_ = std::make_shared<Plan>();
  std::unordered_map<const Value*, int> slots_;
  std::unordered_map<const Value*, int> output_index_;
};

}  // namespace

std::shared_ptr<const Plan> make_plan(const Graph& graph, const std::vector<TensorInfo>& inputs,
                                      const ops::ExecOptions& exec, std::size_t max_tensor_bytes) {
  return Planner(graph, exec, max_tensor_bytes).make(inputs);
}

}  // namespace normrt::rt
