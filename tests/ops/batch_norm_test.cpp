// BatchNorm inference: folding the statistics (fold_batch_norm) and applying
// the per-channel affine (batch_norm_apply), against double-precision references.
#include <limits>

#include "normrt/ops/batch_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Activation;
using ops::Layout;

// Index of (image, channel, position) in either layout.
int64_t at(Layout layout, int64_t c, int64_t spatial, int64_t i, int64_t ch, int64_t s) {
  return layout == Layout::nchw ? (i * c + ch) * spatial + s : (i * spatial + s) * c + ch;
}

double activate_ref(double v, Activation act) {
  if (act == Activation::relu) return v > 0 ? v : 0.0;
  if (act == Activation::silu) return v / (1.0 + std::exp(-v));
  return v;
}

struct Problem {
  int64_t n, c, spatial;
  Layout layout;
  Activation act;
};

// Checks y against act(x * scale + shift) in double. Bound: the kernel's float
// result is at most two roundings (fma, or mul + add on the scalar path) away,
// i.e. 2^-23 of (|x * scale| + |shift|); silu adds exp and a division (a few
// ulp of |v|, and silu' <= 1.1), so it gets 4x that.
::testing::AssertionResult check_apply(const Problem& p, const float* x, const float* y,
                                       const float* scale, const float* shift) {
  const double ulp = std::ldexp(1.0, -23) * (p.act == Activation::silu ? 4 : 1);
  for (int64_t i = 0; i < p.n; ++i) {
    for (int64_t ch = 0; ch < p.c; ++ch) {
      for (int64_t s = 0; s < p.spatial; ++s) {
        const int64_t k = at(p.layout, p.c, p.spatial, i, ch, s);
        const double prod = double(x[k]) * scale[ch];
        const double want = activate_ref(prod + shift[ch], p.act);
        const double tol = ulp * (std::fabs(prod) + std::fabs(double(shift[ch])));
        if (!(std::fabs(double(y[k]) - want) <= tol)) {
          return ::testing::AssertionFailure()
                 << "n " << i << " c " << ch << " s " << s << ": got " << y[k] << ", want "
                 << want << " (tol " << tol << ")";
        }
      }
    }
  }
  return ::testing::AssertionSuccess();
}

ops::BatchNormArgs make_args(const Problem& p, const float* x, float* y, const float* scale,
                             const float* shift) {
  ops::BatchNormArgs a;
  a.x = x; a.y = y; a.n = p.n; a.c = p.c; a.spatial = p.spatial;
  a.layout = p.layout; a.scale = scale; a.shift = shift; a.act = p.act;
  return a;
}

class BatchNormTest : public IsaTest {};

TEST_P(BatchNormTest, EveryShapeLayoutAndActivation) {
  for (int64_t n : {1, 3}) {
    for (int64_t c : {1, 3, 7, 17, 33, 64}) {
      const Buffer scale = random_buffer(std::size_t(c), uint32_t(c), -2.f, 2.f);
      const Buffer shift = random_buffer(std::size_t(c), uint32_t(c + 1), -1.f, 1.f);
      for (int64_t spatial = 1; spatial <= 70; ++spatial) {
        const auto total = std::size_t(n * c * spatial);
        const Buffer x = random_buffer(total, uint32_t(spatial * 131 + c));
        for (Layout layout : {Layout::nchw, Layout::nhwc}) {
          for (Activation act : {Activation::none, Activation::relu, Activation::silu}) {
            const Problem p{n, c, spatial, layout, act};
            Buffer y(total);
            ops::batch_norm_apply(make_args(p, x.data(), y.data(), scale.data(), shift.data()),
                                  exec());
            ASSERT_TRUE(check_apply(p, x.data(), y.data(), scale.data(), shift.data()))
                << n << "x" << c << "x" << spatial << (layout == Layout::nchw ? " nchw" : " nhwc")
                << " act " << int(act);
          }
        }
      }
    }
  }
}

