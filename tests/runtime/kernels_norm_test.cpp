// The norm adapters (kernels/norm_*.cpp) against double-precision references
// written out here: ONNX attribute handling, parameter broadcasting, optional
// outputs, the fused-residual and activation variants, and errors.
#include <cmath>
#include <random>

#include "kernels_test_util.hpp"

namespace normrt::rt::test {
namespace {

std::vector<float> random_values(std::size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

// fp32 kernels against a double reference: the statistics and the affine map
// each cost a few roundings of values of magnitude ~1..10.
constexpr double kTol = 2e-5;

void expect_close(const std::vector<float>& got, const std::vector<double>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], kTol * std::max(1.0, std::fabs(want[i]))) << what << " at " << i;
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }

// Row statistics of `cols` values: mean and 1/sqrt(var + eps) (or RMS).
struct RowStats {
  double mean, inv_std;
};
RowStats row_stats(const double* x, std::size_t cols, double eps, bool rms) {
  double mean = 0, sq = 0;
  for (std::size_t j = 0; j < cols; ++j) mean += x[j];
  mean /= double(cols);
  for (std::size_t j = 0; j < cols; ++j) {
    const double d = rms ? x[j] : x[j] - mean;
    sq += d * d;
  }
  return {rms ? 0.0 : mean, 1.0 / std::sqrt(sq / double(cols) + eps)};
}

// ---- BatchNormalization / ChannelAffine --------------------------------------------

std::vector<double> batch_norm_ref(const std::vector<float>& x, int64_t n, int64_t c, int64_t sp,
                                   const std::vector<float>& g, const std::vector<float>& b,
                                   const std::vector<float>& m, const std::vector<float>& v,
                                   double eps) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t s = 0; s < sp; ++s) {
        const std::size_t k = std::size_t((i * c + ch) * sp + s);
        y[k] = (x[k] - m[ch]) / std::sqrt(v[ch] + eps) * g[ch] + b[ch];
      }
  return y;
}

KernelCase batch_norm_case(const Dims& dims, int64_t c, bool known, int opset = 15) {
  const auto count = std::size_t(element_count(dims, "x"));
  const auto uc = std::size_t(c);
  KernelCase k{"BatchNormalization"};
  k.opset = opset;
  k.in(f32(dims, random_values(count, 1)))
      .in(f32({c}, random_values(uc, 2)), known)
      .in(f32({c}, random_values(uc, 3)), known)
      .in(f32({c}, random_values(uc, 4, -1, 1)), known)
      .in(f32({c}, random_values(uc, 5, 0.1f, 3.0f)), known);
  return k;
}

TEST(NormKernels, BatchNormInferenceRanks) {
  struct S {
    Dims dims;
    int64_t n, c, sp;
  };
  for (const S& s : {S{{2, 3, 4, 5}, 2, 3, 20}, S{{4, 6}, 4, 6, 1}, S{{5}, 5, 1, 1}, S{{1, 2, 3, 2, 2}, 1, 2, 12}}) {
    for (bool known : {true, false}) {
      KernelCase k = batch_norm_case(s.dims, s.c, known);
      const auto r = run_kernel(k);
      EXPECT_EQ(r.infos[0].dims, s.dims);
      auto v = [&](std::size_t i) { return values<float>(*k.inputs[i]); };
      expect_close(values<float>(r.outputs[0]),
                   batch_norm_ref(v(0), s.n, s.c, s.sp, v(1), v(2), v(3), v(4), 1e-5),
                   known ? "known params" : "params per run");
    }
  }
}

TEST(NormKernels, BatchNormFoldsOnceOrPerRunWithTheSameBits) {
  const auto a = run_kernel(batch_norm_case({2, 8, 3, 3}, 8, true));
  auto in_place = batch_norm_case({2, 8, 3, 3}, 8, false);
  in_place.in_place = true;
  const auto b = run_kernel(in_place);
  EXPECT_EQ(b.in_place_input, 0);
  EXPECT_EQ(values<float>(a.outputs[0]), values<float>(b.outputs[0]));
}

