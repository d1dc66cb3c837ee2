// LRN across channels against a double-precision reference of ONNX LRN-13.
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "normrt/ops/lrn.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Layout;

struct LrnProblem {
  int64_t n, c, spatial;
  Layout layout;
  int64_t size;
  float alpha, beta, bias;
};

int64_t at(const LrnProblem& p, int64_t i, int64_t ch, int64_t s) {
  return p.layout == Layout::nchw ? (i * p.c + ch) * p.spatial + s : (i * p.spatial + s) * p.c + ch;
}

// ONNX LRN-13, in double: window [c - floor((size-1)/2), c + ceil((size-1)/2)] within [0, C).
std::vector<double> lrn_ref(const LrnProblem& p, const float* x) {
  std::vector<double> y(std::size_t(p.n * p.c * p.spatial));
  const int64_t before = (p.size - 1) / 2, after = p.size / 2;  // floor / ceil of (size-1)/2
  for (int64_t i = 0; i < p.n; ++i) {
    for (int64_t s = 0; s < p.spatial; ++s) {
      for (int64_t ch = 0; ch < p.c; ++ch) {
        double sum = 0;
        for (int64_t w = std::max<int64_t>(0, ch - before); w <= std::min(p.c - 1, ch + after); ++w) {
          const double v = x[at(p, i, w, s)];
          sum += v * v;
        }
        const double d = double(p.bias) + double(p.alpha) / double(p.size) * sum;
        y[std::size_t(at(p, i, ch, s))] = double(x[at(p, i, ch, s)]) / std::pow(d, double(p.beta));
      }
    }
  }
  return y;
}

ops::LrnArgs make_args(const LrnProblem& p, const float* x, float* y) {
  ops::LrnArgs a;
  a.x = x; a.y = y; a.n = p.n; a.c = p.c; a.spatial = p.spatial; a.layout = p.layout;
  a.size = p.size; a.alpha = p.alpha; a.beta = p.beta; a.bias = p.bias;
  return a;
}

// The float path: squares and their sum (size positive terms, <= size * 2^-24
// relative), the fma into d, then d^beta via square roots or pow (a few ulp).
// 2e-6 relative (~16 ulp) covers size 11 with room; a wrong window or a
// missing/extra channel shifts y by far more (alpha = 1 makes d ~ 1 + |x|^2).
constexpr double kRtol = 2e-6;

class LrnTest : public IsaTest {};

// Sizes up to 7 keep the NCHW window in registers; 11 takes the scratch path.
TEST_P(LrnTest, EverySizeChannelCountAndTail) {
  for (int64_t size : {1, 3, 5, 7, 11}) {
    for (int64_t c : {1, 2, 3, 5, 8, 17, 96}) {
      for (int64_t spatial = 1; spatial <= 70; ++spatial) {
        const auto total = std::size_t(2 * c * spatial);
        const Buffer x = random_buffer(total, uint32_t(size * 1000 + c * 71 + spatial));
        for (Layout layout : {Layout::nchw, Layout::nhwc}) {
          for (float beta : {0.75f, 0.6f}) {
            const LrnProblem p{2, c, spatial, layout, size, 1.0f, beta, 1.0f};
            Buffer y(total);
            ops::lrn(make_args(p, x.data(), y.data()), exec());
            ASSERT_TRUE(all_close(y.data(), lrn_ref(p, x.data()), 0, kRtol))
                << "size " << size << " c " << c << " spatial " << spatial
                << (layout == Layout::nchw ? " nchw" : " nhwc") << " beta " << beta;
          }
        }
      }
    }
  }
}

TEST_P(LrnTest, GeneralAndSpecialBetas) {
  for (float beta : {0.5f, 1.0f, 0.6f, 0.75f, 1.7f, 0.0f}) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      const LrnProblem p{2, 13, 37, layout, 5, 2.0f, beta, 0.5f};
      const auto total = std::size_t(p.n * p.c * p.spatial);
      const Buffer x = random_buffer(total, 31);
      Buffer y(total);
      ops::lrn(make_args(p, x.data(), y.data()), exec());
      EXPECT_TRUE(all_close(y.data(), lrn_ref(p, x.data()), 0, kRtol)) << "beta " << beta;
    }
  }
}