TEST_P(BatchNormTest, RankTwoToFiveShapes) {
  // spatial = product of the dims after C: rank 2 (none), 3 (L), 4 (H, W), 5 (D, H, W),
  // including the ResNet tails 7x7 and 14x14.
  const std::vector<std::vector<int64_t>> shapes = {
      {16, 24}, {2, 5, 9}, {1, 17, 7, 7}, {2, 33, 14, 14}, {1, 7, 3, 5, 6}, {2, 3, 4, 4, 4}};
  for (const auto& dims : shapes) {
    int64_t spatial = 1;
    for (std::size_t d = 2; d < dims.size(); ++d) spatial *= dims[d];
    const int64_t n = dims[0], c = dims[1];
    const auto total = std::size_t(n * c * spatial);
    const Buffer x = random_buffer(total, uint32_t(total));
    const Buffer scale = random_buffer(std::size_t(c), 5, -2.f, 2.f);
    const Buffer shift = random_buffer(std::size_t(c), 6);
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      const Problem p{n, c, spatial, layout, Activation::relu};
      Buffer y(total);
      ops::batch_norm_apply(make_args(p, x.data(), y.data(), scale.data(), shift.data()), exec());
      EXPECT_TRUE(check_apply(p, x.data(), y.data(), scale.data(), shift.data()))
          << "rank " << dims.size();
    }
  }
}

TEST_P(BatchNormTest, InPlaceMatchesOutOfPlace) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const Problem p{3, 17, 45, layout, Activation::relu};
    const auto total = std::size_t(p.n * p.c * p.spatial);
    Buffer x = random_buffer(total, 7), y(total);
    const Buffer scale = random_buffer(std::size_t(p.c), 8), shift = random_buffer(std::size_t(p.c), 9);
    ops::batch_norm_apply(make_args(p, x.data(), y.data(), scale.data(), shift.data()), exec());
    ops::batch_norm_apply(make_args(p, x.data(), x.data(), scale.data(), shift.data()), exec());
    EXPECT_TRUE(bitwise_equal(x.data(), y.data(), total));
  }
}

// Outputs of 10 MiB and more on one thread take the non-temporal store path
// (stream_pure_output): NCHW planes of any size into any y (flat_planes: a
// long odd plane, 14x14 and 7x7, vectors across plane boundaries, y 4 bytes
// off a line), NHWC rows of whole lines into a line-aligned y; in place too
// (then NHWC stays cached: Buffer is never aligned). Checked like every
// other shape.
TEST_P(BatchNormTest, StreamedLargeOutputs) {
  struct Case {
    Layout layout;
    int64_t c, spatial;
  };
  for (const Case& k : {Case{Layout::nchw, 35, 40009}, Case{Layout::nchw, 7200, 196},
                        Case{Layout::nchw, 28800, 49}, Case{Layout::nhwc, 64, 22000}}) {
    const Problem p{2, k.c, k.spatial, k.layout, Activation::relu};  // 11.2-11.3 MB of y
    const auto total = std::size_t(p.n * p.c * p.spatial);
    Buffer x = random_buffer(total, 17);
    const Buffer scale = random_buffer(std::size_t(p.c), 18, -2.f, 2.f);
    const Buffer shift = random_buffer(std::size_t(p.c), 19);
    const std::string what = std::string(k.layout == Layout::nchw ? "nchw" : "nhwc") +
                             " spatial " + std::to_string(k.spatial);
    Buffer y(total);
    LineAlignedBuffer aligned_y(total);
    float* out = k.layout == Layout::nhwc ? aligned_y.data() : y.data();
    ops::batch_norm_apply(make_args(p, x.data(), out, scale.data(), shift.data()), exec(1));
    ASSERT_TRUE(check_apply(p, x.data(), out, scale.data(), shift.data())) << what;
    ops::batch_norm_apply(make_args(p, x.data(), x.data(), scale.data(), shift.data()), exec(1));
    EXPECT_TRUE(bitwise_equal(x.data(), out, total)) << what;
  }
}

TEST_P(BatchNormTest, NanAndInfStayInTheirElement) {
  // Every activation too: a NaN must survive ReLU (max(NaN, 0) is 0 on x86 if
  // the operands are taken in the wrong order).
  for (Activation act : {Activation::none, Activation::relu, Activation::silu})
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const Problem p{2, 5, 19, layout, act};
    const auto total = std::size_t(p.n * p.c * p.spatial);
    Buffer x = random_buffer(total, 10), y(total);
    const Buffer scale = random_buffer(std::size_t(p.c), 11, 0.5f, 1.5f);
    const Buffer shift = random_buffer(std::size_t(p.c), 12);
    const int64_t nan_at = at(layout, p.c, p.spatial, 1, 2, 7);
    const int64_t inf_at = at(layout, p.c, p.spatial, 0, 4, 18);
    x[std::size_t(nan_at)] = std::numeric_limits<float>::quiet_NaN();
    x[std::size_t(inf_at)] = std::numeric_limits<float>::infinity();
    ops::batch_norm_apply(make_args(p, x.data(), y.data(), scale.data(), shift.data()), exec());
    for (int64_t k = 0; k < int64_t(total); ++k) {
      if (k == nan_at) EXPECT_TRUE(std::isnan(y[std::size_t(k)]));
      else if (k == inf_at) EXPECT_TRUE(std::isinf(y[std::size_t(k)]));
      else EXPECT_TRUE(std::isfinite(y[std::size_t(k)])) << k;
    }
  }
}

