#pragma once
// What the row pipeline (row_pipeline.kernel.hpp) reads and writes: the
// source rows it takes statistics of (plain x, or s = x + skip (+ bias) of a
// fused residual, stored as it is computed), the stored row read back, and
// the output formula of a row whose statistics are known.
#include "exact_fma.kernel.hpp"
#include "norm_math.kernel.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/rms_norm.hpp"

namespace normrt::ops::detail {

// A row that is normalized as it is stored.
template <class A>
struct PlainRows {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  const float* x = nullptr;

  static constexpr bool kRereadable = true;  // the last vector may be read again

  PlainRows() = default;
  explicit PlainRows(const float* row) : x(row) {}
  template <class Args>
  PlainRows(const Args& a, int64_t r) : x(a.x + r * a.cols) {}
  template <class Args>
  static const float* stored(const Args& a, int64_t r) { return a.x + r * a.cols; }

  float at(int64_t i) const { return x[i]; }
  R peek(int64_t i) const { return V::load(x + i); }
  R full(int64_t i) const { return V::load(x + i); }
  R tail(int64_t i, std::size_t m, float fill) const { return V::load_tail(x + i, m, fill); }
};

// s = x + skip (+ bias), stored to args.sum (or y) by full() and tail().
template <class A, bool kBias>
struct ResidualRows {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  const float* x = nullptr;
  const float* skip = nullptr;
  const float* bias = nullptr;
  float* s = nullptr;

  static constexpr bool kRereadable = false;  // s may overwrite x (sum == x)

  ResidualRows() = default;
  template <class Args>
  ResidualRows(const Args& a, int64_t r)
      : x(a.x + r * a.cols),
        skip(a.skip + (a.skip_rows > 0 && a.skip_rows < a.rows ? r % a.skip_rows : r) * a.cols),
        bias(a.bias),
        s(const_cast<float*>(stored(a, r))) {}
  template <class Args>
  static const float* stored(const Args& a, int64_t r) {
    return (a.sum ? a.sum : a.y) + r * a.cols;
  }

  float at(int64_t i) const { return kBias ? (x[i] + skip[i]) + bias[i] : x[i] + skip[i]; }
  // Without storing: s may be x itself (sum == x), so s is written only once.
  R peek(int64_t i) const {
    R v = V::load(x + i) + V::load(skip + i);
    if constexpr (kBias) v = v + V::load(bias + i);
    return v;
  }
  R full(int64_t i) const {
    const R v = peek(i);
    V::store(s + i, v);
    return v;
  }
  R tail(int64_t i, std::size_t m, float fill) const {
    R v = V::load_tail(x + i, m) + V::load_tail(skip + i, m);
    if constexpr (kBias) v = v + V::load_tail(bias + i, m);
    V::store_tail(s + i, v, m);
    return V::load_tail(s + i, m, fill);
  }
};

// The row a source stored (x, or s of a fused residual), read back: the
// second moments pass of a row whose shift was far from its mean.
template <class A, class Src>
struct StoredRows : PlainRows<A> {
  StoredRows() = default;
  template <class Args>
  StoredRows(const Args& a, int64_t r) : PlainRows<A>(Src::stored(a, r)) {}
  template <class Args>
  static const float* stored(const Args& a, int64_t r) { return Src::stored(a, r); }
};

// y = fma(fma(x - shift, rstd, -corr * rstd), gamma, beta) (LayerNorm: three
// operations a vector; corr is tiny next to the std, so rounding corr * rstd
// once costs nothing measurable, and a constant row still gives exactly beta)
// or y = x * rstd * gamma (RMSNorm).
template <class A, bool kLn, bool kGamma, bool kBeta>
struct RowOutput {
  using V = simd::Vec<A>;
  using R = typename V::reg;
  static constexpr bool kCentered = kLn;  // statistics around a shift, or sum of squares
  R shift{}, rstd{}, ncr{};
  const float* gamma = nullptr;
  const float* beta = nullptr;

  RowOutput() = default;
  RowOutput(const RowStats& st, const float* g, const float* b)
      : shift(V::splat(st.shift)),
        rstd(V::splat(st.rstd)),
        ncr(V::splat(-(st.corr * st.rstd))),
        gamma(g),
        beta(b) {}

  // gamma and beta at columns [j, j + m): loaded once for every row that a
  // sweep normalizes.
  struct Affine {
    R g{}, b{};
  };
  Affine affine(int64_t j, std::size_t m = V::width) const {
    const bool full = m == V::width;
    Affine p;
    if constexpr (kGamma) p.g = full ? V::load(gamma + j) : V::load_tail(gamma + j, m);
    if constexpr (kBeta) p.b = full ? V::load(beta + j) : V::load_tail(beta + j, m);
    return p;
  }

  R operator()(R x, const Affine& p) const {
    R t;
    if constexpr (kLn) {
      t = exact_fma<A>(x - shift, rstd, ncr);
    } else {
      t = x * rstd;
    }
    if constexpr (kGamma && kBeta) return exact_fma<A>(t, p.g, p.b);
    if constexpr (kGamma) return t * p.g;
    if constexpr (kBeta) return t + p.b;
    return t;
  }
};

inline const float* beta_of(const LayerNormArgs& a) { return a.beta; }
inline const float* beta_of(const RmsNormArgs&) { return nullptr; }

inline void record_stats(const LayerNormArgs& a, int64_t r, const RowStats& st) {
  if (a.mean) a.mean[r] = st.mean;
  if (a.inv_std_dev) a.inv_std_dev[r] = st.rstd;
}
inline void record_stats(const RmsNormArgs& a, int64_t r, const RowStats& st) {
  if (a.inv_std_dev) a.inv_std_dev[r] = st.rstd;
}

}  // namespace normrt::ops::detail
