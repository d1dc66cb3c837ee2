#include "exec/executor.hpp"

#include <chrono>
#include <cstring>

#include "exec/run_step.hpp"

namespace normrt::rt {

namespace {

// Runs one step between two clock reads; the names are made after the clock
// stops so the profile's own cost stays outside the node's time.
void run_timed(const Plan& plan, const Step& step, RunContext& ctx, RunProfile& profile) {
  const auto t0 = std::chrono::steady_clock::now();
  run_kernel(*step.kernel, *step.node, ctx);
  const auto t1 = std::chrono::steady_clock::now();
  const Node& n = *step.node;
  NodeTiming t;
  const Value* first = n.outputs.empty() ? nullptr : n.outputs[0];
  t.node = !n.name.empty() ? n.name : "<" + (first ? first->name : std::string("unnamed")) + ">";
  t.op = n.domain.empty() ? n.op_type : n.domain + "." + n.op_type;
  if (!step.outputs.empty() && step.outputs[0] >= 0)
    t.shape = dims_string(plan.slots[std::size_t(step.outputs[0])].info.dims);
  t.ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  profile.nodes.push_back(std::move(t));
}

}  // namespace

std::vector<Tensor> execute(const Plan& plan, const std::vector<const Tensor*>& inputs,
                            void* arena, const ops::ExecOptions& exec, RunProfile* profile) {
  auto* base = static_cast<unsigned char*>(arena);
  std::vector<Tensor> outputs(plan.output_slots.size());
  std::vector<TensorView> views(plan.slots.size());
  for (std::size_t id = 0; id < plan.slots.size(); ++id) {
    const Slot& s = plan.slots[id];
    void* data = nullptr;
    switch (s.kind) {
      case Slot::Kind::input: data = const_cast<void*>(inputs[std::size_t(s.index)]->data()); break;
      case Slot::Kind::constant: data = const_cast<void*>(s.constant->data()); break;
      case Slot::Kind::arena: data = base + s.offset; break;
      case Slot::Kind::output:
        outputs[std::size_t(s.index)] = Tensor(s.info.dtype, s.info.dims);
        data = outputs[std::size_t(s.index)].data();
        break;
    }
    views[id] = {data, s.info.dtype, s.info.dims};
  }

  RunContext ctx;
  ctx.exec = exec;
  ctx.scratch = base + plan.scratch_offset;
  for (const Step& step : plan.steps) {
    ctx.inputs.clear();
    ctx.outputs.clear();
    for (int id : step.inputs) ctx.inputs.push_back(id < 0 ? TensorView{} : views[std::size_t(id)]);
    for (int id : step.outputs) ctx.outputs.push_back(id < 0 ? TensorView{} : views[std::size_t(id)]);
    if (profile) {
      run_timed(plan, step, ctx, *profile);
    } else {
      run_kernel(*step.kernel, *step.node, ctx);
    }
  }

  // Outputs that are graph inputs or constants are copied: the caller owns
  // what it gets back and must not alias the model's constants.
  for (std::size_t o = 0; o < plan.output_slots.size(); ++o) {
    const Slot& s = plan.slots[std::size_t(plan.output_slots[o])];
    if (s.kind == Slot::Kind::output) continue;
    Tensor copy(s.info.dtype, s.info.dims);
    std::memcpy(copy.data(), views[std::size_t(plan.output_slots[o])].data, copy.bytes());
    outputs[o] = std::move(copy);
  }
  return outputs;
}

}  // namespace normrt::rt
