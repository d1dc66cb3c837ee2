// simd::Vec::exp_fast (the SiLU epilogue's exp) against std::exp in double:
// the documented bound of FastExp (<= 2 ulp on [-87.33, 88.37], +inf above,
// 0 below, NaN kept), on the portable path and the baseline vector ISA this
// test is compiled for; then SiLU itself on every ISA through BatchNorm with
// scale 1 and shift 0 (y = silu(x), nothing else rounds).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "normrt/ops/batch_norm.hpp"
#include "normrt/simd/vec.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using simd::FastExp;

// |got - want| in units of the float spacing at want.
double ulps(float got, double want) {
  const double spacing = std::ldexp(1.0, std::ilogb(float(want)) - 23);
  return std::fabs(double(got) - want) / spacing;
}

// Inputs spread over the whole finite range, with the ends and 0 exactly.
std::vector<float> sweep() {
  std::vector<float> xs;
  constexpr int kSteps = 400000;
  for (int i = 0; i <= kSteps; ++i) {
    xs.push_back(float(FastExp::lo + (double(FastExp::hi) - FastExp::lo) * i / kSteps));
  }
  for (float x : {0.f, -0.f, 1e-30f, -1e-30f, 1.f, -1.f, FastExp::lo, FastExp::hi}) xs.push_back(x);
  return xs;
}

template <class V>
std::vector<float> exp_of(const std::vector<float>& xs) {
  constexpr std::size_t W = V::width;
  std::vector<float> out(xs.size() + W);
  std::vector<float> in(xs.begin(), xs.end());
  in.resize(xs.size() + W, 0.f);
  for (std::size_t i = 0; i < xs.size(); i += W) V::store(&out[i], V::exp_fast(V::load(&in[i])));
  out.resize(xs.size());
  return out;
}

template <class V>
void check_exp_bound() {
  const std::vector<float> xs = sweep();
  const std::vector<float> ys = exp_of<V>(xs);
  double worst = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double u = ulps(ys[i], std::exp(double(xs[i])));
    worst = std::max(worst, u);
    ASSERT_LE(u, 2.0) << "x = " << xs[i] << " exp_fast = " << ys[i];
  }
  EXPECT_GT(worst, 0.0);  // the sweep did compare something inexact
  // Outside the range the input saturates at the ends (no inf, no 0).
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> edges = {0.f, 89.f, inf, -88.f, -inf, std::nanf(""), FastExp::hi,
                                    FastExp::lo};
  const std::vector<float> e = exp_of<V>(edges);
  EXPECT_EQ(e[0], 1.f);
  EXPECT_EQ(e[1], e[6]);
  EXPECT_EQ(e[2], e[6]);
  EXPECT_GT(e[6], 2.3e38f);
  EXPECT_EQ(e[3], e[7]);
  EXPECT_EQ(e[4], e[7]);
  EXPECT_NEAR(e[7], std::numeric_limits<float>::min(), 1e-5 * std::numeric_limits<float>::min());
  EXPECT_TRUE(std::isnan(e[5]));
}

TEST(FastExp, PortablePathWithinTwoUlp) { check_exp_bound<simd::Vec<simd::scalar_arch>>(); }

TEST(FastExp, BaselineVectorPathWithinTwoUlp) {
  check_exp_bound<simd::Vec<xsimd::default_arch>>();
}

// Vec::rsqrt (LRN's d^-0.5 and d^-0.75): estimate + Newton within 3 ulp of
// 1 / sqrt in double, over 60 binades (x86: 1.5 (1.5 * 2^-12)^2 = 1.7 ulp
// from the one Newton step, plus its roundings).
template <class V>
void check_rsqrt_bound() {
  constexpr std::size_t W = V::width;
  std::vector<float> xs;
  for (int i = 0; i <= 200000; ++i) xs.push_back(float(std::pow(10.0, -30.0 + 60.0 * i / 200000)));
  xs.resize((xs.size() + W - 1) / W * W, 1.f);
  double worst = 0.0;
  for (std::size_t i = 0; i < xs.size(); i += W) {
    float out[W];
    V::store(out, V::rsqrt(V::load(&xs[i])));
    for (std::size_t l = 0; l < W; ++l) {
      const double u = ulps(out[l], 1.0 / std::sqrt(double(xs[i + l])));
      worst = std::max(worst, u);
      ASSERT_LE(u, 3.0) << "x = " << xs[i + l] << " rsqrt = " << out[l];
    }
  }
  EXPECT_GT(worst, 0.0);
}

TEST(VecRsqrt, PortablePathWithinThreeUlp) { check_rsqrt_bound<simd::Vec<simd::scalar_arch>>(); }

TEST(VecRsqrt, BaselineVectorPathWithinThreeUlp) {
  check_rsqrt_bound<simd::Vec<xsimd::default_arch>>();
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }

class FastSiluTest : public IsaTest {};

// silu = x / (1 + e^-x): the exp's relative error reaches the result scaled
// by e^-x / (1 + e^-x) <= 1, plus the add and the division: 4 ulp. Below
// x = -88.3 e^-x saturates at 2.4e38, so y = x / 2.4e38 where the true
// result is under 5e-37 in magnitude: there the check is |y| <= |x| * 5e-39.
TEST_P(FastSiluTest, SiluWithinFourUlpOnEveryIsa) {
  std::vector<float> xs;
  for (int i = -20000; i <= 20000; ++i) xs.push_back(float(i) * 0.005f);  // [-100, 100]
  for (float x : {-1e30f, 1e30f, 1e-30f, -1e-30f, 0.f}) xs.push_back(x);
  const auto n = int64_t(xs.size());
  Buffer x(static_cast<std::size_t>(n)), y(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < xs.size(); ++i) x[i] = xs[i];
  const float one = 1.f, zero = 0.f;
  ops::BatchNormArgs a;
  a.x = x.data(); a.y = y.data();
  a.n = 1; a.c = 1; a.spatial = n;
  a.scale = &one; a.shift = &zero;
  a.act = ops::Activation::silu;
  ops::batch_norm_apply(a, exec(1));
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double want = silu(double(xs[i]));
    if (xs[i] < -88.3f) {
      EXPECT_LE(std::fabs(double(y[i])), std::fabs(double(xs[i])) * 5e-39) << "x = " << xs[i];
    } else if (want != 0.0) {
      ASSERT_LE(ulps(y[i], want), 4.0) << "x = " << xs[i] << " silu = " << y[i];
    } else {
      EXPECT_EQ(y[i], 0.f);
    }
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(FastSiluTest);

}  // namespace
}  // namespace normrt::test
