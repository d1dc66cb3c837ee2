// LayerNorm over the channels of NCHW / NHWC (ConvNeXt) against a
// double-precision scalar reference.
#include <limits>

#include "normrt/ops/layer_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

struct ChannelRef {
  std::vector<double> y, mean, rstd;
};

// Independent reference on NCHW: for every (image, position) the textbook
// two-pass mean and variance over the c channels, in double.
ChannelRef reference_nchw(const std::vector<float>& x, int64_t n, int64_t c, int64_t hw,
                          const float* gamma, const float* beta, double eps) {
  ChannelRef r;
  r.y.resize(x.size());
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < hw; ++p) {
      auto at = [&](int64_t ch) { return (i * c + ch) * hw + p; };
      double mean = 0;
      for (int64_t ch = 0; ch < c; ++ch) mean += x[at(ch)];
      mean /= double(c);
      double var = 0;
      for (int64_t ch = 0; ch < c; ++ch) var += (x[at(ch)] - mean) * (x[at(ch)] - mean);
      var /= double(c);
      const double rstd = 1.0 / std::sqrt(var + eps);
      r.mean.push_back(mean);
      r.rstd.push_back(rstd);
      for (int64_t ch = 0; ch < c; ++ch) {
        const double g = gamma ? gamma[ch] : 1.0, b = beta ? beta[ch] : 0.0;
        r.y[at(ch)] = (x[at(ch)] - mean) * rstd * g + b;
      }
    }
  }
  return r;
}

class ChannelLayerNormTest : public IsaTest {
 protected:
  ops::ChannelLayerNormArgs args(const Buffer& x, Buffer& y, int64_t n, int64_t c, int64_t hw) {
    ops::ChannelLayerNormArgs a;
    a.x = x.data(); a.y = y.data(); a.n = n; a.c = c; a.spatial = hw;
    return a;
  }
};

TEST_P(ChannelLayerNormTest, MatchesReferenceOverShapesAndTails) {
  // Positions 1..70 cover every vector tail and a task boundary (64 positions);
  // c from 1 (y = beta) to 96 (ConvNeXt) crosses the 32-channel fp32 chunks.
  for (int64_t c : {1, 3, 33, 96}) {
    for (int64_t hw : {1, 7, 16, 17, 64, 70}) {
      for (bool affine : {false, true}) {
        const int64_t n = 2, count = n * c * hw;
        Buffer x = random_buffer(std::size_t(count), uint32_t(c * 100 + hw));
        Buffer g = random_buffer(std::size_t(c), 11, 0.5f, 1.5f), b = random_buffer(std::size_t(c), 12);
        Buffer y(static_cast<std::size_t>(count)), mean(static_cast<std::size_t>(n * hw)),
            rstd(static_cast<std::size_t>(n * hw));
        ops::ChannelLayerNormArgs a = args(x, y, n, c, hw);
        a.gamma = affine ? g.data() : nullptr; a.beta = affine ? b.data() : nullptr;
        a.mean = mean.data(); a.inv_std_dev = rstd.data();
        ops::layer_norm_channels(a, exec());
        const ChannelRef ref = reference_nchw(x.to_vector(), n, c, hw, a.gamma, a.beta, 1e-5);
        // fp32 lane sums over <= 96 shifted values: a few ulp of the output scale.
        ASSERT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << c << " ch, " << hw << " pos";
        ASSERT_TRUE(all_close(mean.data(), ref.mean, 1e-6, 1e-6)) << c << " ch, " << hw << " pos";
        ASSERT_TRUE(all_close(rstd.data(), ref.rstd, 0, 2e-6)) << c << " ch, " << hw << " pos";
      }
    }
  }
}

TEST_P(ChannelLayerNormTest, NhwcEqualsRowLayerNormOfTheTransposedTensor) {
  const int64_t n = 2, c = 24, hw = 13;
  Buffer x = random_buffer(n * c * hw, 3), g = random_buffer(c, 4), b = random_buffer(c, 5);
  // x_nhwc[i, p, ch] = x_nchw[i, ch, p]
  Buffer xt(n * c * hw), yt(n * c * hw), y(n * c * hw);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p) xt[(i * hw + p) * c + ch] = x[(i * c + ch) * hw + p];
  ops::ChannelLayerNormArgs a = args(xt, yt, n, c, hw);
  a.layout = ops::Layout::nhwc; a.gamma = g.data(); a.beta = b.data();
  ops::layer_norm_channels(a, exec());
  const ChannelRef ref = reference_nchw(x.to_vector(), n, c, hw, g.data(), b.data(), 1e-5);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p) y[(i * c + ch) * hw + p] = yt[(i * hw + p) * c + ch];
  EXPECT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5));
}