TEST(NormKernels, BatchNormTrainingOutputs) {
  const int64_t n = 3, c = 2, sp = 4;
  KernelCase k = batch_norm_case({n, c, 2, 2}, c, true);
  k.attr("training_mode", int64_t(1)).attr("momentum", 0.8f).outs({true, true, true});
  const auto r = run_kernel(k);
  ASSERT_EQ(r.infos.size(), 3u);
  EXPECT_EQ(r.infos[1].dims, (Dims{c}));
  const auto x = values<float>(*k.inputs[0]);
  const auto rm = values<float>(*k.inputs[3]), rv = values<float>(*k.inputs[4]);
  std::vector<float> bm(2), bv(2);
  std::vector<double> want_m(2), want_v(2);
  for (int64_t ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < sp; ++s) mean += x[std::size_t((i * c + ch) * sp + s)];
    mean /= double(n * sp);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < sp; ++s) {
        const double d = x[std::size_t((i * c + ch) * sp + s)] - mean;
        var += d * d;
      }
    var /= double(n * sp);  // population variance
    bm[std::size_t(ch)] = float(mean);
    bv[std::size_t(ch)] = float(var);
    want_m[std::size_t(ch)] = rm[std::size_t(ch)] * 0.8 + mean * 0.2;
    want_v[std::size_t(ch)] = rv[std::size_t(ch)] * 0.8 + var * 0.2;
  }
  expect_close(values<float>(r.outputs[1]), want_m, "running mean");
  expect_close(values<float>(r.outputs[2]), want_v, "running var");
  auto y = batch_norm_ref(x, n, c, sp, values<float>(*k.inputs[1]), values<float>(*k.inputs[2]), bm, bv, 1e-5);
  expect_close(values<float>(r.outputs[0]), y, "training Y");
}

TEST(NormKernels, BatchNormAttributeErrors) {
  KernelCase k = batch_norm_case({2, 3, 2}, 3, true, 7);
  k.attr("spatial", int64_t(0));
  expect_error(k, "spatial");
  k = batch_norm_case({2, 3, 2}, 3, true);
  k.attr("epsilon", -1.0f);
  expect_error(k, "epsilon");
  k = batch_norm_case({2, 3, 2}, 3, true);
  k.inputs[1] = f32({4}, random_values(4, 9));
  expect_error(k, "does not broadcast");
  k = batch_norm_case({2, 3, 2}, 3, true);
  k.attr("activation", std::string("relu"));
  expect_error(k, "normrt domain");
}

TEST(NormKernels, FusedBatchNormReluAndChannelAffine) {
  KernelCase k = batch_norm_case({2, 4, 3}, 4, true);
  k.domain = "normrt";
  k.opset = 1;
  k.attr("activation", std::string("relu"));
  const auto r = run_kernel(k);
  auto v = [&](std::size_t i) { return values<float>(*k.inputs[i]); };
  auto want = batch_norm_ref(v(0), 2, 4, 3, v(1), v(2), v(3), v(4), 1e-5);
  for (double& w : want) w = std::max(w, 0.0);
  expect_close(values<float>(r.outputs[0]), want, "BN+ReLU");

  KernelCase a{"ChannelAffine", "normrt", 1};
  const auto x = random_values(24, 7);
  a.in(f32({2, 3, 4}, x)).in(f32({3}, {2, -1, 0.5f})).in(f32({3}, {1, 0, -3}), true);
  const auto ra = run_kernel(a);
  std::vector<double> wa(24);
  for (std::size_t i = 0; i < 24; ++i) {
    const std::size_t ch = (i / 4) % 3;
    wa[i] = x[i] * std::vector<double>{2, -1, 0.5}[ch] + std::vector<double>{1, 0, -3}[ch];
  }
  expect_close(values<float>(ra.outputs[0]), wa, "ChannelAffine");
}

// ---- LayerNorm family -------------------------------------------------------------

