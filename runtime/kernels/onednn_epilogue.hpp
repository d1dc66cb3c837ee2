#pragma once
// The fused epilogue of a normrt-domain compute node (normrt.Conv): what a
// fusion pass writes when it folds a following Add (residual) and/or
// activation into the producing conv, and the oneDNN post-ops that run it:
//   Y = act(conv(X, W) + B + Z)       Z: optional residual input (index 3)
// Attributes:
//   activation      "relu" | "clip" | "silu" | "sigmoid" | "gelu_erf" (absent: none)
//   activation_min  clip lower bound (default -FLT_MAX)
//   activation_max  clip upper bound (default +FLT_MAX); ReLU6 = clip [0, 6]
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"

namespace normrt::rt::onednn {

// Attribute names of the epilogue, for require_known_attrs().
#define NORMRT_EPILOGUE_ATTRS "activation", "activation_min", "activation_max"

// Post-ops for the node's epilogue: a sum (the residual, which the kernel
// copies into the destination first) when `with_residual`, then the
// activation. Fails naming the node on an unknown activation.
dnnl::post_ops epilogue_post_ops(const PrepareContext& ctx, bool with_residual);
// The same, appended to `ops` (after post-ops the kernel adds first).
void append_epilogue_post_ops(const PrepareContext& ctx, bool with_residual, dnnl::post_ops& ops);

}  // namespace normrt::rt::onednn
