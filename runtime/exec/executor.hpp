#pragma once
// Runs a plan: binds the caller's inputs, the arena and fresh output tensors
// to the slots, then runs the steps in order.
#include <cstddef>
#include <vector>

#include "exec/plan.hpp"
#include "normrt/runtime/profile.hpp"

namespace normrt::rt {

// `inputs`: one per graph input, shapes as planned. `arena`: plan.arena_bytes
// bytes, 64-byte aligned, owned by this run alone. Returns the graph outputs.
// `profile`: when not null, each step's time is appended to profile->nodes
// (when null, the only cost is one branch per step).
std::vector<Tensor> execute(const Plan& plan, const std::vector<const Tensor*>& inputs,
                            void* arena, const ops::ExecOptions& exec,
                            RunProfile* profile = nullptr);

}  // namespace normrt::rt