// LayerNorm / RMSNorm over rows x cols with per-column gamma/beta (dense).
std::vector<double> row_norm_ref(const std::vector<double>& x, std::size_t cols,
                                 const std::vector<float>& g, const std::vector<float>* b,
                                 double eps, bool rms, std::vector<RowStats>* stats = nullptr) {
  std::vector<double> y(x.size());
  for (std::size_t r = 0; r < x.size() / cols; ++r) {
    const RowStats st = row_stats(&x[r * cols], cols, eps, rms);
    if (stats) stats->push_back(st);
    for (std::size_t j = 0; j < cols; ++j)
      y[r * cols + j] = (x[r * cols + j] - st.mean) * st.inv_std * g[j] + (b ? (*b)[j] : 0.0);
  }
  return y;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST(NormKernels, LayerNormAxesStatsOutputsAndBroadcastScale) {
  const Dims dims{2, 3, 4};
  const auto x = random_values(24, 11);
  for (int64_t axis : {-1, 1, 0, -2}) {
    const std::size_t a = std::size_t(axis < 0 ? axis + 3 : axis);
    const Dims norm(dims.begin() + std::ptrdiff_t(a), dims.end());
    const auto cols = std::size_t(element_count(norm, "norm"));
    // Scale broadcast along all but the last dim ([4] or [1, 4]), bias dense.
    const auto g4 = random_values(4, 12);
    std::vector<float> g(cols), b = random_values(cols, 13);
    for (std::size_t j = 0; j < cols; ++j) g[j] = g4[j % 4];
    for (bool known : {true, false}) {
      KernelCase k{"LayerNormalization"};
      k.attr("axis", axis).outs({true, true, true});
      k.in(f32(dims, x)).in(f32(a == 2 ? Dims{4} : Dims{1, 4}, g4), known).in(f32(norm, b), known);
      const auto r = run_kernel(k);
      std::vector<RowStats> st;
      expect_close(values<float>(r.outputs[0]), row_norm_ref(to_double(x), cols, g, &b, 1e-5, false, &st), "LN Y");
      Dims stat_dims(dims.begin(), dims.begin() + std::ptrdiff_t(a));
      stat_dims.resize(3, 1);
      EXPECT_EQ(r.infos[1].dims, stat_dims);
      EXPECT_EQ(r.infos[2].dims, stat_dims);
      std::vector<double> means, invs;
      for (const RowStats& s : st) {
        means.push_back(s.mean);
        invs.push_back(s.inv_std);
      }
      expect_close(values<float>(r.outputs[1]), means, "LN Mean");
      expect_close(values<float>(r.outputs[2]), invs, "LN InvStdDev");
    }
  }
}

TEST(NormKernels, LayerNormErrors) {
  KernelCase k{"LayerNormalization"};
  k.attr("axis", int64_t(3)).in(f32({2, 3, 4}, random_values(24, 1))).in(f32({4}, random_values(4, 2)));
  expect_error(k, "axis 3 is out of range");
  k.attrs["axis"] = int64_t(-1);
  k.inputs[1] = f32({3}, random_values(3, 2));
  expect_error(k, "does not broadcast");
  k.inputs[1] = f32({4}, random_values(4, 2));
  k.attr("stash_type", int64_t(0));
  expect_error(k, "stash_type");
  KernelCase old = k;
  old.opset = 16;  // LayerNormalization is opset 17+
  EXPECT_THROW(run_kernel(old), Error);
}

TEST(NormKernels, RmsAndSimplifiedLayerNorm) {
  const auto x = random_values(30, 21);
  const auto g = random_values(10, 22);
  KernelCase rms{"RMSNormalization"};
  rms.opset = 23;
  rms.attr("epsilon", 1e-3f).in(f32({3, 10}, x)).in(f32({10}, g), true);
  const auto want = row_norm_ref(to_double(x), 10, g, nullptr, 1e-3, true);
  expect_close(values<float>(run_kernel(rms).outputs[0]), want, "RMSNormalization");

  for (const char* domain : {"", "com.microsoft"}) {
    KernelCase s{"SimplifiedLayerNormalization", domain, 1};
    s.attr("epsilon", 1e-3f).outs({true, true}).in(f32({3, 10}, x)).in(f32({10}, g));
    const auto r = run_kernel(s);
    expect_close(values<float>(r.outputs[0]), want, "Simplified Y");
    EXPECT_EQ(r.infos[1].dims, (Dims{3, 1}));
    std::vector<RowStats> st;
    row_norm_ref(to_double(x), 10, g, nullptr, 1e-3, true, &st);
    std::vector<double> inv;
    for (const RowStats& t : st) inv.push_back(t.inv_std);
    expect_close(values<float>(r.outputs[1]), inv, "Simplified inv_std_var");
  }
}

TEST(NormKernels, SkipLayerNormBroadcastSkipBiasAndSum) {
  const int64_t batch = 2, seq = 3, hidden = 8;
  const auto x = random_values(48, 31), skip = random_values(24, 32);
  const auto g = random_values(8, 33), be = random_values(8, 34), bias = random_values(8, 35);
  std::vector<double> s(48);
  for (std::size_t i = 0; i < 48; ++i) s[i] = double(x[i]) + skip[i % 24] + bias[i % 8];
  for (const char* domain : {"com.microsoft", ""}) {
    KernelCase k{"SkipLayerNormalization", domain, 1};
    k.outs({true, true, true, true})
        .in(f32({batch, seq, hidden}, x))
        .in(f32({seq, hidden}, skip))
        .in(f32({hidden}, g), true)
        .in(f32({hidden}, be))
        .in(f32({hidden}, bias));
    const auto r = run_kernel(k);
    std::vector<RowStats> st;
    // eps defaults to 1e-12 here.
    expect_close(values<float>(r.outputs[0]), row_norm_ref(s, 8, g, &be, 1e-12, false, &st), "SkipLN Y");
    expect_close(values<float>(r.outputs[3]), s, "SkipLN sum");
    EXPECT_EQ(r.infos[1].dims, (Dims{batch, seq, 1}));
    std::vector<double> means;
    for (const RowStats& t : st) means.push_back(t.mean);
    expect_close(values<float>(r.outputs[1]), means, "SkipLN mean");
  }

  KernelCase rms{"SkipSimplifiedLayerNormalization", "com.microsoft", 1};
  rms.outs({true, false, true, true}).attr("epsilon", 1e-5f)
      .in(f32({batch, seq, hidden}, x)).in(f32({1, seq, hidden}, skip)).in(f32({hidden}, g)).in(f32({hidden}, bias));
  const auto r = run_kernel(rms);
  expect_close(values<float>(r.outputs[0]), row_norm_ref(s, 8, g, nullptr, 1e-5, true), "SkipRMS Y");
  expect_close(values<float>(r.outputs[3]), s, "SkipRMS sum");

  rms.inputs[1] = f32({seq, 4}, random_values(12, 36));
  expect_error(rms, "skip");
}

TEST(NormKernels, FusedLayerNormSilu) {
  const auto x = random_values(12, 41), g = random_values(6, 42);
  KernelCase k{"LayerNormalization", "normrt", 1};
  k.attr("activation", std::string("silu")).in(f32({2, 6}, x)).in(f32({6}, g));
  auto want = row_norm_ref(to_double(x), 6, g, nullptr, 1e-5, false);
  for (double& w : want) w = silu(w);
  expect_close(values<float>(run_kernel(k).outputs[0]), want, "LN+SiLU");
  k.attrs["activation"] = std::string("gelu");
  expect_error(k, "activation");
}

// ---- GroupNorm / InstanceNorm / LRN --------------------------------------------------

// GroupNorm with per-channel gamma/beta (expand per-group ones before calling).
std::vector<double> group_norm_ref(const std::vector<float>& x, int64_t n, int64_t c, int64_t sp,
                                   int64_t groups, const std::vector<double>& g,
                                   const std::vector<double>& b, double eps) {
  std::vector<double> y(x.size());
  const int64_t cg = c / groups;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t gr = 0; gr < groups; ++gr) {
      const std::size_t base = std::size_t((i * c + gr * cg) * sp);
      const std::vector<double> block(x.begin() + std::ptrdiff_t(base), x.begin() + std::ptrdiff_t(base + std::size_t(cg * sp)));
      const RowStats st = row_stats(block.data(), block.size(), eps, false);
      for (int64_t k = 0; k < cg * sp; ++k) {
        const auto ch = std::size_t(gr * cg + k / sp);
        y[base + std::size_t(k)] = (block[std::size_t(k)] - st.mean) * st.inv_std * g[ch] + b[ch];
      }
    }
  return y;
}

