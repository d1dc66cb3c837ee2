#pragma once
// What every oneDNN-backed kernel shares: the one CPU engine, plain (row-major)
// memory descriptors, attribute checks, and a primitive wrapper that runs with
// a per-run user scratchpad so that concurrent runs never share state.
#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"

namespace normrt::rt::onednn {

// The process-wide CPU engine (created on first use; engines are thread-safe).
const dnnl::engine& cpu_engine();

// Whether oneDNN's jit kernels may use AVX-512 (avx512_core) on this CPU,
// after its ONEDNN_MAX_CPU_ISA cap: only then does it run nChw16c
// convolutions with a fast kernel (else with its reference one, ~1000x slower).
bool onednn_runs_avx512();

// Descriptor of a dense row-major tensor (activations stay plain NCHW).
dnnl::memory::desc plain_desc(const Dims& dims, DType dtype = DType::f32);
// fp32 descriptor with explicit element strides (transposed or permuted views).
dnnl::memory::desc strided_desc(const Dims& dims, const Dims& strides);
// fp32 descriptor whose layout oneDNN picks (constant weights).
dnnl::memory::desc any_desc(const Dims& dims);
// Row-major element strides of `dims`.
Dims row_major_strides(const Dims& dims);

// Throws naming the node unless every attribute of the node is in `allowed`.
// (Argument checks that name the node otherwise come from kernels/tensor_util.hpp.)
void require_known_attrs(const PrepareContext& ctx, std::initializer_list<const char*> allowed);
// Throws naming the node when output `i` (an unsupported optional output) is requested.
void reject_output(const PrepareContext& ctx, std::size_t i, const char* what);

// Runs `make` (which builds oneDNN descriptors / primitives) and turns a
// dnnl::error into a normrt::Error naming the node.
template <class F>
auto guarded(const PrepareContext& ctx, const char* what, F&& make) -> decltype(make()) {
  try {
    return make();
  } catch (const dnnl::error& e) {
    ctx.fail(std::string("oneDNN cannot build the ") + what + ": " + e.what());
  }
}

// Attribute with the user scratchpad mode set, plus optional post-ops.
dnnl::primitive_attr user_scratchpad_attr(const dnnl::post_ops& post_ops = dnnl::post_ops());

// A constant (weights) reordered once, at create time, into `to`.
dnnl::memory reorder_constant(const Tensor& value, const dnnl::memory::desc& from,
                              const dnnl::memory::desc& to);

// One argument of a primitive execution.
struct Arg {
  int id;                      // DNNL_ARG_*
  const dnnl::memory::desc* desc;
  const void* data;
};

// An immutable primitive bound to concrete shapes. execute() may run from
// several threads at once: the scratchpad comes from the caller's RunContext
// and the stream is created per call.
class BoundPrimitive {
 public:
  BoundPrimitive() = default;
  // `where`: the node's describe(), for run-time errors.
  BoundPrimitive(dnnl::primitive prim, const dnnl::memory::desc& scratchpad, std::string where);

  std::size_t scratch_bytes() const { return scratch_bytes_; }
  void execute(void* scratch, const std::vector<Arg>& args) const;

 private:
  dnnl::primitive prim_;
  dnnl::memory::desc scratchpad_;
  std::size_t scratch_bytes_ = 0;
  std::string where_;
};

// Builds a BoundPrimitive from a primitive descriptor (any primitive kind).
template <class Prim, class PrimDesc>
BoundPrimitive bind(const PrepareContext& ctx, const PrimDesc& pd) {
  return BoundPrimitive(Prim(pd), pd.scratchpad_desc(), ctx.node.describe());
}

}  // namespace normrt::rt::onednn
