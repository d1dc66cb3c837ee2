// fold_into_weights: a layer followed by BatchNorm, computed unfused in double,
// against the folded layer (rescaled float weights and bias), for Conv
// (1D/2D/3D, grouped, depthwise, without bias), ConvTranspose with groups,
// and MatMul / Gemm with either weight orientation.
#include <limits>

#include "normrt/ops/batch_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::WeightLayout;
using Dims = std::vector<int64_t>;

int64_t product(const Dims& d, std::size_t from = 0) {
  int64_t p = 1;
  for (std::size_t i = from; i < d.size(); ++i) p *= d[i];
  return p;
}

// Row-major multi-index of `flat` in `dims`.
Dims unravel(int64_t flat, const Dims& dims) {
  Dims idx(dims.size());
  for (std::size_t i = dims.size(); i-- > 0;) {
    idx[i] = flat % dims[i];
    flat /= dims[i];
  }
  return idx;
}

int64_t ravel(const Dims& idx, const Dims& dims) {
  int64_t flat = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) flat = flat * dims[i] + idx[i];
  return flat;
}

// A layer's output in double, plus sum |terms| for the rounding bound.
struct LayerOut {
  std::vector<double> y, magnitude;
  int64_t per_channel = 0;  // output elements per channel (positions or rows)
  bool channel_last = false;  // matmul: y is [M, N], channel = column
  double channel_of(std::size_t k, int64_t channels) const {
    return channel_last ? double(int64_t(k) % channels) : double(int64_t(k) / per_channel);
  }
};

// Direct convolution, batch 1, stride 1, no padding:
// x [Cin, S...], w [Cout, Cin/g, K...] -> y [Cout, (S - K + 1)...].
LayerOut conv_ref(const std::vector<float>& x, const Dims& in_sp, const float* w,
                  const Dims& wd, int64_t groups, const float* bias) {
  const int64_t cout = wd[0], cin_g = wd[1], cout_g = cout / groups;
  const Dims k_sp(wd.begin() + 2, wd.end());
  Dims out_sp(in_sp.size());
  for (std::size_t i = 0; i < in_sp.size(); ++i) out_sp[i] = in_sp[i] - k_sp[i] + 1;
  const int64_t npos = product(out_sp), nk = product(k_sp), nin = product(in_sp);
  LayerOut r;
  r.per_channel = npos;
  r.y.assign(std::size_t(cout * npos), 0.0);
  r.magnitude = r.y;
  for (int64_t o = 0; o < cout; ++o) {
    const int64_t g = o / cout_g;
    for (int64_t p = 0; p < npos; ++p) {
      const Dims op = unravel(p, out_sp);
      double s = bias[o], m = std::fabs(bias[o]);
      for (int64_t ci = 0; ci < cin_g; ++ci) {
        for (int64_t kk = 0; kk < nk; ++kk) {
          const Dims kp = unravel(kk, k_sp);
          Dims ip(op.size());
          for (std::size_t i = 0; i < op.size(); ++i) ip[i] = op[i] + kp[i];
          const double t = double(x[std::size_t((g * cin_g + ci) * nin + ravel(ip, in_sp))]) *
                           w[(o * cin_g + ci) * nk + kk];
          s += t;
          m += std::fabs(t);
        }
      }
      r.y[std::size_t(o * npos + p)] = s;
      r.magnitude[std::size_t(o * npos + p)] = m;
    }
  }
  return r;
}