TEST(NormKernels, GroupNormOpset18PerGroupAnd21PerChannel) {
  const int64_t n = 2, c = 6, groups = 3, sp = 4;
  const auto x = random_values(std::size_t(n * c * sp), 51);
  const auto gg = random_values(3, 52), bg = random_values(3, 53);
  const auto gc = random_values(6, 54), bc = random_values(6, 55);
  std::vector<double> gexp(6), bexp(6);
  for (std::size_t ch = 0; ch < 6; ++ch) {
    gexp[ch] = gg[ch / 2];
    bexp[ch] = bg[ch / 2];
  }
  KernelCase k18{"GroupNormalization"};
  k18.opset = 18;
  k18.attr("num_groups", groups).in(f32({n, c, 2, 2}, x)).in(f32({3}, gg), true).in(f32({3}, bg), true);
  expect_close(values<float>(run_kernel(k18).outputs[0]), group_norm_ref(x, n, c, sp, groups, gexp, bexp, 1e-5), "GN-18");

  KernelCase k21{"GroupNormalization"};
  k21.opset = 21;
  k21.attr("num_groups", groups).in(f32({n, c, 2, 2}, x)).in(f32({6}, gc)).in(f32({6}, bc));
  expect_close(values<float>(run_kernel(k21).outputs[0]),
               group_norm_ref(x, n, c, sp, groups, to_double(gc), to_double(bc), 1e-5), "GN-21");

  // Opset 18 with per-channel parameters is a shape error.
  k18.inputs[1] = f32({6}, gc);
  expect_error(k18, "does not broadcast");
  k21.attrs["num_groups"] = int64_t(4);
  expect_error(k21, "num_groups 4");
}

