// InstanceNorm (rank 3 to 5, NCHW and NHWC) against a double-precision
// scalar reference.
#include <limits>

#include "normrt/ops/group_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Activation;
using ops::Layout;

struct InShape {
  int64_t n, c, spatial;
  Layout layout;
  std::size_t size() const { return std::size_t(n * c * spatial); }
  std::size_t index(int64_t i, int64_t ch, int64_t p) const {
    return std::size_t(layout == Layout::nchw ? (i * c + ch) * spatial + p
                                              : (i * spatial + p) * c + ch);
  }
};

// Independent reference: per (image, channel) mean and variance in double.
std::vector<double> reference_instance_norm(const std::vector<float>& x, const InShape& s,
                                            const float* gamma, const float* beta, double eps,
                                            Activation act = Activation::none) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t ch = 0; ch < s.c; ++ch) {
      double mean = 0, var = 0;
      for (int64_t p = 0; p < s.spatial; ++p) mean += x[s.index(i, ch, p)];
      mean /= double(s.spatial);
      for (int64_t p = 0; p < s.spatial; ++p) {
        const double d = x[s.index(i, ch, p)] - mean;
        var += d * d;
      }
      var /= double(s.spatial);
      const double a = (gamma ? gamma[ch] : 1.0) / std::sqrt(var + eps);
      const double b = beta ? beta[ch] : 0.0;
      for (int64_t p = 0; p < s.spatial; ++p) {
        const std::size_t at = s.index(i, ch, p);
        double v = (x[at] - mean) * a + b;
        if (act == Activation::silu) v = v / (1.0 + std::exp(-v));
        if (act == Activation::relu) v = std::max(v, 0.0);
        y[at] = v;
      }
    }
  }
  return y;
}

ops::InstanceNormArgs make_args(const InShape& s, const Buffer& x, Buffer& y) {
  ops::InstanceNormArgs a;
  a.x = x.data(); a.y = y.data();
  a.n = s.n; a.c = s.c; a.spatial = s.spatial; a.layout = s.layout;
  return a;
}

const char* layout_name(Layout l) { return l == Layout::nchw ? "nchw" : "nhwc"; }

class InstanceNormTest : public IsaTest {};

TEST_P(InstanceNormTest, EverySpatialLengthOneTo70) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t n : {1, 3}) {
      for (int64_t c : {3, 6, 12, 20, 24}) {
        for (int64_t spatial = 1; spatial <= 70; ++spatial) {
          const InShape s{n, c, spatial, layout};
          const bool affine = (spatial + c) % 2 == 0;
          Buffer x = random_buffer(s.size(), uint32_t(spatial * 17 + c + n));
          Buffer g = random_buffer(std::size_t(c), 1, 0.5f, 1.5f);
          Buffer b = random_buffer(std::size_t(c), 2);
          Buffer y(s.size());
          ops::InstanceNormArgs a = make_args(s, x, y);
          a.gamma = affine ? g.data() : nullptr;
          a.beta = affine ? b.data() : nullptr;
          ops::instance_norm(a, exec());
          const auto ref = reference_instance_norm(x.to_vector(), s, a.gamma, a.beta, 1e-5);
          // y is O(1): a few float roundings of the statistics and of the affine.
          ASSERT_TRUE(all_close(y.data(), ref, 2e-5, 2e-5))
              << layout_name(layout) << " n" << n << " c" << c << " s" << spatial;
        }
      }
    }
  }
}

