// BatchNormalization training mode (ONNX opset 15, training_mode=1): batch
// statistics, normalized output and running statistics, against a
// double-precision scalar reference.
#include <limits>

#include "normrt/ops/batch_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Layout;

struct BnShape {
  int64_t n, c, spatial;
  Layout layout;
  std::size_t size() const { return std::size_t(n * c * spatial); }
  std::size_t index(int64_t i, int64_t ch, int64_t p) const {
    return std::size_t(layout == Layout::nchw ? (i * c + ch) * spatial + p
                                              : (i * spatial + p) * c + ch);
  }
};

struct BnRef {
  std::vector<double> y, mean, var, running_mean, running_var;
};

// Independent reference: per channel over n x spatial, in double; population
// variance, as ONNX BatchNormalization-15 specifies.
BnRef reference_batch_norm(const std::vector<float>& x, const BnShape& s, const float* gamma,
                           const float* beta, double eps, double momentum,
                           const float* running_mean, const float* running_var) {
  BnRef r;
  r.y.resize(x.size());
  const double count = double(s.n * s.spatial);
  for (int64_t ch = 0; ch < s.c; ++ch) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t p = 0; p < s.spatial; ++p) mean += x[s.index(i, ch, p)];
    }
    mean /= count;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t p = 0; p < s.spatial; ++p) {
        const double d = x[s.index(i, ch, p)] - mean;
        var += d * d;
      }
    }
    var /= count;
    r.mean.push_back(mean);
    r.var.push_back(var);
    r.running_mean.push_back(running_mean[ch] * momentum + mean * (1 - momentum));
    r.running_var.push_back(running_var[ch] * momentum + var * (1 - momentum));
    const double a = (gamma ? gamma[ch] : 1.0) / std::sqrt(var + eps);
    const double b = beta ? beta[ch] : 0.0;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t p = 0; p < s.spatial; ++p) {
        const std::size_t at = s.index(i, ch, p);
        r.y[at] = (x[at] - mean) * a + b;
      }
    }
  }
  return r;
}

// Arguments with every output requested.
struct BnBuffers {
  explicit BnBuffers(const BnShape& s)
      : y(s.size()), mean(std::size_t(s.c)), var(std::size_t(s.c)),
        rmean_in(random_buffer(std::size_t(s.c), 21)),
        rvar_in(random_buffer(std::size_t(s.c), 22, 0.1f, 2.f)), rmean(std::size_t(s.c)),
        rvar(std::size_t(s.c)) {}
  ops::BatchNormTrainingArgs args(const BnShape& s, const Buffer& x) {
    ops::BatchNormTrainingArgs a;
    a.x = x.data(); a.y = y.data();
    a.n = s.n; a.c = s.c; a.spatial = s.spatial; a.layout = s.layout;
    a.running_mean = rmean_in.data(); a.running_var = rvar_in.data();
    a.running_mean_out = rmean.data(); a.running_var_out = rvar.data();
    a.batch_mean = mean.data(); a.batch_var = var.data();
    return a;
  }
  Buffer y, mean, var, rmean_in, rvar_in, rmean, rvar;
};

const char* layout_name(Layout l) { return l == Layout::nchw ? "nchw" : "nhwc"; }

class BatchNormTrainingTest : public IsaTest {};

TEST_P(BatchNormTrainingTest, EveryShapeMatchesReference) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t n : {1, 3}) {
      for (int64_t c : {3, 6, 12, 20, 24}) {
        for (int64_t spatial = 1; spatial <= 70; ++spatial) {
          const BnShape s{n, c, spatial, layout};
          const bool affine = (spatial + c) % 2 == 1;
          Buffer x = random_buffer(s.size(), uint32_t(spatial * 19 + c + n));
          Buffer g = random_buffer(std::size_t(c), 1, 0.5f, 1.5f);
          Buffer b = random_buffer(std::size_t(c), 2);
          BnBuffers out(s);
          ops::BatchNormTrainingArgs a = out.args(s, x);
          a.gamma = affine ? g.data() : nullptr;
          a.beta = affine ? b.data() : nullptr;
          ops::batch_norm_training(a, exec());
          const BnRef ref = reference_batch_norm(x.to_vector(), s, a.gamma, a.beta, 1e-5, 0.9,
                                                 a.running_mean, a.running_var);
          const auto where = ::testing::Message() << layout_name(layout) << " n" << n << " c" << c
                                                  << " s" << spatial;
          // y is O(1): a few float roundings of the statistics and of the affine.
          ASSERT_TRUE(all_close(out.y.data(), ref.y, 2e-5, 2e-5)) << where;
          ASSERT_TRUE(all_close(out.mean.data(), ref.mean, 1e-6, 1e-6)) << where;
          // var of O(1) data, computed from shifted moments in double: float rounding.
          ASSERT_TRUE(all_close(out.var.data(), ref.var, 1e-6, 1e-6)) << where;
          ASSERT_TRUE(all_close(out.rmean.data(), ref.running_mean, 1e-6, 1e-6)) << where;
          ASSERT_TRUE(all_close(out.rvar.data(), ref.running_var, 1e-6, 1e-6)) << where;
        }
      }
    }
  }
}

