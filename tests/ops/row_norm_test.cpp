// LayerNorm and RMSNorm against a double-precision scalar reference.
#include <limits>
#include <utility>

#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/rms_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

struct RowRef {
  std::vector<double> y, mean, rstd, sum;
};

// Independent reference: double everywhere, textbook two-pass formulas.
RowRef reference_rows(const std::vector<float>& x, int64_t rows, int64_t cols, bool rms,
                      const float* gamma, const float* beta, double eps,
                      const float* skip = nullptr, int64_t skip_rows = 0,
                      const float* bias = nullptr) {
  RowRef r;
  r.y.resize(x.size());
  r.sum.resize(x.size());
  if (skip_rows == 0) skip_rows = rows;
  for (int64_t i = 0; i < rows; ++i) {
    std::vector<double> s(cols);
    for (int64_t j = 0; j < cols; ++j) {
      double v = x[i * cols + j];
      if (skip) v += double(skip[(i % skip_rows) * cols + j]) + (bias ? double(bias[j]) : 0.0);
      // The fused sum is rounded to float before normalization, as it is stored.
      s[j] = skip ? double(float(v)) : v;
      r.sum[i * cols + j] = s[j];
    }
    double mean = 0;
    for (double v : s) mean += v;
    mean /= double(cols);
    double var = 0;
    for (double v : s) var += rms ? v * v : (v - mean) * (v - mean);
    var /= double(cols);
    const double rstd = 1.0 / std::sqrt(var + eps);
    r.mean.push_back(mean);
    r.rstd.push_back(rstd);
    for (int64_t j = 0; j < cols; ++j) {
      const double g = gamma ? gamma[j] : 1.0, b = beta ? beta[j] : 0.0;
      r.y[i * cols + j] = ((rms ? s[j] : s[j] - mean) * rstd) * g + (rms ? 0.0 : b);
    }
  }
  return r;
}

class LayerNormTest : public IsaTest {};
class RmsNormTest : public IsaTest {};

TEST_P(LayerNormTest, EveryLengthOneTo70WithAndWithoutAffine) {
  for (int64_t rows : {1, 3}) {
    for (int64_t cols = 1; cols <= 70; ++cols) {
      for (bool affine : {false, true}) {
        const auto n = std::size_t(rows * cols);
        Buffer x = random_buffer(n, uint32_t(cols * 7 + rows));
        Buffer g = random_buffer(std::size_t(cols), 11, 0.5f, 1.5f);
        Buffer b = random_buffer(std::size_t(cols), 12);
        Buffer y(n), mean(static_cast<std::size_t>(rows)), rstd(static_cast<std::size_t>(rows));
        ops::LayerNormArgs a;
        a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
        a.gamma = affine ? g.data() : nullptr; a.beta = affine ? b.data() : nullptr;
        a.mean = mean.data(); a.inv_std_dev = rstd.data();
        ops::layer_norm(a, exec());
        const RowRef ref = reference_rows(x.to_vector(), rows, cols, false, a.gamma, a.beta, 1e-5);
        ASSERT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << rows << "x" << cols;
        ASSERT_TRUE(all_close(mean.data(), ref.mean, 1e-6, 1e-6)) << rows << "x" << cols;
        ASSERT_TRUE(all_close(rstd.data(), ref.rstd, 0, 2e-6)) << rows << "x" << cols;
      }
    }
  }
}

TEST_P(LayerNormTest, InPlaceMatchesOutOfPlace) {
  const int64_t rows = 5, cols = 77;
  Buffer x = random_buffer(rows * cols, 3);
  Buffer y(rows * cols);
  ops::LayerNormArgs a;
  a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
  ops::layer_norm(a, exec());
  a.y = x.data();
  ops::layer_norm(a, exec());
  EXPECT_TRUE(bitwise_equal(x.data(), y.data(), rows * cols));
}

