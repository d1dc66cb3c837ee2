#include "exec/executor.hpp"

#include <cstring>

#include "exec/run_step.hpp"

namespace normrt::rt {

std::vector<Tensor> execute(const Plan& plan, const std::vector<const Tensor*>& inputs,
                            void* arena, const ops::ExecOptions& exec) {
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
    run_kernel(*step.kernel, *step.node, ctx);
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
