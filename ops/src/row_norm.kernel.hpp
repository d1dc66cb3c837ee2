#pragma once
#include "norm_math.kernel.hpp"
#include "row_norm.table.hpp"

namespace normrt::ops::detail {

// With a residual, s = x + skip (+ bias) is written to args.sum when asked
// for, else to y, and normalized from there; the row stays in L1/L2.
template <class A, class Args>
const float* residual_source(const Args& a, int64_t r) {
  const int64_t n = a.cols;
  const float* x = a.x + r * n;
  if (a.skip == nullptr) return x;
  const int64_t skip_rows = a.skip_rows > 0 ? a.skip_rows : a.rows;
  float* s = (a.sum ? a.sum : a.y) + r * n;
  residual_add<A>(x, a.skip + (r % skip_rows) * n, a.bias, s, n);
  return s;
}

template <class A>
void layer_norm_rows(const LayerNormArgs& a, int64_t r0, int64_t r1) {
  const int64_t n = a.cols;
  for (int64_t r = r0; r < r1; ++r) {
    const float* src = residual_source<A>(a, r);
    const RowStats st = row_stats<A>(src, n, a.eps);
    normalize_row<A>(src, a.y + r * n, n, st, a.gamma, a.beta);
    if (a.mean) a.mean[r] = st.mean;
    if (a.inv_std_dev) a.inv_std_dev[r] = st.rstd;
  }
}

template <class A>
void rms_norm_rows(const RmsNormArgs& a, int64_t r0, int64_t r1) {
  const int64_t n = a.cols;
  for (int64_t r = r0; r < r1; ++r) {
    const float* src = residual_source<A>(a, r);
    const double ms = sum_squares<A>(src, n) / double(n);
    RowStats st;
    st.rstd = float(1.0 / std::sqrt(ms + double(a.eps)));
    normalize_row<A>(src, a.y + r * n, n, st, a.gamma, nullptr);
    if (a.inv_std_dev) a.inv_std_dev[r] = st.rstd;
  }
}

template <class A>
row_norm_kernels make_row_norm_kernels() {
  return {&layer_norm_rows<A>, &rms_norm_rows<A>};
}

}  // namespace normrt::ops::detail