TEST_P(InstanceNormTest, Rank3To5WithSilu) {
  // spatial is the product of the dims after (before, in NHWC) the channels.
  const std::vector<std::vector<int64_t>> shapes = {
      {2, 5, 19},         // rank 3: N C L
      {2, 6, 9, 11},      // rank 4: N C H W
      {1, 3, 4, 5, 7},    // rank 5: N C D H W
      {2, 16, 3, 8, 8}};  // rank 5, a vector multiple of channels
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (const auto& dims : shapes) {
      int64_t spatial = 1;
      for (std::size_t d = 2; d < dims.size(); ++d) spatial *= dims[d];
      const InShape s{dims[0], dims[1], spatial, layout};
      Buffer x = random_buffer(s.size(), uint32_t(dims.size()));
      Buffer g = random_buffer(std::size_t(s.c), 3, 0.5f, 1.5f);
      Buffer b = random_buffer(std::size_t(s.c), 4);
      Buffer y(s.size());
      ops::InstanceNormArgs a = make_args(s, x, y);
      a.gamma = g.data(); a.beta = b.data(); a.act = Activation::silu;
      ops::instance_norm(a, exec());
      const auto ref = reference_instance_norm(x.to_vector(), s, g.data(), b.data(), 1e-5,
                                               Activation::silu);
      // silu's exp is xsimd's (a few ulp), on top of the normalization's error.
      EXPECT_TRUE(all_close(y.data(), ref, 3e-5, 3e-5))
          << layout_name(layout) << " rank " << dims.size();
    }
  }
}

TEST_P(InstanceNormTest, InPlaceMatchesOutOfPlace) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const InShape s{2, 20, 77, layout};
    Buffer x = random_buffer(s.size(), 5), y(s.size());
    ops::InstanceNormArgs a = make_args(s, x, y);
    a.act = Activation::relu;
    ops::instance_norm(a, exec());
    a.y = x.data();
    ops::instance_norm(a, exec());
    EXPECT_TRUE(bitwise_equal(x.data(), y.data(), s.size())) << layout_name(layout);
  }
}

TEST_P(InstanceNormTest, ConstantChannelGivesBetaExactly) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t spatial : {1, 6, 31, 1000, 20000}) {
      for (float value : {0.1f, -3.7f, 1e4f, 123456.789f, 1e-30f}) {
        const InShape s{1, 6, spatial, layout};
        Buffer x = random_buffer(s.size(), 6);
        for (int64_t p = 0; p < spatial; ++p) x[s.index(0, 4, p)] = value;
        Buffer g = random_buffer(6, 7), b = random_buffer(6, 8), y(s.size());
        ops::InstanceNormArgs a = make_args(s, x, y);
        a.gamma = g.data(); a.beta = b.data();
        ops::instance_norm(a, exec());
        for (int64_t p = 0; p < spatial; ++p) {
          ASSERT_EQ(y[s.index(0, 4, p)], b[4])
              << layout_name(layout) << " s" << spatial << " value " << value;
        }
      }
    }
  }
}

TEST_P(InstanceNormTest, EpsZeroOnConstantChannelIsNaN) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const InShape s{1, 3, 12, layout};
    Buffer x = random_buffer(s.size(), 9), y(s.size());
    for (int64_t p = 0; p < 12; ++p) x[s.index(0, 1, p)] = -7.f;
    ops::InstanceNormArgs a = make_args(s, x, y);
    a.eps = 0.f;
    ops::instance_norm(a, exec());
    for (int64_t p = 0; p < 12; ++p) {
      EXPECT_TRUE(std::isnan(y[s.index(0, 1, p)]));
      EXPECT_TRUE(std::isfinite(y[s.index(0, 0, p)]) && std::isfinite(y[s.index(0, 2, p)]));
    }
  }
}

TEST_P(InstanceNormTest, LargeMeanSmallStdKeepsDigits) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t spatial : {29, 4096, 20000}) {
      const InShape s{1, 3, spatial, layout};
      std::mt19937 rng(static_cast<uint32_t>(spatial));
      Buffer x(s.size()), y(s.size());
      const double means[] = {1e4, -1e5, 1e6};
      for (int64_t ch = 0; ch < 3; ++ch) {
        std::normal_distribution<double> dist(means[ch], 1e-2);
        for (int64_t p = 0; p < spatial; ++p) x[s.index(0, ch, p)] = float(dist(rng));
      }
      ops::InstanceNormArgs a = make_args(s, x, y);
      a.eps = 1e-7f;  // far below var (1e-4): a cancelling variance cannot hide
      ops::instance_norm(a, exec());
      const auto ref = reference_instance_norm(x.to_vector(), s, nullptr, nullptr, 1e-7);
      // y is in units of the channel's std: an error of 1e-4 std.
      EXPECT_TRUE(all_close(y.data(), ref, 1e-4, 0)) << layout_name(layout) << " s" << spatial;
    }
  }
}