// Direct transposed convolution, batch 1, stride 1, no padding:
// x [Cin, S...], w [Cin, Cout/g, K...] -> y [Cout, (S + K - 1)...].
LayerOut conv_transpose_ref(const std::vector<float>& x, const Dims& in_sp, const float* w,
                            const Dims& wd, int64_t groups, const float* bias) {
  const int64_t cin = wd[0], cout_g = wd[1], cin_g = cin / groups, cout = cout_g * groups;
  const Dims k_sp(wd.begin() + 2, wd.end());
  Dims out_sp(in_sp.size());
  for (std::size_t i = 0; i < in_sp.size(); ++i) out_sp[i] = in_sp[i] + k_sp[i] - 1;
  const int64_t npos = product(out_sp), nk = product(k_sp), nin = product(in_sp);
  LayerOut r;
  r.per_channel = npos;
  r.y.assign(std::size_t(cout * npos), 0.0);
  r.magnitude = r.y;
  for (int64_t o = 0; o < cout; ++o) {
    for (int64_t p = 0; p < npos; ++p) {
      r.y[std::size_t(o * npos + p)] = bias[o];
      r.magnitude[std::size_t(o * npos + p)] = std::fabs(bias[o]);
    }
  }
  for (int64_t i = 0; i < cin; ++i) {
    const int64_t g = i / cin_g;
    for (int64_t oc = 0; oc < cout_g; ++oc) {
      const int64_t o = g * cout_g + oc;
      for (int64_t sp = 0; sp < nin; ++sp) {
        const Dims ip = unravel(sp, in_sp);
        for (int64_t kk = 0; kk < nk; ++kk) {
          const Dims kp = unravel(kk, k_sp);
          Dims op(ip.size());
          for (std::size_t d = 0; d < ip.size(); ++d) op[d] = ip[d] + kp[d];
          const double t = double(x[std::size_t(i * nin + sp)]) * w[(i * cout_g + oc) * nk + kk];
          const auto at = std::size_t(o * npos + ravel(op, out_sp));
          r.y[at] += t;
          r.magnitude[at] += std::fabs(t);
        }
      }
    }
  }
  return r;
}

// x [M, K] times B ([K, N] when kn, else [N, K]) plus bias[N] -> y [M, N].
LayerOut matmul_ref(const std::vector<float>& x, int64_t m, const float* b, const Dims& bd,
                    bool kn, const float* bias) {
  const int64_t k = kn ? bd[0] : bd[1], n = kn ? bd[1] : bd[0];
  LayerOut r;
  r.per_channel = m;
  r.channel_last = true;
  r.y.assign(std::size_t(m * n), 0.0);
  r.magnitude = r.y;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = bias[j], mag = std::fabs(bias[j]);
      for (int64_t t = 0; t < k; ++t) {
        const double v = double(x[std::size_t(i * k + t)]) * (kn ? b[t * n + j] : b[j * k + t]);
        s += v;
        mag += std::fabs(v);
      }
      r.y[std::size_t(i * n + j)] = s;
      r.magnitude[std::size_t(i * n + j)] = mag;
    }
  }
  return r;
}

struct FoldCase {
  const char* name;
  WeightLayout layout;
  Dims wdims;
  int64_t groups;
  Dims in_spatial;  // conv: input spatial dims; matmul: {M}
  bool has_bias;
};

int64_t out_channels(const FoldCase& c) {
  switch (c.layout) {
    case WeightLayout::conv: return c.wdims[0];
    case WeightLayout::conv_transpose: return c.wdims[1] * c.groups;
    case WeightLayout::matmul_kn: return c.wdims[1];
    default: return c.wdims[0];
  }
}

int64_t in_features(const FoldCase& c) {
  switch (c.layout) {
    case WeightLayout::conv: return c.wdims[1] * c.groups;
    case WeightLayout::conv_transpose: return c.wdims[0];
    case WeightLayout::matmul_kn: return c.wdims[0];
    default: return c.wdims[1];
  }
}

LayerOut run_layer(const FoldCase& c, const std::vector<float>& x, const float* w,
                   const float* bias) {
  switch (c.layout) {
    case WeightLayout::conv: return conv_ref(x, c.in_spatial, w, c.wdims, c.groups, bias);
    case WeightLayout::conv_transpose:
      return conv_transpose_ref(x, c.in_spatial, w, c.wdims, c.groups, bias);
    case WeightLayout::matmul_kn: return matmul_ref(x, c.in_spatial[0], w, c.wdims, true, bias);
    default: return matmul_ref(x, c.in_spatial[0], w, c.wdims, false, bias);
  }
}

ops::ChannelAffine random_bn(int64_t channels, uint32_t seed) {
  // Signed gamma and spread-out variances: every channel gets its own scale, so
  // scaling a wrong axis cannot go unnoticed.
  const Buffer gamma = random_buffer(std::size_t(channels), seed, -2.f, 2.f);
  const Buffer beta = random_buffer(std::size_t(channels), seed + 1);
  const Buffer mean = random_buffer(std::size_t(channels), seed + 2);
  const Buffer var = random_buffer(std::size_t(channels), seed + 3, 0.05f, 4.f);
  ops::BatchNormParams p;
  p.channels = channels; p.gamma = gamma.data(); p.beta = beta.data();
  p.mean = mean.data(); p.var = var.data();
  return ops::fold_batch_norm(p);
}