TEST(NormKernels, FusedGroupNormSiluTakesEitherParameterShape) {
  const int64_t n = 1, c = 4, groups = 2, sp = 6;
  const auto x = random_values(24, 61), gc = random_values(4, 62), bc = random_values(4, 63);
  KernelCase k{"GroupNormalization", "normrt", 1};
  k.attr("num_groups", groups).attr("activation", std::string("silu"))
      .in(f32({n, c, sp}, x)).in(f32({4}, gc)).in(f32({4}, bc));
  auto want = group_norm_ref(x, n, c, sp, groups, to_double(gc), to_double(bc), 1e-5);
  for (double& w : want) w = silu(w);
  expect_close(values<float>(run_kernel(k).outputs[0]), want, "GN+SiLU");
}

TEST(NormKernels, InstanceNorm) {
  const int64_t n = 2, c = 3, sp = 10;
  const auto x = random_values(60, 71, 100.0f, 101.0f);  // a large mean keeps its digits
  const auto g = random_values(3, 72), b = random_values(3, 73);
  KernelCase k{"InstanceNormalization"};
  k.opset = 6;
  k.attr("epsilon", 1e-4f).in(f32({n, c, sp}, x)).in(f32({c}, g), true).in(f32({c}, b), true);
  expect_close(values<float>(run_kernel(k).outputs[0]),
               group_norm_ref(x, n, c, sp, c, to_double(g), to_double(b), 1e-4), "InstanceNorm");
  k.inputs[0] = f32({2, 3}, random_values(6, 1));
  expect_error(k, "rank >= 3");
}

std::vector<double> lrn_ref(const std::vector<float>& x, int64_t n, int64_t c, int64_t sp,
                            int64_t size, double alpha, double beta, double bias) {
  std::vector<double> y(x.size());
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t s = 0; s < sp; ++s) {
        double sum = 0;
        for (int64_t k = std::max<int64_t>(0, ch - before); k <= std::min(c - 1, ch + after); ++k) {
          const double v = x[std::size_t((i * c + k) * sp + s)];
          sum += v * v;
        }
        const std::size_t at = std::size_t((i * c + ch) * sp + s);
        y[at] = x[at] / std::pow(bias + alpha / double(size) * sum, beta);
      }
  return y;
}

TEST(NormKernels, LrnOddAndEvenSizes) {
  const int64_t n = 2, c = 7, sp = 6;
  const auto x = random_values(std::size_t(n * c * sp), 81, -5.0f, 5.0f);
  for (int64_t size : {5, 3, 2, 4}) {
    KernelCase k{"LRN"};
    k.opset = 13;
    k.attr("size", size).attr("alpha", 0.02f).attr("beta", 0.75f).attr("bias", 2.0f)
        .in(f32({n, c, 2, 3}, x));
    expect_close(values<float>(run_kernel(k).outputs[0]), lrn_ref(x, n, c, sp, size, 0.02, 0.75, 2.0), "LRN");
  }
  KernelCase bad{"LRN"};
  bad.opset = 13;
  bad.in(f32({1, 2, 1}, {1, 2}));
  expect_error(bad, "'size' is required");
}

}  // namespace
}  // namespace normrt::rt::test