TEST_P(BatchNormTest, BitwiseIdenticalForAnyThreadCount) {
  // Big enough for plan_threads to use 8 threads. NCHW planes are one flat
  // sweep (flat_planes) whose vectors cross plane boundaries and whose
  // thread ranges start anywhere in a vector; 3x3 planes (shorter than a
  // vector) a loop per plane. SiLU: an element done in scalar code would
  // round differently.
  for (int64_t spatial : {int64_t(28 * 28), int64_t(14 * 14), int64_t(7 * 7), int64_t(5 * 5),
                          int64_t(3 * 3)})
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const Problem p{16, 64, spatial, layout, Activation::silu};
    const auto total = std::size_t(p.n * p.c * p.spatial);
    const Buffer x = random_buffer(total, 13);
    const Buffer scale = random_buffer(std::size_t(p.c), 14), shift = random_buffer(std::size_t(p.c), 15);
    // Buffer's copy does not keep the misaligned offset: compare against a vector.
    std::vector<float> first;
    for (int threads : invariance_thread_counts()) {
      Buffer y(total);
      ops::batch_norm_apply(make_args(p, x.data(), y.data(), scale.data(), shift.data()),
                            exec(threads));
      if (threads == 1) first = y.to_vector();
      EXPECT_TRUE(bitwise_equal(first.data(), y.data(), total))
          << threads << " threads, spatial " << spatial;
    }
  }
}

TEST_P(BatchNormTest, FoldThenApplyMatchesOnnxFormula) {
  // ONNX: y = (x - mean) / sqrt(var + eps) * gamma + beta, in double.
  const int64_t n = 2, c = 7, spatial = 13;
  const Buffer gamma = random_buffer(c, 16, 0.5f, 2.f), beta = random_buffer(c, 17);
  const Buffer mean = random_buffer(c, 18), var = random_buffer(c, 19, 0.01f, 3.f);
  ops::BatchNormParams bp;
  bp.channels = c; bp.gamma = gamma.data(); bp.beta = beta.data();
  bp.mean = mean.data(); bp.var = var.data();
  const ops::ChannelAffine f = ops::fold_batch_norm(bp);
  const std::vector<float> scale = f.scale_f32(), shift = f.shift_f32();
  const auto total = std::size_t(n * c * spatial);
  const Buffer x = random_buffer(total, 20);
  Buffer y(total);
  const Problem p{n, c, spatial, Layout::nchw, Activation::none};
  ops::batch_norm_apply(make_args(p, x.data(), y.data(), scale.data(), shift.data()), exec());
  std::vector<double> want(total);
  for (std::size_t k = 0; k < total; ++k) {
    const auto ch = std::size_t(int64_t(k) / spatial % c);
    want[k] = (double(x[k]) - mean[ch]) / std::sqrt(double(var[ch]) + double(1e-5f)) * gamma[ch] +
              beta[ch];
  }
  // scale and shift rounded once each (1/2 ulp), then the fma: a few ulp of
  // |x * scale| + |shift| <= ~60 here (ulp(64) = 7.6e-6).
  EXPECT_TRUE(all_close(y.data(), want, 3e-5, 0));
}

