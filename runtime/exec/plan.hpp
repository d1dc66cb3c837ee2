#pragma once
// An execution plan for one input-shape signature: per node a prepared
// kernel, per value a slot saying where its tensor lives at run time, and the
// arena layout. Immutable once made, so any number of runs may share it.
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "ir/graph.hpp"
#include "kernels/kernel.hpp"

namespace normrt::rt {

struct Slot {
  enum class Kind {
    input,     // a graph input: the caller's tensor
    constant,  // an initializer or a value computed at prepare time
    arena,     // an intermediate value in the run's arena
    output,    // a graph output produced by a node: its own tensor per run
  };
  Kind kind = Kind::arena;
  TensorInfo info;
  const Value* value = nullptr;
  int index = -1;                    // input: graph input #, output: graph output #
  const Tensor* constant = nullptr;  // constant
  std::size_t offset = 0;            // arena
};

struct Step {
  const Node* node = nullptr;
  std::unique_ptr<OpKernel> kernel;
  std::vector<int> inputs;   // slot per node input, -1 when omitted
  std::vector<int> outputs;  // slot per node output, -1 when omitted
};

// The default cap of make_plan (SessionOptions::max_tensor_bytes).
constexpr std::size_t kDefaultMaxTensorBytes = std::size_t(16) << 30;

struct Plan {
  std::vector<Slot> slots;
  std::vector<Step> steps;
  std::vector<int> output_slots;  // per graph output
  std::deque<Tensor> folded;      // values computed at prepare time (stable addresses)
  std::size_t arena_bytes = 0;    // intermediates + scratch
  std::size_t scratch_offset = 0;
  std::size_t scratch_bytes = 0;
  int folded_nodes = 0;           // nodes evaluated at prepare time
  int in_place_steps = 0;         // outputs that reuse an input's buffer
};

// Prepares every node for the graph input shapes `inputs` (one per
// graph.inputs entry, in order). Nodes whose inputs are all known and whose
// outputs are small are run now and become constants of the plan (how shape
// subgraphs fold per signature). Errors name the node. A value, scratch or
// arena above `max_tensor_bytes` is an Error naming it.
std::shared_ptr<const Plan> make_plan(const Graph& graph, const std::vector<TensorInfo>& inputs,
                                      const ops::ExecOptions& exec,
                                      std::size_t max_tensor_bytes = kDefaultMaxTensorBytes);

// Outputs up to this many elements are computed at prepare time when all of
// a node's inputs are known.
constexpr int64_t kMaxFoldedElements = 64 * 1024;

}  // namespace normrt::rt