TEST(FoldIntoWeights, MatchesLayerThenBatchNormUnfused) {
  const std::vector<FoldCase> cases = {
      {"conv1d", WeightLayout::conv, {6, 4, 3}, 1, {7}, true},
      {"conv2d grouped", WeightLayout::conv, {6, 2, 3, 2}, 2, {5, 4}, true},
      {"conv2d depthwise no bias", WeightLayout::conv, {8, 1, 3, 3}, 8, {4, 5}, false},
      {"conv2d depthwise x2", WeightLayout::conv, {8, 1, 2, 2}, 4, {3, 3}, true},
      {"conv3d", WeightLayout::conv, {4, 3, 2, 2, 2}, 1, {3, 3, 4}, true},
      {"conv_transpose1d", WeightLayout::conv_transpose, {4, 6, 3}, 1, {5}, true},
      {"conv_transpose2d groups 2", WeightLayout::conv_transpose, {4, 3, 2, 2}, 2, {3, 4}, true},
      {"conv_transpose3d groups 3", WeightLayout::conv_transpose, {6, 2, 2, 1, 2}, 3, {2, 3, 2},
       false},
      {"conv_transpose2d depthwise", WeightLayout::conv_transpose, {5, 1, 3, 3}, 5, {3, 3}, true},
      {"matmul_kn", WeightLayout::matmul_kn, {5, 7}, 1, {3}, true},
      {"matmul_nk (Gemm transB)", WeightLayout::matmul_nk, {7, 5}, 1, {3}, true},
  };
  uint32_t seed = 100;
  for (const FoldCase& c : cases) {
    const int64_t cout = out_channels(c);
    const Buffer w = random_buffer(std::size_t(product(c.wdims)), seed++);
    const Buffer b = c.has_bias ? random_buffer(std::size_t(cout), seed++) : Buffer(std::size_t(cout));
    const Buffer x = random_buffer(std::size_t(in_features(c) * product(c.in_spatial)), seed++);
    const ops::ChannelAffine bn = random_bn(cout, seed++);

    // Unfused: layer in double from the float weights, then BN in double.
    LayerOut want = run_layer(c, x.to_vector(), w.data(), b.data());
    for (std::size_t k = 0; k < want.y.size(); ++k) {
      const auto o = std::size_t(want.channel_of(k, cout));
      want.y[k] = want.y[k] * bn.scale[o] + bn.shift[o];
    }
    // Folded: the same layer with W' and b'.
    Buffer wf = copy_buffer(w.to_vector()), bf = copy_buffer(b.to_vector());
    ops::WeightFoldArgs a;
    a.weight = wf.data(); a.dims = c.wdims.data(); a.rank = int(c.wdims.size());
    a.layout = c.layout; a.groups = c.groups; a.bias = bf.data();
    ops::fold_into_weights(a, bn);
    const LayerOut got = run_layer(c, x.to_vector(), wf.data(), bf.data());
    ASSERT_EQ(got.y.size(), want.y.size());
    for (std::size_t k = 0; k < want.y.size(); ++k) {
      // Each folded weight and the bias are one rounding (2^-24) off their
      // exact values; 2^-22 of sum |terms| leaves room for the double sums.
      const double tol = std::ldexp(got.magnitude[k], -22);
      ASSERT_NEAR(got.y[k], want.y[k], tol) << c.name << " element " << k;
    }
  }
}

TEST(FoldIntoWeights, ConvTransposeScalesAxisOneNotAxisZero) {
  // Cin 2, Cout 3, groups 1: weight [2, 3, 1]. Output channel o is axis 1.
  std::vector<float> w = {1, 1, 1, 1, 1, 1};
  std::vector<float> bias = {0, 0, 0};
  const Dims dims = {2, 3, 1};
  ops::ChannelAffine bn;
  bn.scale = {2, 3, 5};
  bn.shift = {0.5, 0.25, 0.125};
  ops::WeightFoldArgs a;
  a.weight = w.data(); a.dims = dims.data(); a.rank = 3;
  a.layout = WeightLayout::conv_transpose; a.bias = bias.data();
  ops::fold_into_weights(a, bn);
  EXPECT_EQ(w, (std::vector<float>{2, 3, 5, 2, 3, 5}));
  EXPECT_EQ(bias, (std::vector<float>{0.5f, 0.25f, 0.125f}));
}