TEST_P(ChannelLayerNormTest, ConstantPositionGivesBetaAndLargeMeanKeepsDigits) {
  const int64_t c = 96, hw = 40;
  Buffer x(c * hw), y(c * hw), b = random_buffer(c, 9), g = random_buffer(c, 10);
  std::mt19937 rng(7);
  std::normal_distribution<double> dist(1e5, 1e-2);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t p = 0; p < hw; ++p) {
      // Even positions: constant 123456.789 over the channels; odd: mean 1e5, std 1e-2.
      x[ch * hw + p] = p % 2 == 0 ? 123456.789f : float(dist(rng));
    }
  }
  ops::ChannelLayerNormArgs a = args(x, y, 1, c, hw);
  a.gamma = g.data(); a.beta = b.data(); a.eps = 1e-7f;
  ops::layer_norm_channels(a, exec());
  const ChannelRef ref = reference_nchw(x.to_vector(), 1, c, hw, g.data(), b.data(), 1e-7);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t p = 0; p < hw; p += 2) ASSERT_EQ(y[ch * hw + p], b[ch]) << ch << "," << p;
  }
  // Odd positions: an error of 1e-4 of the std (E[x^2] - E[x]^2 in fp32 would be garbage).
  EXPECT_TRUE(all_close(y.data(), ref.y, 1e-4, 0));
}

TEST_P(ChannelLayerNormTest, NanStaysInItsPositionAndInPlaceWorks) {
  const int64_t c = 8, hw = 20;
  Buffer x = random_buffer(c * hw, 6), y(c * hw);
  x[3 * hw + 5] = std::numeric_limits<float>::quiet_NaN();
  ops::ChannelLayerNormArgs a = args(x, y, 1, c, hw);
  ops::layer_norm_channels(a, exec());
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t p = 0; p < hw; ++p) {
      EXPECT_EQ(std::isnan(y[ch * hw + p]), p == 5) << ch << "," << p;
    }
  }
  a.y = x.data();
  ops::layer_norm_channels(a, exec());
  EXPECT_TRUE(bitwise_equal(x.data(), y.data(), std::size_t(c * hw)));
}

TEST_P(ChannelLayerNormTest, BitwiseIdenticalForAnyThreadCount) {
  const int64_t n = 2, c = 96, hw = 56 * 56;
  Buffer x = random_buffer(n * c * hw, 8), first(n * c * hw);
  for (int threads : invariance_thread_counts()) {
    Buffer y(n * c * hw);
    ops::ChannelLayerNormArgs a = args(x, y, n, c, hw);
    ops::layer_norm_channels(a, exec(threads));
    if (threads == 1) first = y;
    EXPECT_TRUE(bitwise_equal(first.data(), y.data(), std::size_t(n * c * hw))) << threads;
  }
}

TEST_P(ChannelLayerNormTest, RejectsBadArguments) {
  Buffer x(64), y(64);
  auto expect_error = [&](ops::ChannelLayerNormArgs a, const std::string& fragment) {
    try {
      ops::layer_norm_channels(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  const ops::ChannelLayerNormArgs ok = args(x, y, 2, 4, 8);
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.c = 0; expect_error(a, "c must be positive");
  a = ok; a.spatial = -1; expect_error(a, "spatial must be positive");
  a = ok; a.n = int64_t(1) << 40; a.spatial = int64_t(1) << 40; expect_error(a, "overflows");
  a = ok; a.eps = -1.f; expect_error(a, "eps");
  a = ok; a.layout = ops::Layout::nchw8c; expect_error(a, "layout");
  a = ok; a.y = x.data() + 1; expect_error(a, "overlaps");
  for (int i = 0; i < 64; ++i) EXPECT_EQ(y[i], 0.f) << "wrote output before failing";
}

NORMRT_INSTANTIATE_ISA_TESTS(ChannelLayerNormTest);

}  // namespace
}  // namespace normrt::test