TEST_P(LayerNormTest, FusedResidualWithBiasAndSumOutput) {
  // 2100 columns: rows longer than the pipeline fuses run one at a time.
  for (int64_t cols : {1, 7, 16, 33, 768, 2100}) {
    const int64_t rows = 6, skip_rows = 3;
    Buffer x = random_buffer(rows * cols, 1), skip = random_buffer(skip_rows * cols, 2);
    Buffer bias = random_buffer(cols, 3), g = random_buffer(cols, 4), b = random_buffer(cols, 5);
    Buffer y(rows * cols), sum(rows * cols);
    ops::LayerNormArgs a;
    a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
    a.gamma = g.data(); a.beta = b.data(); a.eps = 1e-12f;
    a.skip = skip.data(); a.skip_rows = skip_rows; a.bias = bias.data(); a.sum = sum.data();
    ops::layer_norm(a, exec());
    const RowRef ref = reference_rows(x.to_vector(), rows, cols, false, g.data(), b.data(), 1e-12,
                                      skip.data(), skip_rows, bias.data());
    // (x + skip) + bias rounds twice in float; the reference rounds once.
    EXPECT_TRUE(all_close(sum.data(), ref.sum, 5e-7, 3e-7)) << cols;
    EXPECT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << cols;
    // Without the sum output, y doubles as scratch and the result is the same.
    Buffer y2(rows * cols);
    a.y = y2.data(); a.sum = nullptr;
    ops::layer_norm(a, exec());
    EXPECT_TRUE(bitwise_equal(y.data(), y2.data(), rows * cols)) << cols;
  }
}

TEST_P(LayerNormTest, ConstantRowGivesBetaExactly) {
  for (int64_t cols : {1, 5, 8, 17, 64, 100, 1000}) {
    for (float c : {0.1f, -3.7f, 1e4f, 123456.789f, 1e-30f}) {
      Buffer x(cols, c), y(cols);
      Buffer b = random_buffer(cols, 9);
      Buffer g = random_buffer(cols, 10);
      ops::LayerNormArgs a;
      a.x = x.data(); a.y = y.data(); a.rows = 1; a.cols = cols;
      a.gamma = g.data(); a.beta = b.data();
      ops::layer_norm(a, exec());
      for (int64_t j = 0; j < cols; ++j) ASSERT_EQ(y[j], b[j]) << "cols " << cols << " c " << c;
    }
  }
}

TEST_P(LayerNormTest, EpsZeroOnConstantRowIsNaN) {
  Buffer x(40, 2.5f), y(40);
  ops::LayerNormArgs a;
  a.x = x.data(); a.y = y.data(); a.rows = 1; a.cols = 40; a.eps = 0.f;
  ops::layer_norm(a, exec());
  for (int j = 0; j < 40; ++j) EXPECT_TRUE(std::isnan(y[j]));
}

TEST_P(LayerNormTest, LargeMeanSmallStdKeepsDigits) {
  // Rows with mean 1e4..1e6 and std 1e-2: E[x^2] - E[x]^2 in fp32 gives garbage.
  for (double mean : {1e4, 1e5, 1e6}) {
    for (int64_t cols : {37, 768, 4096}) {
      std::mt19937 rng(static_cast<uint32_t>(cols));
      std::normal_distribution<double> dist(mean, 1e-2);
      Buffer x(cols), y(cols);
      for (int64_t j = 0; j < cols; ++j) x[j] = float(dist(rng));
      ops::LayerNormArgs a;
      // eps far below var (1e-4), so a cancelling variance could not hide behind it; at
      // mean 1e6 float quantizes the row to a few values, which is what both sides see.
      a.x = x.data(); a.y = y.data(); a.rows = 1; a.cols = cols; a.eps = 1e-7f;
      const RowRef ref = reference_rows(x.to_vector(), 1, cols, false, nullptr, nullptr, 1e-7);
      ops::layer_norm(a, exec());
      // y is in units of the row's std: an error of 1e-4 std.
      EXPECT_TRUE(all_close(y.data(), ref.y, 1e-4, 0)) << "mean " << mean << " cols " << cols;
    }
  }
}