TEST_P(LrnTest, WorkloadShapesAcrossSpatialTiles) {
  // NCHW works on spatial tiles whose width depends on C: these shapes span
  // several tiles and end on a partial one (GoogLeNet / AlexNet LRN).
  const std::vector<LrnProblem> shapes = {
      {1, 96, 55 * 55, Layout::nchw, 5, 1e-4f, 0.75f, 1.f},
      {1, 64, 57 * 57, Layout::nhwc, 5, 1e-4f, 0.75f, 1.f},
      {2, 17, 1000, Layout::nchw, 3, 1.f, 0.75f, 2.f},
      {1, 3, 1025, Layout::nchw, 7, 1.f, 0.6f, 1.f},
  };
  for (const LrnProblem& p : shapes) {
    const auto total = std::size_t(p.n * p.c * p.spatial);
    const Buffer x = random_buffer(total, uint32_t(total));
    Buffer y(total);
    ops::lrn(make_args(p, x.data(), y.data()), exec());
    EXPECT_TRUE(all_close(y.data(), lrn_ref(p, x.data()), 0, kRtol)) << p.c << "x" << p.spatial;
  }
}

TEST_P(LrnTest, WindowWiderThanChannels) {
  // size 9 on 3 channels: every window covers all channels.
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const LrnProblem p{1, 3, 11, layout, 9, 1.f, 0.75f, 1.f};
    const Buffer x = random_buffer(33, 41);
    Buffer y(33);
    ops::lrn(make_args(p, x.data(), y.data()), exec());
    EXPECT_TRUE(all_close(y.data(), lrn_ref(p, x.data()), 0, kRtol));
  }
}

TEST_P(LrnTest, InPlaceMatchesOutOfPlace) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const LrnProblem p{2, 17, 45, layout, 5, 1.f, 0.75f, 1.f};
    const auto total = std::size_t(p.n * p.c * p.spatial);
    Buffer x = random_buffer(total, 51), y(total);
    ops::lrn(make_args(p, x.data(), y.data()), exec());
    ops::lrn(make_args(p, x.data(), x.data()), exec());
    EXPECT_TRUE(bitwise_equal(x.data(), y.data(), total));
  }
}

// NHWC outputs of 16 MiB and more, rows starting on vector boundaries, go out
// with streaming stores: same numbers, several threads, in place too.
TEST_P(LrnTest, StreamedLargeNhwcOutput) {
  const LrnProblem p{1, 64, 65600, Layout::nhwc, 5, 1e-4f, 0.75f, 1.f};  // 16.8 MB of y
  const auto total = std::size_t(p.n * p.c * p.spatial);
  struct Free {
    void operator()(float* f) const { std::free(f); }
  };
  auto aligned = [&] {
    return std::unique_ptr<float[], Free>(static_cast<float*>(std::aligned_alloc(64, total * sizeof(float))));
  };
  const Buffer data = random_buffer(total, 61);
  auto x = aligned(), y = aligned();
  std::memcpy(x.get(), data.data(), total * sizeof(float));
  ops::lrn(make_args(p, x.get(), y.get()), exec(3));
  ASSERT_TRUE(all_close(y.get(), lrn_ref(p, x.get()), 0, kRtol));
  ops::lrn(make_args(p, x.get(), x.get()), exec(2));
  EXPECT_TRUE(bitwise_equal(x.get(), y.get(), total));
}