TEST_P(BatchNormTrainingTest, BatchNorm1dLayoutsAgree) {
  // [N, C] input (spatial 1): both layouts are the same memory and take the
  // same vectorized path, whatever the layout says.
  for (int64_t c : {5, 256}) {
    const BnShape s{1000, c, 1, Layout::nchw};
    Buffer x = random_buffer(s.size(), 40, -1.f, 5.f);
    BnBuffers first(s), second(s);
    ops::batch_norm_training(first.args(s, x), exec(3));
    const BnShape t{1000, c, 1, Layout::nhwc};
    ops::batch_norm_training(second.args(t, x), exec(3));
    EXPECT_TRUE(bitwise_equal(first.y.data(), second.y.data(), s.size())) << c;
    EXPECT_TRUE(bitwise_equal(first.var.data(), second.var.data(), std::size_t(c))) << c;
    const BnRef ref = reference_batch_norm(x.to_vector(), s, nullptr, nullptr, 1e-5, 0.9,
                                           first.rmean_in.data(), first.rvar_in.data());
    EXPECT_TRUE(all_close(first.y.data(), ref.y, 2e-5, 2e-5)) << c;
    EXPECT_TRUE(all_close(first.var.data(), ref.var, 1e-6, 1e-6)) << c;
  }
}

TEST_P(BatchNormTrainingTest, WorkedExampleThreeImages) {
  // Three images, four channels of 1x2 each.
  const std::vector<float> nchw = {2, 3, 5, 7, 11, 13, 17, 19,   // image 1
                                   0, 1, 1, 2, 3, 5, 8, 13,      // image 2
                                   1, 2, 3, 4, 5, 6, 7, 8};      // image 3
  const double means[] = {1.5, 3.6666667, 7.1666667, 12.0};
  const double vars[] = {0.916667, 3.888889, 12.805556, 22.0};
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const BnShape s{3, 4, 2, layout};
    Buffer x(24);
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t ch = 0; ch < 4; ++ch) {
        for (int64_t p = 0; p < 2; ++p) x[s.index(i, ch, p)] = nchw[std::size_t((i * 4 + ch) * 2 + p)];
      }
    }
    BnBuffers out(s);
    ops::BatchNormTrainingArgs a = out.args(s, x);
    a.eps = 0.f;
    ops::batch_norm_training(a, exec());
    for (std::size_t ch = 0; ch < 4; ++ch) {
      // The expected values are quoted to 6-7 digits.
      EXPECT_NEAR(out.mean[ch], means[ch], 1e-6 * (1 + means[ch])) << layout_name(layout) << ch;
      EXPECT_NEAR(out.var[ch], vars[ch], 1e-6 * (1 + vars[ch])) << layout_name(layout) << ch;
    }
    // Channel 0 normalized: (2 - 1.5) / sqrt(0.916667).
    EXPECT_NEAR(out.y[s.index(0, 0, 0)], 0.5 / std::sqrt(5.5 / 6), 1e-6);
  }
}

TEST_P(BatchNormTrainingTest, MomentumEndsBlendExactly) {
  const BnShape s{2, 5, 9, Layout::nchw};
  Buffer x = random_buffer(s.size(), 30);
  for (float momentum : {0.f, 1.f}) {
    BnBuffers out(s);
    ops::BatchNormTrainingArgs a = out.args(s, x);
    a.momentum = momentum;
    ops::batch_norm_training(a, exec());
    for (std::size_t ch = 0; ch < 5; ++ch) {
      // momentum 0: the batch statistics; momentum 1: the running inputs.
      EXPECT_EQ(out.rmean[ch], momentum == 0.f ? out.mean[ch] : out.rmean_in[ch]);
      EXPECT_EQ(out.rvar[ch], momentum == 0.f ? out.var[ch] : out.rvar_in[ch]);
    }
  }
}