TEST_P(LayerNormTest, DenormalInputs) {
  const int64_t cols = 45;
  Buffer x(cols), y(cols);
  for (int64_t j = 0; j < cols; ++j) x[j] = std::numeric_limits<float>::denorm_min() * float(j % 7);
  ops::LayerNormArgs a;
  a.x = x.data(); a.y = y.data(); a.rows = 1; a.cols = cols;
  ops::layer_norm(a, exec());
  const RowRef ref = reference_rows(x.to_vector(), 1, cols, false, nullptr, nullptr, 1e-5);
  EXPECT_TRUE(all_close(y.data(), ref.y, 1e-6, 0));
}

TEST_P(LayerNormTest, NanAndInfStayInTheirRow) {
  const int64_t rows = 4, cols = 21;
  Buffer x = random_buffer(rows * cols, 4), y(rows * cols);
  x[1 * cols + 5] = std::numeric_limits<float>::quiet_NaN();
  x[2 * cols + 20] = std::numeric_limits<float>::infinity();
  ops::LayerNormArgs a;
  a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
  ops::layer_norm(a, exec());
  for (int64_t j = 0; j < cols; ++j) {
    EXPECT_TRUE(std::isfinite(y[0 * cols + j]));
    EXPECT_TRUE(std::isnan(y[1 * cols + j]));
    EXPECT_FALSE(std::isfinite(y[2 * cols + j]));
    EXPECT_TRUE(std::isfinite(y[3 * cols + j]));
  }
}

TEST_P(LayerNormTest, BitwiseIdenticalForAnyThreadCount) {
  const int64_t rows = 300, cols = 257;
  Buffer x = random_buffer(rows * cols, 5);
  Buffer first(rows * cols);
  for (int threads : invariance_thread_counts()) {
    Buffer y(rows * cols);
    ops::LayerNormArgs a;
    a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
    ops::layer_norm(a, exec(threads));
    if (threads == 1) first = y;
    EXPECT_TRUE(bitwise_equal(first.data(), y.data(), rows * cols)) << threads << " threads";
  }
}

TEST_P(LayerNormTest, EachRowGivesTheBitsItGivesAlone) {
  // Rows normalized two at a time (AVX-512 and NEON pair the rows of cached
  // tensors) must each give what a call on that row alone gives, and match
  // the reference. Odd row counts leave a row unpaired; rows 2 and 5 start
  // far from their mean, so their head shift is refined by a second pass
  // while their partner row is not. 1500 columns: too long to pair.
  for (int64_t cols : {33, 300, 768, 1500}) {
    const int64_t rows = 7;
    Buffer x = random_buffer(rows * cols, uint32_t(cols)), g = random_buffer(cols, 8),
           b = random_buffer(cols, 9);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < cols; ++j) x[r * cols + j] += float(100 * r);
    }
    for (int64_t r : {2, 5}) {
      for (int64_t j = cols / 4; j < cols; ++j) x[r * cols + j] += 1000.f;
    }
    Buffer y(rows * cols);
    ops::LayerNormArgs a;
    a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
    a.gamma = g.data(); a.beta = b.data();
    ops::layer_norm(a, exec(1));
    const RowRef ref = reference_rows(x.to_vector(), rows, cols, false, g.data(), b.data(), 1e-5);
    EXPECT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << cols;
    for (int64_t r = 0; r < rows; ++r) {
      Buffer alone(cols);
      ops::LayerNormArgs one = a;
      one.x = x.data() + r * cols; one.y = alone.data(); one.rows = 1;
      ops::layer_norm(one, exec(1));
      EXPECT_TRUE(bitwise_equal(alone.data(), y.data() + r * cols, cols))
          << "row " << r << " of " << rows << "x" << cols;
    }
  }
}