TEST_P(LrnTest, LayoutsAgreeBitwise) {
  // Both layouts add the same squares in the same (ascending channel) order.
  const LrnProblem nchw{2, 19, 33, Layout::nchw, 5, 1.f, 0.6f, 1.f};
  LrnProblem nhwc = nchw;
  nhwc.layout = Layout::nhwc;
  const auto total = std::size_t(nchw.n * nchw.c * nchw.spatial);
  const Buffer x = random_buffer(total, 61);
  Buffer xt(total), y(total), yt(total);
  for (int64_t i = 0; i < nchw.n; ++i)
    for (int64_t ch = 0; ch < nchw.c; ++ch)
      for (int64_t s = 0; s < nchw.spatial; ++s)
        xt[std::size_t(at(nhwc, i, ch, s))] = x[std::size_t(at(nchw, i, ch, s))];
  ops::lrn(make_args(nchw, x.data(), y.data()), exec());
  ops::lrn(make_args(nhwc, xt.data(), yt.data()), exec());
  for (int64_t i = 0; i < nchw.n; ++i)
    for (int64_t ch = 0; ch < nchw.c; ++ch)
      for (int64_t s = 0; s < nchw.spatial; ++s)
        ASSERT_EQ(y[std::size_t(at(nchw, i, ch, s))], yt[std::size_t(at(nhwc, i, ch, s))]);
}

TEST_P(LrnTest, NanStaysInItsWindow) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const LrnProblem p{2, 11, 20, layout, 3, 1.f, 0.75f, 1.f};
    const auto total = std::size_t(p.n * p.c * p.spatial);
    Buffer x = random_buffer(total, 71), y(total);
    x[std::size_t(at(p, 1, 5, 9))] = std::numeric_limits<float>::quiet_NaN();
    ops::lrn(make_args(p, x.data(), y.data()), exec());
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t ch = 0; ch < p.c; ++ch)
        for (int64_t s = 0; s < p.spatial; ++s) {
          const bool touched = i == 1 && s == 9 && ch >= 4 && ch <= 6;
          EXPECT_EQ(std::isnan(y[std::size_t(at(p, i, ch, s))]), touched) << i << " " << ch << " " << s;
        }
  }
}

TEST_P(LrnTest, BitwiseIdenticalForAnyThreadCount) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const LrnProblem p{4, 96, 27 * 27, layout, 5, 1e-4f, 0.75f, 1.f};
    const auto total = std::size_t(p.n * p.c * p.spatial);
    const Buffer x = random_buffer(total, 81);
    // Buffer's copy does not keep the misaligned offset: compare against a vector.
    std::vector<float> first;
    for (int threads : invariance_thread_counts()) {
      Buffer y(total);
      ops::lrn(make_args(p, x.data(), y.data()), exec(threads));
      if (threads == 1) first = y.to_vector();
      EXPECT_TRUE(bitwise_equal(first.data(), y.data(), total)) << threads << " threads";
    }
  }
}

TEST_P(LrnTest, RejectsBadArgumentsWithoutWriting) {
  Buffer x(24, 1.f), y(24);
  auto expect_error = [&](ops::LrnArgs a, const std::string& fragment) {
    try {
      ops::lrn(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ops::LrnArgs ok;
  ok.x = x.data(); ok.y = y.data(); ok.n = 2; ok.c = 3; ok.spatial = 4;
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.n = 0; expect_error(a, "n must be positive");
  a = ok; a.c = -2; expect_error(a, "c must be positive");
  a = ok; a.spatial = 0; expect_error(a, "spatial must be positive");
  a = ok; a.c = int64_t(1) << 40; a.spatial = int64_t(1) << 40; expect_error(a, "overflows");
  a = ok; a.layout = static_cast<Layout>(5); expect_error(a, "layout");
  a = ok; a.size = 4; expect_error(a, "size must be odd and positive");
  a = ok; a.size = 0; expect_error(a, "size must be odd and positive");
  a = ok; a.size = -3; expect_error(a, "size must be odd and positive");
  a = ok; a.alpha = nan; expect_error(a, "alpha must be finite");
  a = ok; a.alpha = -1.f; expect_error(a, "alpha must be >= 0");
  a = ok; a.beta = inf; expect_error(a, "beta must be finite");
  a = ok; a.bias = nan; expect_error(a, "bias must be finite");
  a = ok; a.bias = 0.f; expect_error(a, "bias must be > 0");
  a = ok; a.y = x.data() + 3; expect_error(a, "overlaps");
  for (int i = 0; i < 24; ++i) EXPECT_EQ(y[std::size_t(i)], 0.f) << "wrote output before failing";
}

NORMRT_INSTANTIATE_ISA_TESTS(LrnTest);

}  // namespace
}  // namespace normrt::test
