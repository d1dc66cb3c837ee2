#pragma once
// The individual passes the pass manager runs, in this order. Each rewrites
// the graph in place, adds a report line per rewrite and leaves dead values
// for the manager to drop; new nodes are appended (the manager re-sorts).
#include "passes/passes.hpp"

namespace normrt::rt::passes {

// Shape subgraphs on constants (Shape of static shapes, Gather, Concat, ...)
// -> constants, evaluated with the built-in kernels.
void fold_constants(Graph& g, PassReport& report);

// With `fold`, BatchNormalization -> weights of the Conv/ConvTranspose/Gemm/
// MatMul before it; with `to_affine`, every BN left becomes normrt.ChannelAffine.
void fold_batch_norms(Graph& g, bool fold, bool to_affine, PassReport& report);

// Decomposed LayerNorm / RMSNorm / GroupNorm subgraphs -> one norm op.
void fuse_layer_norms(Graph& g, PassReport& report);  // both forms below
// ONNX's function expansion of LayerNormalization (Flatten, E[x^2] - E[x]^2).
void fuse_expanded_layer_norms(Graph& g, PassReport& report);
void fuse_rms_norms(Graph& g, PassReport& report);
void fuse_group_norms(Graph& g, PassReport& report);

// Residual Add + LayerNorm/RMSNorm -> com.microsoft Skip*Normalization.
void fuse_skip_norms(Graph& g, PassReport& report);
// Relu / SiLU after a norm, Relu / Clip(0,6) / SiLU / Sigmoid after a Conv ->
// the op's `activation` attribute.
void fuse_activations(Graph& g, PassReport& report);
// MatMul [+ bias Add] [+ Div/Mul by a scalar] [+ Relu / Sigmoid / SiLU /
// GELU-erf], B's last-two-dims Transpose folded -> normrt.MatMul.
void fuse_matmul_epilogues(Graph& g, PassReport& report);

}  // namespace normrt::rt::passes