TEST_P(LayerNormTest, StreamedOutputOfALargeTensorMatchesChunkedCalls) {
  // Into a line-aligned y, 4096 x 1024 floats (16 MiB of output) are written
  // with streaming stores on any number of threads, 2048 x 1024 (8 MiB) on
  // one thread (stream_output). The same rows in chunks of 512 (2 MiB
  // outputs, plain stores) must give the same bits.
  const int64_t cols = 1024, chunk = 512;
  for (const auto& [rows, threads] : {std::pair<int64_t, int>{4096, 0}, {2048, 1}}) {
    Buffer x = random_buffer(std::size_t(rows * cols), 17), g = random_buffer(cols, 18),
           b = random_buffer(cols, 19), plain(std::size_t(rows * cols));
    LineAlignedBuffer y(std::size_t(rows * cols));
    ops::LayerNormArgs a;
    a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
    a.gamma = g.data(); a.beta = b.data();
    ops::layer_norm(a, exec(threads));
    for (int64_t r = 0; r < rows; r += chunk) {
      ops::LayerNormArgs c = a;
      c.x = x.data() + r * cols; c.y = plain.data() + r * cols; c.rows = chunk;
      ops::layer_norm(c, exec(threads));
    }
    EXPECT_TRUE(bitwise_equal(y.data(), plain.data(), std::size_t(rows * cols)))
        << rows << "x" << cols << ", " << threads << " threads";
  }
}

TEST_P(LayerNormTest, WorkedExampleThreeImages) {
  // Three images, four channels of 1x2 each; LN normalizes each image.
  const std::vector<float> x = {2, 3, 5, 7, 11, 13, 17, 19,   // image 1
                                0, 1, 1, 2, 3, 5, 8, 13,      // image 2
                                1, 2, 3, 4, 5, 6, 7, 8};      // image 3
  Buffer in = copy_buffer(x), y(24), mean(3), rstd(3);
  ops::LayerNormArgs a;
  a.x = in.data(); a.y = y.data(); a.rows = 3; a.cols = 8; a.eps = 0.f;
  a.mean = mean.data(); a.inv_std_dev = rstd.data();
  ops::layer_norm(a, exec());
  const double means[] = {9.625, 4.125, 4.5};
  const double vars[] = {35.734375, 17.109375, 5.25};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(mean[i], means[i], 1e-6);
    EXPECT_NEAR(1.0 / (double(rstd[i]) * rstd[i]), vars[i], 1e-4 * vars[i]);
  }
}