TEST_P(InstanceNormTest, DenormalInputs) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const InShape s{2, 3, 40, layout};
    Buffer x(s.size()), y(s.size());
    for (std::size_t j = 0; j < s.size(); ++j) {
      x[j] = std::numeric_limits<float>::denorm_min() * float(j % 5);
    }
    ops::InstanceNormArgs a = make_args(s, x, y);
    ops::instance_norm(a, exec());
    const auto ref = reference_instance_norm(x.to_vector(), s, nullptr, nullptr, 1e-5);
    EXPECT_TRUE(all_close(y.data(), ref, 1e-6, 0)) << layout_name(layout);
  }
}

TEST_P(InstanceNormTest, NanAndInfStayInTheirChannel) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const InShape s{2, 5, 33, layout};
    Buffer x = random_buffer(s.size(), 10), y(s.size());
    x[s.index(0, 2, 7)] = std::numeric_limits<float>::quiet_NaN();
    x[s.index(1, 4, 32)] = -std::numeric_limits<float>::infinity();
    ops::InstanceNormArgs a = make_args(s, x, y);
    ops::instance_norm(a, exec());
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t ch = 0; ch < 5; ++ch) {
        for (int64_t p = 0; p < 33; ++p) {
          const float v = y[s.index(i, ch, p)];
          if (i == 0 && ch == 2) {
            ASSERT_TRUE(std::isnan(v)) << layout_name(layout);
          } else if (i == 1 && ch == 4) {
            ASSERT_FALSE(std::isfinite(v)) << layout_name(layout);
          } else {
            ASSERT_TRUE(std::isfinite(v)) << layout_name(layout) << " i" << i << " ch" << ch;
          }
        }
      }
    }
  }
}

TEST_P(InstanceNormTest, BitwiseIdenticalForAnyThreadCount) {
  // Many channels (one thread per channel), and n * c = 2 with several pieces
  // per channel (the split reduction for 3 and 8 threads).
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (const InShape& s : {InShape{4, 24, 900, layout}, InShape{1, 2, 40000, layout}}) {
      Buffer x = random_buffer(s.size(), 11);
      Buffer g = random_buffer(std::size_t(s.c), 12), b = random_buffer(std::size_t(s.c), 13);
      std::vector<float> first;  // a vector: a copied Buffer may sit at another misalignment
      for (int threads : invariance_thread_counts()) {
        Buffer y(s.size());
        ops::InstanceNormArgs a = make_args(s, x, y);
        a.gamma = g.data(); a.beta = b.data(); a.act = Activation::silu;
        ops::instance_norm(a, exec(threads));
        if (threads == 1) first = y.to_vector();
        EXPECT_TRUE(bitwise_equal(first.data(), y.data(), s.size()))
            << layout_name(layout) << " c" << s.c << " " << threads << " threads";
      }
    }
  }
}

TEST_P(InstanceNormTest, RejectsBadArguments) {
  Buffer x(24), y(24);
  auto expect_error = [&](ops::InstanceNormArgs a, const std::string& fragment) {
    try {
      ops::instance_norm(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("instance_norm"), std::string::npos) << e.what();
    }
  };
  ops::InstanceNormArgs ok;
  ok.x = x.data(); ok.y = y.data(); ok.n = 2; ok.c = 3; ok.spatial = 4;
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.n = -1; expect_error(a, "n must be positive");
  a = ok; a.c = 0; expect_error(a, "c must be positive");
  a = ok; a.spatial = -4; expect_error(a, "spatial must be positive");
  a = ok; a.c = int64_t(1) << 31; a.spatial = int64_t(1) << 31; expect_error(a, "overflows");
  a = ok; a.eps = -1e-5f; expect_error(a, "eps");
  a = ok; a.eps = std::numeric_limits<float>::infinity(); expect_error(a, "eps");
  a = ok; a.layout = static_cast<Layout>(7); expect_error(a, "layout");
  a = ok; a.act = static_cast<Activation>(4); expect_error(a, "act");
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(y[i], 0.f) << "wrote output before failing";
}

NORMRT_INSTANTIATE_ISA_TESTS(InstanceNormTest);

}  // namespace
}  // namespace normrt::test