TEST_P(BatchNormTest, RejectsBadArgumentsWithoutWriting) {
  Buffer x(24, 1.f), y(24), scale(3, 1.f), shift(3);
  auto expect_error = [&](ops::BatchNormArgs a, const std::string& fragment) {
    try {
      ops::batch_norm_apply(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  ops::BatchNormArgs ok;
  ok.x = x.data(); ok.y = y.data(); ok.n = 2; ok.c = 3; ok.spatial = 4;
  ok.scale = scale.data(); ok.shift = shift.data();
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.scale = nullptr; expect_error(a, "scale is null");
  a = ok; a.shift = nullptr; expect_error(a, "shift is null");
  a = ok; a.n = 0; expect_error(a, "n must be positive");
  a = ok; a.c = -1; expect_error(a, "c must be positive");
  a = ok; a.spatial = 0; expect_error(a, "spatial must be positive");
  a = ok; a.n = int64_t(1) << 30; a.spatial = int64_t(1) << 40; expect_error(a, "overflows");
  a = ok; a.layout = static_cast<Layout>(7); expect_error(a, "layout");
  a = ok; a.act = static_cast<Activation>(9); expect_error(a, "act");
  a = ok; a.y = x.data() + 1; expect_error(a, "overlaps");
  for (int i = 0; i < 24; ++i) EXPECT_EQ(y[std::size_t(i)], 0.f) << "wrote output before failing";
}

// ---- fold_batch_norm -------------------------------------------------------

TEST(BatchNormFold, DoubleResultIsExactAndFloatsRoundOnce) {
  const int64_t c = 33;
  const Buffer gamma = random_buffer(c, 21, -3.f, 3.f), beta = random_buffer(c, 22);
  const Buffer mean = random_buffer(c, 23, -50.f, 50.f), var = random_buffer(c, 24, 0.f, 10.f);
  ops::BatchNormParams bp;
  bp.channels = c; bp.gamma = gamma.data(); bp.beta = beta.data();
  bp.mean = mean.data(); bp.var = var.data(); bp.eps = 1e-3f;
  const ops::ChannelAffine f = ops::fold_batch_norm(bp);
  const std::vector<float> s32 = f.scale_f32(), b32 = f.shift_f32();
  ASSERT_EQ(f.scale.size(), std::size_t(c));
  for (std::size_t k = 0; k < std::size_t(c); ++k) {
    // Reference in long double: the double fold must be within ~1 double ulp.
    const long double s = (long double)gamma[k] / std::sqrt((long double)var[k] + (long double)1e-3f);
    const long double b = (long double)beta[k] - (long double)mean[k] * s;
    EXPECT_NEAR(f.scale[k], double(s), 4e-16 * std::fabs(double(s))) << k;
    EXPECT_NEAR(f.shift[k], double(b), 4e-16 * (std::fabs(double(b)) + std::fabs(mean[k] * double(s))))
        << k;
    // The float copies are the double values rounded once (not recomputed in float).
    EXPECT_EQ(s32[k], float(f.scale[k])) << k;
    EXPECT_EQ(b32[k], float(f.shift[k])) << k;
  }
}

TEST(BatchNormFold, NullGammaBetaMeanOneAndZero) {
  const float mean[] = {2.f, -1.f}, var[] = {4.f, 0.25f};
  ops::BatchNormParams bp;
  bp.channels = 2; bp.mean = mean; bp.var = var; bp.eps = 0.f;
  const ops::ChannelAffine f = ops::fold_batch_norm(bp);
  EXPECT_EQ(f.scale[0], 0.5); EXPECT_EQ(f.shift[0], -1.0);
  EXPECT_EQ(f.scale[1], 2.0); EXPECT_EQ(f.shift[1], 2.0);
}

TEST(BatchNormFold, RejectsBadParametersNamingThem) {
  float mean[] = {0.f, 1.f, 2.f}, var[] = {1.f, 1.f, 1.f}, gamma[] = {1.f, 1.f, 1.f};
  auto expect_error = [&](ops::BatchNormParams p, const std::string& fragment) {
    try {
      ops::fold_batch_norm(p);
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  ops::BatchNormParams ok;
  ok.channels = 3; ok.mean = mean; ok.var = var; ok.gamma = gamma;
  auto p = ok; p.channels = 0; expect_error(p, "channels must be positive");
  p = ok; p.mean = nullptr; expect_error(p, "mean is null");
  p = ok; p.var = nullptr; expect_error(p, "var is null");
  p = ok; p.eps = -1e-5f; expect_error(p, "eps");
  p = ok; p.eps = std::numeric_limits<float>::infinity(); expect_error(p, "eps");
  var[2] = -0.5f; expect_error(ok, "var[2] is negative");
  var[2] = std::numeric_limits<float>::quiet_NaN(); expect_error(ok, "var[2] is not finite");
  var[2] = 1.f;
  gamma[1] = std::numeric_limits<float>::infinity(); expect_error(ok, "gamma[1]");
  gamma[1] = 1.f;
  mean[0] = std::numeric_limits<float>::quiet_NaN(); expect_error(ok, "mean[0]");
  mean[0] = 0.f;
  var[1] = 0.f; p = ok; p.eps = 0.f; expect_error(p, "var[1] + eps is zero");
}

NORMRT_INSTANTIATE_ISA_TESTS(BatchNormTest);

}  // namespace
}  // namespace normrt::test