TEST_P(LayerNormTest, RejectsBadArguments) {
  Buffer x(16), y(16);
  auto expect_error = [&](ops::LayerNormArgs a, const std::string& fragment) {
    try {
      ops::layer_norm(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  ops::LayerNormArgs ok;
  ok.x = x.data(); ok.y = y.data(); ok.rows = 2; ok.cols = 8;
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.rows = 0; expect_error(a, "rows must be positive");
  a = ok; a.cols = -3; expect_error(a, "cols must be positive");
  a = ok; a.rows = int64_t(1) << 40; a.cols = int64_t(1) << 40; expect_error(a, "overflows");
  a = ok; a.eps = -1.f; expect_error(a, "eps");
  a = ok; a.eps = std::numeric_limits<float>::quiet_NaN(); expect_error(a, "eps");
  a = ok; a.bias = x.data(); expect_error(a, "bias is given without skip");
  a = ok; a.skip = x.data(); a.skip_rows = 3; expect_error(a, "skip_rows");
  for (int i = 0; i < 16; ++i) EXPECT_EQ(y[i], 0.f) << "wrote output before failing";
}

TEST_P(RmsNormTest, EveryLengthOneTo70) {
  for (int64_t rows : {1, 3}) {
    for (int64_t cols = 1; cols <= 70; ++cols) {
      const auto n = std::size_t(rows * cols);
      Buffer x = random_buffer(n, uint32_t(cols + 100 * rows));
      Buffer g = random_buffer(std::size_t(cols), 13, 0.5f, 1.5f);
      Buffer y(n), rstd(static_cast<std::size_t>(rows));
      ops::RmsNormArgs a;
      a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols; a.gamma = g.data();
      a.inv_std_dev = rstd.data();
      ops::rms_norm(a, exec());
      const RowRef ref = reference_rows(x.to_vector(), rows, cols, true, g.data(), nullptr, 1e-5);
      ASSERT_TRUE(all_close(y.data(), ref.y, 1e-5, 1e-5)) << rows << "x" << cols;
      ASSERT_TRUE(all_close(rstd.data(), ref.rstd, 0, 2e-6)) << rows << "x" << cols;
    }
  }
}

TEST_P(RmsNormTest, FusedResidualAndInPlace) {
  for (int64_t cols : {3, 64, 1000}) {
    const int64_t rows = 4;
    Buffer x = random_buffer(rows * cols, 21), skip = random_buffer(rows * cols, 22);
    Buffer g = random_buffer(cols, 23), sum(rows * cols);
    ops::RmsNormArgs a;
    a.x = x.data(); a.y = x.data(); a.rows = rows; a.cols = cols; a.gamma = g.data();
    a.skip = skip.data(); a.sum = sum.data();
    const RowRef ref = reference_rows(x.to_vector(), rows, cols, true, g.data(), nullptr, 1e-5,
                                      skip.data(), rows, nullptr);
    ops::rms_norm(a, exec());
    EXPECT_TRUE(all_close(sum.data(), ref.sum, 0, 0));  // one rounding, as in the reference
    EXPECT_TRUE(all_close(x.data(), ref.y, 1e-5, 1e-5));
  }
}

TEST_P(RmsNormTest, ZeroRowWithEpsZeroIsNaNAndNanStaysInRow) {
  Buffer x(30), y(30);
  ops::RmsNormArgs a;
  a.x = x.data(); a.y = y.data(); a.rows = 3; a.cols = 10; a.eps = 0.f;
  for (int j = 10; j < 30; ++j) x[j] = 1.f;
  x[25] = std::numeric_limits<float>::quiet_NaN();
  ops::rms_norm(a, exec());
  for (int j = 0; j < 10; ++j) EXPECT_TRUE(std::isnan(y[j]));      // 0 / 0
  for (int j = 10; j < 20; ++j) EXPECT_EQ(y[j], 1.f);
  for (int j = 20; j < 30; ++j) EXPECT_TRUE(std::isnan(y[j]));
}

TEST_P(RmsNormTest, InfInTheOverlapOfTheLastVectorCountsOnce) {
  // 21 columns: the tail is read as the last whole vector, overlapping column
  // 14 (AVX2 and AVX-512) which was already counted. rstd = 1/sqrt(inf) = 0:
  // every finite x gives 0, the Inf itself NaN (inf * 0), as in the reference.
  const int64_t cols = 21;
  Buffer x = random_buffer(cols, 31), y(cols);
  x[14] = std::numeric_limits<float>::infinity();
  ops::RmsNormArgs a;
  a.x = x.data(); a.y = y.data(); a.rows = 1; a.cols = cols;
  ops::rms_norm(a, exec());
  for (int64_t j = 0; j < cols; ++j) {
    if (j == 14) {
      EXPECT_TRUE(std::isnan(y[j]));
    } else {
      EXPECT_EQ(y[j], 0.f) << j;
    }
  }
}

TEST_P(RmsNormTest, BitwiseIdenticalForAnyThreadCount) {
  const int64_t rows = 257, cols = 300;
  Buffer x = random_buffer(rows * cols, 6);
  Buffer first(rows * cols);
  for (int threads : invariance_thread_counts()) {
    Buffer y(rows * cols);
    ops::RmsNormArgs a;
    a.x = x.data(); a.y = y.data(); a.rows = rows; a.cols = cols;
    ops::rms_norm(a, exec(threads));
    if (threads == 1) first = y;
    EXPECT_TRUE(bitwise_equal(first.data(), y.data(), rows * cols)) << threads << " threads";
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(LayerNormTest);
NORMRT_INSTANTIATE_ISA_TESTS(RmsNormTest);

}  // namespace
}  // namespace normrt::test
