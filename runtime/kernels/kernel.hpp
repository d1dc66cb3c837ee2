#pragma once
// The contract between the executor and op implementations.
//
// For each input-shape signature the planner walks the nodes in order and,
// per node, calls the registered KernelDef::create with the concrete input
// types/shapes (and the values of inputs that are known at prepare time:
// initializers and folded shape subgraphs). create validates attributes and
// shapes, fills in the output infos, and returns an immutable OpKernel bound
// to those shapes. OpKernel::run may be called from several threads at once
// (different Session::run calls): keep all mutable state in the RunContext.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "normrt/ops/exec.hpp"

namespace normrt::rt {

struct TensorInfo {
  DType dtype = DType::undefined;
  Dims dims;
};

struct PrepareContext {
  const Node& node;
  std::vector<TensorInfo> inputs;           // inputs[i].dtype == undefined for an omitted input
  std::vector<const Tensor*> known_values;  // per input: non-null when its value is known now
  ops::ExecOptions exec;                    // ISA + threads of the session
  // Throws normrt::Error "<node describe()>: <msg>".
  [[noreturn]] void fail(const std::string& msg) const;
};

struct RunContext {
  std::vector<TensorView> inputs;   // dtype == undefined for an omitted input
  std::vector<TensorView> outputs;  // preallocated by the planner with the prepared shapes
  void* scratch = nullptr;          // scratch_bytes() bytes, 64-byte aligned, per run
  ops::ExecOptions exec;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void run(RunContext& ctx) const = 0;
  // Output `out` may share the buffer of input `in` (same size): the planner
  // uses it when `in` has no later use.
  virtual int in_place_input(int out) const { (void)out; return -1; }
  virtual std::size_t scratch_bytes() const { return 0; }
};

struct KernelDef {
  std::string domain;  // "" = default ONNX domain
  std::string op_type;
  int since_version = 1;      // opset range this implementation covers
  int until_version = 10000;  // inclusive
  std::function<std::unique_ptr<OpKernel>(const PrepareContext&, std::vector<TensorInfo>& outputs)>
      create;
};

// All kernels, registered explicitly (no static self-registration).
class KernelRegistry {
 public:
  void add(KernelDef def);
  // The def for (domain, op_type, opset); null when unsupported.
  const KernelDef* find(const std::string& domain, const std::string& op_type, int opset) const;
  static const KernelRegistry& builtin();

 private:
  std::vector<KernelDef> defs_;
};

}  // namespace normrt::rt
