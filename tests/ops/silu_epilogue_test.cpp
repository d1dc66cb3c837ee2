// The fused SiLU epilogue's special values through GroupNorm, both layouts,
// every ISA: a pre-activation of -inf gives NaN (as the unfused Sigmoid then
// Mul: -inf * 0), +inf gives +inf, a huge negative one gives -0, and a NaN or
// Inf input poisons its own (image, group) and nothing else.
#include <cmath>
#include <limits>

#include "normrt/ops/group_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Layout;

constexpr int64_t kN = 2, kC = 8, kSpatial = 37, kGroups = 4;  // odd spatial: vector tails
constexpr double kEps = 1e-5;

std::size_t index_of(Layout layout, int64_t i, int64_t ch, int64_t p) {
  return std::size_t(layout == Layout::nchw ? (i * kC + ch) * kSpatial + p
                                            : (i * kSpatial + p) * kC + ch);
}

// Double-precision GroupNorm + SiLU; IEEE arithmetic in double gives the
// special values by itself (a NaN or Inf in a group makes its mean or
// variance NaN; silu(-inf) = -inf / inf = NaN).
std::vector<double> reference(const std::vector<float>& x, Layout layout,
                              const std::vector<float>& gamma, const std::vector<float>& beta) {
  std::vector<double> y(x.size());
  constexpr int64_t cg = kC / kGroups;
  constexpr double count = double(cg * kSpatial);
  for (int64_t i = 0; i < kN; ++i) {
    for (int64_t g = 0; g < kGroups; ++g) {
      double mean = 0, var = 0;
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t p = 0; p < kSpatial; ++p) mean += x[index_of(layout, i, ch, p)];
      }
      mean /= count;
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t p = 0; p < kSpatial; ++p) {
          const double d = x[index_of(layout, i, ch, p)] - mean;
          var += d * d;
        }
      }
      const double rstd = 1.0 / std::sqrt(var / count + kEps);
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t p = 0; p < kSpatial; ++p) {
          const std::size_t k = index_of(layout, i, ch, p);
          const double v = (x[k] - mean) * rstd * gamma[std::size_t(ch)] + beta[std::size_t(ch)];
          y[k] = v / (1.0 + std::exp(-v));
        }
      }
    }
  }
  return y;
}

class SiluEpilogueTest : public IsaTest {};

TEST_P(SiluEpilogueTest, GroupNormSpecialValuesStayInTheirGroupOrChannel) {
  const float inf = std::numeric_limits<float>::infinity();
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    SCOPED_TRACE(layout == Layout::nchw ? "nchw" : "nhwc");
    Buffer x = random_buffer(std::size_t(kN * kC * kSpatial), 11);
    x[index_of(layout, 0, 2, 5)] = std::nanf("");  // image 0, group 1
    x[index_of(layout, 1, 5, 30)] = inf;           // image 1, group 2
    std::vector<float> gamma(kC, 1.f), beta(kC, 0.25f);
    gamma[0] = 1e30f;   // pre-activation about +-1e30: silu gives it back, or -0
    beta[6] = -inf;     // silu(-inf) = NaN
    beta[7] = inf;      // silu(+inf) = +inf
    const std::vector<double> want = reference(x.to_vector(), layout, gamma, beta);
    // The epilogue must not hide the cases this test is about.
    std::size_t nans = 0, infs = 0, neg_zeros = 0;
    for (double w : want) {
      nans += std::isnan(w);
      infs += std::isinf(w);
      neg_zeros += w == 0.0 && std::signbit(w);
    }
    ASSERT_EQ(nans, std::size_t(2 * 2 * kSpatial + 2 * kSpatial));  // two groups, channel 6 twice
    ASSERT_EQ(infs, std::size_t(2 * kSpatial));
    ASSERT_GT(neg_zeros, 0u);

    ops::GroupNormArgs a;
    a.n = kN; a.c = kC; a.spatial = kSpatial; a.groups = kGroups;
    a.layout = layout;
    a.gamma = gamma.data(); a.beta = beta.data();
    a.eps = float(kEps);
    a.act = ops::Activation::silu;
    a.x = x.data();
    Buffer y1(x.size()), y3(x.size());
    a.y = y1.data();
    ops::group_norm(a, exec(1));
    a.y = y3.data();
    ops::group_norm(a, exec(3));
    // Normalization error ~1e-6 relative (fp32 statistics and rounding),
    // silu's slope is at most 1.1; the 1e30 channel is covered by rtol.
    EXPECT_TRUE(all_close(y1.data(), want, 2e-5, 2e-5));
    for (std::size_t k = 0; k < want.size(); ++k) {
      if (want[k] == 0.0 && std::signbit(want[k])) {
        EXPECT_TRUE(y1[k] == 0.f && std::signbit(y1[k])) << "element " << k << ": " << y1[k];
      }
    }
    EXPECT_TRUE(bitwise_equal(y1.data(), y3.data(), x.size()));
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(SiluEpilogueTest);

}  // namespace
}  // namespace normrt::test