TEST_P(BatchNormTrainingTest, OptionalOutputsAndInPlace) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const BnShape s{4, 20, 50, layout};
    Buffer x = random_buffer(s.size(), 31);
    BnBuffers out(s);
    ops::BatchNormTrainingArgs full = out.args(s, x);
    ops::batch_norm_training(full, exec());
    // No optional outputs, in place: the same y.
    ops::BatchNormTrainingArgs a;
    a.x = x.data(); a.y = x.data(); a.n = s.n; a.c = s.c; a.spatial = s.spatial;
    a.layout = layout;
    ops::batch_norm_training(a, exec());
    EXPECT_TRUE(bitwise_equal(x.data(), out.y.data(), s.size())) << layout_name(layout);
  }
}

TEST_P(BatchNormTrainingTest, ConstantChannelGivesBetaExactly) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t spatial : {1, 7, 100, 9000}) {
      for (float value : {0.1f, -3.7f, 1e4f, 123456.789f, 1e-30f}) {
        const BnShape s{3, 5, spatial, layout};
        Buffer x = random_buffer(s.size(), 32);
        for (int64_t i = 0; i < 3; ++i) {
          for (int64_t p = 0; p < spatial; ++p) x[s.index(i, 3, p)] = value;
        }
        Buffer g = random_buffer(5, 33), b = random_buffer(5, 34);
        BnBuffers out(s);
        ops::BatchNormTrainingArgs a = out.args(s, x);
        a.gamma = g.data(); a.beta = b.data();
        ops::batch_norm_training(a, exec());
        EXPECT_EQ(out.mean[3], value);
        EXPECT_EQ(out.var[3], 0.f);
        for (int64_t i = 0; i < 3; ++i) {
          for (int64_t p = 0; p < spatial; ++p) {
            ASSERT_EQ(out.y[s.index(i, 3, p)], b[3])
                << layout_name(layout) << " s" << spatial << " value " << value;
          }
        }
      }
    }
  }
}

TEST_P(BatchNormTrainingTest, EpsZeroOnConstantChannelIsNaN) {
  const BnShape s{2, 3, 8, Layout::nhwc};
  Buffer x = random_buffer(s.size(), 35);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t p = 0; p < 8; ++p) x[s.index(i, 0, p)] = 4.f;
  }
  BnBuffers out(s);
  ops::BatchNormTrainingArgs a = out.args(s, x);
  a.eps = 0.f;
  ops::batch_norm_training(a, exec());
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t p = 0; p < 8; ++p) {
      EXPECT_TRUE(std::isnan(out.y[s.index(i, 0, p)]));
      EXPECT_TRUE(std::isfinite(out.y[s.index(i, 1, p)]));
    }
  }
}

TEST_P(BatchNormTrainingTest, LargeMeanSmallStdKeepsDigits) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t spatial : {13, 3000, 20000}) {
      const BnShape s{2, 3, spatial, layout};
      std::mt19937 rng(static_cast<uint32_t>(spatial));
      Buffer x(s.size());
      const double means[] = {1e4, 1e5, -1e6};
      for (int64_t i = 0; i < 2; ++i) {
        for (int64_t ch = 0; ch < 3; ++ch) {
          std::normal_distribution<double> dist(means[ch], 1e-2);
          for (int64_t p = 0; p < spatial; ++p) x[s.index(i, ch, p)] = float(dist(rng));
        }
      }
      BnBuffers out(s);
      ops::BatchNormTrainingArgs a = out.args(s, x);
      a.eps = 1e-7f;  // far below var (1e-4): a cancelling variance cannot hide
      ops::batch_norm_training(a, exec());
      const BnRef ref = reference_batch_norm(x.to_vector(), s, nullptr, nullptr, 1e-7, 0.9,
                                             a.running_mean, a.running_var);
      // y is in units of the channel's std: an error of 1e-4 std; the variance
      // itself to 1e-3 relative (fp32 lanes of x - shift, summed in double).
      EXPECT_TRUE(all_close(out.y.data(), ref.y, 1e-4, 0)) << layout_name(layout) << spatial;
      EXPECT_TRUE(all_close(out.var.data(), ref.var, 0, 1e-3)) << layout_name(layout) << spatial;
    }
  }
}