TEST(FoldIntoWeights, RoundsOnceFromDouble) {
  // 3 * (1/3 in double) is 1 exactly after one rounding; scaling by float(1/3) would not be.
  std::vector<float> w = {3.f}, bias = {3.f};
  const Dims dims = {1, 1};
  ops::ChannelAffine bn;
  bn.scale = {1.0 / 3.0};
  bn.shift = {0.0};
  ops::WeightFoldArgs a;
  a.weight = w.data(); a.dims = dims.data(); a.rank = 2;
  a.layout = WeightLayout::matmul_kn; a.bias = bias.data();
  ops::fold_into_weights(a, bn);
  EXPECT_EQ(w[0], float(3.0 * (1.0 / 3.0)));
  EXPECT_EQ(bias[0], float(3.0 * (1.0 / 3.0)));
}

TEST(FoldIntoWeights, RejectsMismatchesWithClearErrorsAndLeavesWeightsAlone) {
  std::vector<float> w(48, 1.f), bias(8, 0.f);
  const std::vector<float> w0 = w, bias0 = bias;
  ops::ChannelAffine bn8;
  bn8.scale.assign(8, 2.0);
  bn8.shift.assign(8, 1.0);
  Dims dims = {8, 2, 3};  // conv [Cout 8, Cin/g 2, k 3]
  auto expect_error = [&](ops::WeightFoldArgs a, const ops::ChannelAffine& bn,
                          const std::string& fragment) {
    try {
      ops::fold_into_weights(a, bn);
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
    EXPECT_EQ(w, w0) << fragment;
    EXPECT_EQ(bias, bias0) << fragment;
  };
  ops::WeightFoldArgs ok;
  ok.weight = w.data(); ok.dims = dims.data(); ok.rank = 3; ok.bias = bias.data();
  auto a = ok; a.weight = nullptr; expect_error(a, bn8, "weight is null");
  a = ok; a.dims = nullptr; expect_error(a, bn8, "dims is null");
  a = ok; a.bias = nullptr; expect_error(a, bn8, "bias is null");
  a = ok; a.rank = 2; expect_error(a, bn8, "rank must be 3..5");
  a = ok; a.rank = 6; expect_error(a, bn8, "rank must be 3..5");
  a = ok; a.groups = 3; expect_error(a, bn8, "groups (3) must divide the output channels");
  a = ok; a.groups = 0; expect_error(a, bn8, "groups must be positive");
  // ConvTranspose [Cin 8, Cout/g 2, 3] with groups 3: 3 does not divide Cin.
  a = ok; a.layout = WeightLayout::conv_transpose; a.groups = 3;
  expect_error(a, bn8, "groups (3) must divide the input channels");
  // ConvTranspose groups 2: Cout = 2 * 2 = 4, not the 8 channels of bn.
  a = ok; a.layout = WeightLayout::conv_transpose; a.groups = 2;
  expect_error(a, bn8, "bn has 8 channels but the weight has 4 output channels");
  ops::ChannelAffine bn5;
  bn5.scale.assign(5, 1.0);
  bn5.shift.assign(5, 0.0);
  expect_error(ok, bn5, "bn has 5 channels but the weight has 8 output channels");
  ops::ChannelAffine ragged = bn8;
  ragged.shift.pop_back();
  expect_error(ok, ragged, "bn.shift has 7 channels");
  Dims mm = {6, 8};  // matmul_kn [K 6, N 8]
  a = ok; a.dims = mm.data(); a.rank = 2; a.layout = WeightLayout::matmul_kn;
  ops::fold_into_weights(a, bn8);  // sanity: this one is valid...
  w = w0; bias = bias0;
  a.layout = WeightLayout::matmul_nk;  // ...but as [N 6, K 8] it has 6 channels
  expect_error(a, bn8, "bn has 8 channels but the weight has 6 output channels");
  a.layout = WeightLayout::matmul_kn; a.rank = 3; expect_error(a, bn8, "rank must be 2");
  a.rank = 2; a.groups = 2; expect_error(a, bn8, "groups must be 1");
  a.groups = 1; mm[1] = 0; expect_error(a, bn8, "dims[1] must be positive");
  a.layout = static_cast<WeightLayout>(9); mm[1] = 8; expect_error(a, bn8, "layout");
}

}  // namespace
}  // namespace normrt::test
