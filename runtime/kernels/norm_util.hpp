#pragma once
// Shared by the norm adapters (norm_*.cpp): attributes every norm reads
// (epsilon, the normrt-domain activation epilogue), the N x C x spatial view
// of a tensor, and float parameter inputs (scale, bias, ...) that are either
// constants materialized at prepare time or resolved per run.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/tensor_util.hpp"
#include "normrt/ops/activation.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::rt::kern {

// The `activation` attribute ("none", "relu", "silu") that fused copies of
// the norms carry in the "normrt" domain; an error elsewhere.
ops::Activation activation_attr(const PrepareContext& ctx);
// y = act(y) over n floats (for norms whose ops entry has no epilogue).
void apply_activation(float* y, int64_t n, ops::Activation act);

// `epsilon`, checked finite and >= 0.
float epsilon_attr(const PrepareContext& ctx, float fallback);

// X of rank >= min_rank viewed as [n, c, spatial] (NCHW); rank 1 is [n, 1, 1].
// With `allow_blocked` and the layout pass's attributes normrt_block = b and
// normrt_channels = C on the node (kernels/onednn_layout.hpp), X is a
// blocked [N, ceil(C/b), spatial..., b]: c = C and layout = nchw8c / nchw16c.
struct NcsShape {
  int64_t n = 1, c = 1, spatial = 1;
  ops::Layout layout = ops::Layout::nchw;
};
NcsShape ncs_shape(const PrepareContext& ctx, const TensorInfo& x, std::size_t min_rank,
                   bool allow_blocked = false);

// The ops-library arguments every channel-wise norm shares: X and Y of the run
// and the n x c x spatial geometry prepared for them.
template <class Args>
Args ncs_args(const RunContext& rc, const NcsShape& s) {
  Args a;
  a.x = rc.inputs[0].as<const float>();
  a.y = rc.outputs[0].as<float>();
  a.n = s.n;
  a.c = s.c;
  a.spatial = s.spatial;
  a.layout = s.layout;
  return a;
}

// A float parameter input read as a dense vector of shape `to`.
struct Param {
  int input = -1;                  // -1: the optional input is absent (null)
  std::vector<float> fixed;        // known at prepare time: broadcast to `to` already
  bool known = false;
  Dims from, to;                   // unknown and from != to: broadcast per run into scratch
  std::size_t scratch_offset = 0;  // bytes into RunContext::scratch

  bool present() const { return input >= 0; }
  const float* get(const RunContext& rc) const;
};

// Input i (f32) as a parameter of shape `to`: its shape must broadcast to
// `to` (leading 1s beyond to's rank are allowed). Absent inputs are allowed
// when `optional`; scratch space is reserved in `scratch` when needed.
Param make_param(const PrepareContext& ctx, std::size_t i, const char* what, const Dims& to,
                 bool optional, std::size_t& scratch);

// Output i's buffer, or null when the output is omitted.
float* optional_output(const RunContext& rc, std::size_t i);

}  // namespace normrt::rt::kern
