#pragma once
// LayerNorm / RMSNorm rows as a software pipeline: one fused loop takes the
// statistics of row r+1 while it normalizes row r (see row_pipeline.kernel.hpp).
#include "channel_layer_norm.kernel.hpp"
#include "row_pipeline.kernel.hpp"

namespace normrt::ops::detail {

// Picks the pipeline instance for the row source (plain / residual / residual
// + bias) and the affine parameters present.
template <class A, bool kLn, bool kGamma, bool kBeta, class Args>
void rows_with_affine(const Args& a, int64_t r0, int64_t r1, bool stream) {
  using Out = RowOutput<A, kLn, kGamma, kBeta>;
  if (a.skip == nullptr) return run_row_pipeline<A, PlainRows<A>, Out>(a, r0, r1, stream);
  if (a.bias == nullptr) return run_row_pipeline<A, ResidualRows<A, false>, Out>(a, r0, r1, stream);
  run_row_pipeline<A, ResidualRows<A, true>, Out>(a, r0, r1, stream);
}

template <class A>
void layer_norm_rows(const LayerNormArgs& a, int64_t r0, int64_t r1, bool stream) {
  if (a.gamma && a.beta) return rows_with_affine<A, true, true, true>(a, r0, r1, stream);
  if (a.gamma) return rows_with_affine<A, true, true, false>(a, r0, r1, stream);
  if (a.beta) return rows_with_affine<A, true, false, true>(a, r0, r1, stream);
  rows_with_affine<A, true, false, false>(a, r0, r1, stream);
}

template <class A>
void rms_norm_rows(const RmsNormArgs& a, int64_t r0, int64_t r1, bool stream) {
  if (a.gamma) return rows_with_affine<A, false, true, false>(a, r0, r1, stream);
  rows_with_affine<A, false, false, false>(a, r0, r1, stream);
}

template <class A>
row_norm_kernels make_row_norm_kernels() {
  return {&layer_norm_rows<A>, &rms_norm_rows<A>, &channel_layer_norm_blocks<A>};
}

}  // namespace normrt::ops::detail