TEST_P(BatchNormTrainingTest, NanStaysInItsChannel) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const BnShape s{2, 4, 15, layout};
    Buffer x = random_buffer(s.size(), 36);
    x[s.index(1, 2, 3)] = std::numeric_limits<float>::quiet_NaN();
    BnBuffers out(s);
    ops::BatchNormTrainingArgs a = out.args(s, x);
    ops::batch_norm_training(a, exec());
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t ch = 0; ch < 4; ++ch) {
        for (int64_t p = 0; p < 15; ++p) {
          EXPECT_EQ(std::isnan(out.y[s.index(i, ch, p)]), ch == 2) << layout_name(layout);
        }
      }
    }
    EXPECT_TRUE(std::isnan(out.mean[2]) && std::isnan(out.var[2]) && std::isnan(out.rmean[2]));
    EXPECT_TRUE(std::isfinite(out.mean[1]) && std::isfinite(out.var[3]));
  }
}

TEST_P(BatchNormTrainingTest, BitwiseIdenticalForAnyThreadCount) {
  // Many channels (one thread per channel), and 2 channels with several
  // pieces each (the split reduction for 3 and 8 threads).
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (const BnShape& s : {BnShape{3, 24, 1000, layout}, BnShape{2, 2, 20000, layout}}) {
      Buffer x = random_buffer(s.size(), 37);
      // Vectors: a copied Buffer may sit at another misalignment.
      std::vector<float> first, first_mean, first_var;
      for (int threads : invariance_thread_counts()) {
        BnBuffers out(s);
        ops::batch_norm_training(out.args(s, x), exec(threads));
        if (threads == 1) {
          first = out.y.to_vector(); first_mean = out.mean.to_vector();
          first_var = out.var.to_vector();
        }
        const auto where = ::testing::Message() << layout_name(layout) << " c" << s.c << " "
                                                << threads << " threads";
        EXPECT_TRUE(bitwise_equal(first.data(), out.y.data(), s.size())) << where;
        EXPECT_TRUE(bitwise_equal(first_mean.data(), out.mean.data(), std::size_t(s.c))) << where;
        EXPECT_TRUE(bitwise_equal(first_var.data(), out.var.data(), std::size_t(s.c))) << where;
      }
    }
  }
}

TEST_P(BatchNormTrainingTest, RejectsBadArguments) {
  const BnShape s{2, 3, 4, Layout::nchw};
  Buffer x = random_buffer(s.size(), 38);
  BnBuffers out(s);
  auto expect_error = [&](ops::BatchNormTrainingArgs a, const std::string& fragment) {
    try {
      ops::batch_norm_training(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("batch_norm_training"), std::string::npos) << e.what();
    }
  };
  const ops::BatchNormTrainingArgs ok = out.args(s, x);
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.n = 0; expect_error(a, "n must be positive");
  a = ok; a.c = -2; expect_error(a, "c must be positive");
  a = ok; a.spatial = 0; expect_error(a, "spatial must be positive");
  a = ok; a.n = int64_t(1) << 40; a.c = int64_t(1) << 40; expect_error(a, "overflows");
  a = ok; a.eps = -1.f; expect_error(a, "eps");
  a = ok; a.eps = std::numeric_limits<float>::quiet_NaN(); expect_error(a, "eps");
  a = ok; a.momentum = -0.1f; expect_error(a, "momentum");
  a = ok; a.momentum = 1.5f; expect_error(a, "momentum");
  a = ok; a.momentum = std::numeric_limits<float>::quiet_NaN(); expect_error(a, "momentum");
  a = ok; a.running_mean = nullptr; expect_error(a, "running_mean_out is requested without running_mean");
  a = ok; a.running_var = nullptr; expect_error(a, "running_var_out is requested without running_var");
  a = ok; a.layout = static_cast<Layout>(2); expect_error(a, "layout");
  for (Buffer* b : {&out.y, &out.mean, &out.var, &out.rmean, &out.rvar}) {
    for (std::size_t i = 0; i < b->size(); ++i) EXPECT_EQ((*b)[i], 0.f) << "wrote before failing";
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(BatchNormTrainingTest);

}  // namespace
}  // namespace normrt::test
