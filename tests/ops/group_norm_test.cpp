// GroupNorm (NCHW and NHWC, per-group and per-channel affine, fused
// activations) against a double-precision scalar reference.
#include <algorithm>
#include <limits>

#include "normrt/ops/group_norm.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Activation;
using ops::GroupAffine;
using ops::Layout;

struct GnShape {
  int64_t n, c, spatial, groups;
  Layout layout;
  std::size_t size() const { return std::size_t(n * c * spatial); }
  std::size_t index(int64_t i, int64_t ch, int64_t p) const {
    return std::size_t(layout == Layout::nchw ? (i * c + ch) * spatial + p
                                              : (i * spatial + p) * c + ch);
  }
};

struct GnRef {
  std::vector<double> y, mean, var;  // mean / var: [n, groups]
};

double apply_act(double v, Activation act) {
  if (act == Activation::relu) return v > 0 ? v : 0.0;
  if (act == Activation::silu) return v / (1.0 + std::exp(-v));
  return v;
}

// Independent reference: double everywhere, textbook two-pass formulas.
GnRef reference_group_norm(const std::vector<float>& x, const GnShape& s, const float* gamma,
                           const float* beta, GroupAffine affine, double eps,
                           Activation act = Activation::none) {
  GnRef r;
  r.y.resize(x.size());
  const int64_t cg = s.c / s.groups;
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t g = 0; g < s.groups; ++g) {
      double mean = 0, var = 0;
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t p = 0; p < s.spatial; ++p) mean += x[s.index(i, ch, p)];
      }
      mean /= double(cg * s.spatial);
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t p = 0; p < s.spatial; ++p) {
          const double d = x[s.index(i, ch, p)] - mean;
          var += d * d;
        }
      }
      var /= double(cg * s.spatial);
      r.mean.push_back(mean);
      r.var.push_back(var);
      const double rstd = 1.0 / std::sqrt(var + eps);
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        const int64_t k = affine == GroupAffine::per_group ? g : ch;
        const double ga = gamma ? gamma[k] : 1.0, be = beta ? beta[k] : 0.0;
        for (int64_t p = 0; p < s.spatial; ++p) {
          const std::size_t at = s.index(i, ch, p);
          r.y[at] = apply_act((x[at] - mean) * rstd * ga + be, act);
        }
      }
    }
  }
  return r;
}

ops::GroupNormArgs make_args(const GnShape& s, const Buffer& x, Buffer& y) {
  ops::GroupNormArgs a;
  a.x = x.data(); a.y = y.data();
  a.n = s.n; a.c = s.c; a.spatial = s.spatial; a.groups = s.groups; a.layout = s.layout;
  return a;
}

std::vector<double> rstd_of(const std::vector<double>& var, double eps) {
  std::vector<double> r;
  for (double v : var) r.push_back(1.0 / std::sqrt(v + eps));
  return r;
}

const char* layout_name(Layout l) { return l == Layout::nchw ? "nchw" : "nhwc"; }

class GroupNormTest : public IsaTest {};

// (C, G) pairs with channel counts that are not multiples of 8 or 16, and G
// in {1, C/2, C}.
const std::vector<std::pair<int64_t, int64_t>> kChannelGroups = {
    {3, 1},  {3, 3},   {6, 1},  {6, 3},   {6, 6},  {12, 1},  {12, 6},
    {12, 12}, {20, 1}, {20, 10}, {20, 20}, {24, 1}, {24, 12}, {24, 24}};

TEST_P(GroupNormTest, EveryShapeBothLayoutsAllAffineModes) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t n : {1, 3}) {
      for (auto [c, groups] : kChannelGroups) {
        for (int64_t spatial = 1; spatial <= 70; ++spatial) {
          const GnShape s{n, c, spatial, groups, layout};
          // Cycle through no affine, per-channel and per-group affine.
          const int mode = int((spatial + c) % 3);
          const GroupAffine affine = mode == 2 ? GroupAffine::per_group : GroupAffine::per_channel;
          const auto params = std::size_t(mode == 2 ? groups : c);
          Buffer x = random_buffer(s.size(), uint32_t(spatial * 131 + c * 7 + n));
          Buffer g = random_buffer(params, 11, 0.5f, 1.5f), b = random_buffer(params, 12);
          Buffer y(s.size()), mean(std::size_t(n * groups)), rstd(std::size_t(n * groups));
          ops::GroupNormArgs a = make_args(s, x, y);
          a.affine = affine;
          a.gamma = mode ? g.data() : nullptr;
          a.beta = mode ? b.data() : nullptr;
          a.mean = mean.data(); a.inv_std_dev = rstd.data();
          ops::group_norm(a, exec());
          const GnRef ref = reference_group_norm(x.to_vector(), s, a.gamma, a.beta, affine, 1e-5);
          const auto where = ::testing::Message() << layout_name(layout) << " n" << n << " c" << c
                                                  << " g" << groups << " s" << spatial << " mode "
                                                  << mode;
          // y is O(1): a few float roundings of the statistics and of the affine.
          ASSERT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << where;
          ASSERT_TRUE(all_close(mean.data(), ref.mean, 1e-6, 1e-6)) << where;
          ASSERT_TRUE(all_close(rstd.data(), rstd_of(ref.var, 1e-5), 0, 2e-6)) << where;
        }
      }
    }
  }
}

TEST_P(GroupNormTest, FusedSiluAndRelu) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (Activation act : {Activation::silu, Activation::relu}) {
      for (int64_t spatial : {1, 7, 33, 64, 300}) {
        const GnShape s{2, 20, spatial, 10, layout};
        Buffer x = random_buffer(s.size(), uint32_t(spatial));
        Buffer g = random_buffer(20, 3, 0.5f, 1.5f), b = random_buffer(20, 4);
        Buffer y(s.size());
        ops::GroupNormArgs a = make_args(s, x, y);
        a.gamma = g.data(); a.beta = b.data(); a.act = act;
        ops::group_norm(a, exec());
        const GnRef ref = reference_group_norm(x.to_vector(), s, g.data(), b.data(),
                                               GroupAffine::per_channel, 1e-5, act);
        // silu's exp is xsimd's (a few ulp), on top of the normalization's error.
        EXPECT_TRUE(all_close(y.data(), ref.y, 3e-5, 3e-5))
            << layout_name(layout) << " act " << int(act) << " s" << spatial;
      }
    }
  }
}

TEST_P(GroupNormTest, ManyPiecesMatchReferenceOnAnyThreadCount) {
  // 36000 floats per group (NCHW) or 9000 rows of 8 channels (NHWC) are cut
  // into several fixed pieces; 8 threads take the split path (2 groups < 8).
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const GnShape s{1, 8, 9000, 2, layout};
    Buffer x = random_buffer(s.size(), 77, -1.f, 3.f);
    Buffer g = random_buffer(8, 5, 0.5f, 1.5f), b = random_buffer(8, 6);
    const GnRef ref = reference_group_norm(x.to_vector(), s, g.data(), b.data(),
                                           GroupAffine::per_channel, 1e-5, Activation::silu);
    for (int threads : {1, 8}) {
      Buffer y(s.size()), mean(2), rstd(2);
      ops::GroupNormArgs a = make_args(s, x, y);
      a.gamma = g.data(); a.beta = b.data(); a.act = Activation::silu;
      a.mean = mean.data(); a.inv_std_dev = rstd.data();
      ops::group_norm(a, exec(threads));
      EXPECT_TRUE(all_close(y.data(), ref.y, 3e-5, 3e-5)) << layout_name(layout) << threads;
      EXPECT_TRUE(all_close(mean.data(), ref.mean, 1e-6, 1e-6)) << layout_name(layout);
      EXPECT_TRUE(all_close(rstd.data(), rstd_of(ref.var, 1e-5), 0, 2e-6)) << layout_name(layout);
    }
  }
}

// NHWC statistics walk columns of channels down fixed pieces of rows:
// a whole row of 1 to 8 vectors (AVX-512) or 1 to 4 (AVX2) is one linear
// column, wider rows go down two-vector columns then one vector then a
// partial one. Channel counts hit every column width and tail of both ISAs
// (C = 128: one AVX-512 column of 8; 136: 8 + a partial; 320: the
// diffusion UNet's); spatial sizes are odd, and 5000 rows span several
// pieces and several 32-row fp32 chunks. Means are offset so that a lane
// mixed up with another channel's shift would show. With N = 1, 2 and 3
// threads split wide rows by blocks of channels (the last thread takes the
// tails), 8 threads by pieces: all give the bits of 1 thread.
TEST_P(GroupNormTest, NhwcColumnWidthsMatchReference) {
  for (int64_t c : {8, 16, 24, 32, 40, 48, 64, 96, 112, 128, 136, 144, 320}) {
    for (int64_t spatial : {1, 33, 5000}) {
      const int64_t groups = c % 32 == 0 ? 32 : c / 8;
      const GnShape s{1, c, spatial, groups, Layout::nhwc};
      Buffer x = random_buffer(s.size(), uint32_t(c * 7 + spatial), -1.f, 1.f);
      for (int64_t p = 0; p < spatial; ++p) {
        for (int64_t ch = 0; ch < c; ++ch) x[s.index(0, ch, p)] += float(ch % 5) - 2.f;
      }
      Buffer g = random_buffer(std::size_t(c), 3, 0.5f, 1.5f);
      Buffer b = random_buffer(std::size_t(c), 4);
      const GnRef ref = reference_group_norm(x.to_vector(), s, g.data(), b.data(),
                                             GroupAffine::per_channel, 1e-5);
      std::vector<float> first, first_rstd;
      for (int threads : invariance_thread_counts()) {
        const auto stats = static_cast<std::size_t>(groups);
        Buffer y(s.size()), mean(stats), rstd(stats);
        ops::GroupNormArgs a = make_args(s, x, y);
        a.gamma = g.data(); a.beta = b.data();
        a.mean = mean.data(); a.inv_std_dev = rstd.data();
        ops::group_norm(a, exec(threads));
        const auto where = ::testing::Message() << "c" << c << " s" << spatial << " t" << threads;
        // As EveryShapeBothLayoutsAllAffineModes: y is O(1).
        ASSERT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << where;
        ASSERT_TRUE(all_close(mean.data(), ref.mean, 1e-6, 1e-6)) << where;
        ASSERT_TRUE(all_close(rstd.data(), rstd_of(ref.var, 1e-5), 0, 2e-6)) << where;
        if (first.empty()) { first = y.to_vector(); first_rstd = rstd.to_vector(); }
        ASSERT_TRUE(bitwise_equal(first.data(), y.data(), s.size())) << where;
        ASSERT_TRUE(bitwise_equal(first_rstd.data(), rstd.data(), stats)) << where;
      }
    }
  }
}

// NHWC images of one thread overlap: image u + 1's statistics run between
// the output pieces of image u (group_norm.cpp, run_overlapped). Images 1
// and 2 start with rows of zeros before values near 1e4, so their
// provisional shifts (from the head) are far from the means and their
// statistics rerun around refined shifts in the middle of that overlap.
// Every thread count gives the reference and the same bits.
TEST_P(GroupNormTest, NhwcOverlappedImagesRefineShifts) {
  const GnShape s{3, 16, 3001, 4, Layout::nhwc};
  std::mt19937 rng(5);
  std::normal_distribution<double> dist(1e4, 1.0);
  Buffer x(s.size());
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t p = 0; p < s.spatial; ++p) {
      for (int64_t ch = 0; ch < s.c; ++ch) {
        x[s.index(i, ch, p)] = i > 0 && p < 40 ? 0.f : float(dist(rng)) - float(ch % 3);
      }
    }
  }
  Buffer g = random_buffer(16, 5, 0.5f, 1.5f), b = random_buffer(16, 6);
  const GnRef ref = reference_group_norm(x.to_vector(), s, g.data(), b.data(),
                                         GroupAffine::per_channel, 1e-5);
  std::vector<float> first;
  for (int threads : invariance_thread_counts()) {
    Buffer y(s.size()), mean(12);
    ops::GroupNormArgs a = make_args(s, x, y);
    a.gamma = g.data(); a.beta = b.data(); a.mean = mean.data();
    ops::group_norm(a, exec(threads));
    if (first.empty()) first = y.to_vector();
    // y is O(1) (images 1 and 2: the zeros sit ~8 std below the mean) and
    // x - shift is exact near the mean: as EveryShapeBothLayoutsAllAffineModes.
    // The means (~1e4) are rounded once to float: 6e-8 relative.
    EXPECT_TRUE(all_close(y.data(), ref.y, 2e-5, 2e-5)) << threads << " threads";
    EXPECT_TRUE(all_close(mean.data(), ref.mean, 0, 1.2e-7)) << threads << " threads";
    EXPECT_TRUE(bitwise_equal(first.data(), y.data(), s.size())) << threads << " threads";
  }
}

// Outputs of 16 MiB and more (on one thread 8 MiB; stream_output) are
// written with streaming stores where every plane or row is whole 64-byte
// lines of a line-aligned y, unless the epilogue is SiLU (grouped_plans.hpp). Streamed or not (planes or rows of 6 or 40
// channels, a misaligned y), on one thread, on the split path (N = 1) and
// the per-group path, and in place, the outputs match the reference with
// the same bits.
TEST_P(GroupNormTest, StreamedLargeOutputMatchesReference) {
  struct Case {
    Layout layout;
    int64_t n, c, spatial;
  };
  const Case cases[] = {
      {Layout::nchw, 2, 6, 350000},  // whole-line planes: streamed
      {Layout::nchw, 2, 40, 52500},  // planes of 52500 floats: not
      {Layout::nchw, 1, 64, 32768},  // 8 MiB: streamed on one thread only
      {Layout::nhwc, 2, 6, 350000},  // rows of 24 bytes: not
      {Layout::nhwc, 2, 64, 32768},  // whole-line rows: streamed
      {Layout::nhwc, 1, 64, 32768},  // 8 MiB: streamed on one thread only
  };
  for (const Case& k : cases) {
    const GnShape s{k.n, k.c, k.spatial, 2, k.layout};
    const std::string name = layout_name(k.layout) + std::string(" ") + std::to_string(k.n) +
                             "x" + std::to_string(k.c) + "x" + std::to_string(k.spatial);
    Buffer x = random_buffer(s.size(), 78, -1.f, 3.f);
    Buffer g = random_buffer(std::size_t(k.c), 7, 0.5f, 1.5f);
    Buffer b = random_buffer(std::size_t(k.c), 8);
    const GnRef ref = reference_group_norm(x.to_vector(), s, g.data(), b.data(),
                                           GroupAffine::per_channel, 1e-5, Activation::relu);
    auto args = [&](float* in, float* out) {
      ops::GroupNormArgs a;
      a.x = in; a.y = out;
      a.n = s.n; a.c = s.c; a.spatial = s.spatial; a.groups = s.groups; a.layout = s.layout;
      a.gamma = g.data(); a.beta = b.data(); a.act = Activation::relu;
      return a;
    };
    LineAlignedBuffer first(s.size()), y(s.size());
    ops::group_norm(args(x.data(), first.data()), exec(1));
    ASSERT_TRUE(all_close(first.data(), ref.y, 3e-5, 3e-5)) << name;
    for (int threads : {2, 8}) {
      ops::group_norm(args(x.data(), y.data()), exec(threads));
      EXPECT_TRUE(bitwise_equal(first.data(), y.data(), s.size())) << name << ", " << threads;
    }
    Buffer misaligned(s.size());
    ops::group_norm(args(x.data(), misaligned.data()), exec(1));
    EXPECT_TRUE(bitwise_equal(first.data(), misaligned.data(), s.size())) << name;
    LineAlignedBuffer in_place(s.size());
    std::copy(x.data(), x.data() + s.size(), in_place.data());
    ops::group_norm(args(in_place.data(), in_place.data()), exec(2));
    EXPECT_TRUE(bitwise_equal(first.data(), in_place.data(), s.size())) << name;
  }
}

TEST_P(GroupNormTest, InPlaceMatchesOutOfPlace) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const GnShape s{3, 24, 45, 6, layout};
    Buffer x = random_buffer(s.size(), 3);
    Buffer g = random_buffer(6, 5, 0.5f, 1.5f), b = random_buffer(6, 6);
    Buffer y(s.size());
    ops::GroupNormArgs a = make_args(s, x, y);
    a.gamma = g.data(); a.beta = b.data(); a.affine = GroupAffine::per_group;
    a.act = Activation::silu;
    ops::group_norm(a, exec());
    a.y = x.data();
    ops::group_norm(a, exec());
    EXPECT_TRUE(bitwise_equal(x.data(), y.data(), s.size())) << layout_name(layout);
  }
}

TEST_P(GroupNormTest, ConstantGroupGivesBetaExactly) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t spatial : {1, 5, 17, 100, 5000}) {
      for (float value : {0.1f, -3.7f, 1e4f, 123456.789f, 1e-30f}) {
        const GnShape s{2, 12, spatial, 4, layout};
        Buffer x = random_buffer(s.size(), 8);
        for (int64_t ch = 3; ch < 6; ++ch) {  // group 1 of image 1
          for (int64_t p = 0; p < spatial; ++p) x[s.index(1, ch, p)] = value;
        }
        Buffer g = random_buffer(12, 9), b = random_buffer(12, 10), y(s.size());
        ops::GroupNormArgs a = make_args(s, x, y);
        a.gamma = g.data(); a.beta = b.data();
        ops::group_norm(a, exec());
        for (int64_t ch = 3; ch < 6; ++ch) {
          for (int64_t p = 0; p < spatial; ++p) {
            ASSERT_EQ(y[s.index(1, ch, p)], b[std::size_t(ch)])
                << layout_name(layout) << " s" << spatial << " value " << value;
          }
        }
      }
    }
  }
}

TEST_P(GroupNormTest, EpsZeroOnConstantGroupIsNaN) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const GnShape s{1, 4, 10, 2, layout};
    Buffer x = random_buffer(s.size(), 1), y(s.size());
    for (int64_t ch = 0; ch < 2; ++ch) {
      for (int64_t p = 0; p < 10; ++p) x[s.index(0, ch, p)] = 2.5f;
    }
    ops::GroupNormArgs a = make_args(s, x, y);
    a.eps = 0.f;
    ops::group_norm(a, exec());
    for (int64_t p = 0; p < 10; ++p) {
      for (int64_t ch = 0; ch < 2; ++ch) EXPECT_TRUE(std::isnan(y[s.index(0, ch, p)]));
      for (int64_t ch = 2; ch < 4; ++ch) EXPECT_TRUE(std::isfinite(y[s.index(0, ch, p)]));
    }
  }
}

TEST_P(GroupNormTest, LargeMeanSmallStdKeepsDigits) {
  // Groups with means 1e4, 1e5, 1e6 and std 1e-2: E[x^2] - E[x]^2 in fp32
  // would return garbage. The last shape needs several pieces per group.
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (int64_t spatial : {37, 1000, 12000}) {
      const GnShape s{1, 6, spatial, 3, layout};
      std::mt19937 rng(static_cast<uint32_t>(spatial));
      Buffer x(s.size()), y(s.size());
      const double means[] = {1e4, 1e5, 1e6};
      for (int64_t ch = 0; ch < 6; ++ch) {
        std::normal_distribution<double> dist(means[ch / 2], 1e-2);
        for (int64_t p = 0; p < spatial; ++p) x[s.index(0, ch, p)] = float(dist(rng));
      }
      ops::GroupNormArgs a = make_args(s, x, y);
      // eps far below var (1e-4) so a cancelling variance could not hide behind it.
      a.eps = 1e-7f;
      ops::group_norm(a, exec());
      const GnRef ref = reference_group_norm(x.to_vector(), s, nullptr, nullptr,
                                             GroupAffine::per_channel, 1e-7);
      // y is in units of the group's std: an error of 1e-4 std.
      EXPECT_TRUE(all_close(y.data(), ref.y, 1e-4, 0)) << layout_name(layout) << " s" << spatial;
    }
  }
}

TEST_P(GroupNormTest, DenormalInputs) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const GnShape s{1, 6, 45, 2, layout};
    Buffer x(s.size()), y(s.size());
    for (std::size_t j = 0; j < s.size(); ++j) {
      x[j] = std::numeric_limits<float>::denorm_min() * float(j % 7);
    }
    ops::GroupNormArgs a = make_args(s, x, y);
    ops::group_norm(a, exec());
    const GnRef ref = reference_group_norm(x.to_vector(), s, nullptr, nullptr,
                                           GroupAffine::per_channel, 1e-5);
    // var (~1e-90) vanishes next to eps: y is x - mean scaled by 316, ~0.
    EXPECT_TRUE(all_close(y.data(), ref.y, 1e-6, 0)) << layout_name(layout);
  }
}

TEST_P(GroupNormTest, NanAndInfStayInTheirGroup) {
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const GnShape s{2, 8, 21, 4, layout};
    Buffer x = random_buffer(s.size(), 4), y(s.size()), mean(8);
    x[s.index(0, 3, 5)] = std::numeric_limits<float>::quiet_NaN();  // image 0, group 1
    x[s.index(1, 4, 20)] = std::numeric_limits<float>::infinity();  // image 1, group 2
    ops::GroupNormArgs a = make_args(s, x, y);
    a.mean = mean.data();
    ops::group_norm(a, exec());
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t ch = 0; ch < 8; ++ch) {
        const int64_t g = ch / 2;
        const bool poisoned = (i == 0 && g == 1) || (i == 1 && g == 2);
        for (int64_t p = 0; p < 21; ++p) {
          const float v = y[s.index(i, ch, p)];
          if (i == 0 && g == 1) {
            ASSERT_TRUE(std::isnan(v)) << layout_name(layout);
          } else if (poisoned) {
            ASSERT_FALSE(std::isfinite(v)) << layout_name(layout);
          } else {
            ASSERT_TRUE(std::isfinite(v)) << layout_name(layout) << " i" << i << " ch" << ch;
          }
        }
      }
    }
    EXPECT_TRUE(std::isnan(mean[1]));
    EXPECT_TRUE(std::isfinite(mean[0]) && std::isfinite(mean[4]) && std::isfinite(mean[7]));
  }
}

TEST_P(GroupNormTest, BitwiseIdenticalForAnyThreadCount) {
  // Shapes with many groups (one thread per group); n * groups = 2 with
  // several pieces per group (the split reduction for 3 and 8 threads); and
  // in NHWC a wide image of 256 pieces whose partials fold on several threads.
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (const GnShape& s : {GnShape{3, 32, 1000, 8, layout}, GnShape{1, 4, 10000, 2, layout},
                             GnShape{1, 256, 16384, 32, layout}}) {
      Buffer x = random_buffer(s.size(), 5);
      Buffer g = random_buffer(std::size_t(s.c), 6), b = random_buffer(std::size_t(s.c), 7);
      const auto stats = std::size_t(s.n * s.groups);
      // Snapshots as vectors: a copied Buffer may sit at another misalignment.
      std::vector<float> first, first_mean, first_rstd;
      for (int threads : invariance_thread_counts()) {
        Buffer y(s.size()), mean(stats), rstd(stats);
        ops::GroupNormArgs a = make_args(s, x, y);
        a.gamma = g.data(); a.beta = b.data(); a.act = Activation::silu;
        a.mean = mean.data(); a.inv_std_dev = rstd.data();
        ops::group_norm(a, exec(threads));
        if (threads == 1) {
          first = y.to_vector(); first_mean = mean.to_vector(); first_rstd = rstd.to_vector();
        }
        const auto where = ::testing::Message() << layout_name(layout) << " n" << s.n << " "
                                                << threads << " threads";
        EXPECT_TRUE(bitwise_equal(first.data(), y.data(), s.size())) << where;
        EXPECT_TRUE(bitwise_equal(first_mean.data(), mean.data(), stats)) << where;
        EXPECT_TRUE(bitwise_equal(first_rstd.data(), rstd.data(), stats)) << where;
      }
    }
  }
}

TEST_P(GroupNormTest, WorkedExampleThreeImagesTwoGroups) {
  // Three images, four channels of 1x2 each, two groups of two channels.
  const std::vector<float> nchw = {2, 3, 5, 7, 11, 13, 17, 19,   // image 1
                                   0, 1, 1, 2, 3, 5, 8, 13,      // image 2
                                   1, 2, 3, 4, 5, 6, 7, 8};      // image 3
  const double means[] = {4.25, 15.0, 1.0, 7.25, 2.5, 6.5};
  const double vars[] = {3.6875, 10.0, 0.5, 14.1875, 1.25, 1.25};
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    const GnShape s{3, 4, 2, 2, layout};
    Buffer x(24), y(24), mean(6), rstd(6);
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t ch = 0; ch < 4; ++ch) {
        for (int64_t p = 0; p < 2; ++p) x[s.index(i, ch, p)] = nchw[std::size_t((i * 4 + ch) * 2 + p)];
      }
    }
    ops::GroupNormArgs a = make_args(s, x, y);
    a.eps = 0.f; a.mean = mean.data(); a.inv_std_dev = rstd.data();
    ops::group_norm(a, exec());
    for (std::size_t k = 0; k < 6; ++k) {
      EXPECT_NEAR(mean[k], means[k], 1e-6) << layout_name(layout) << " stat " << k;
      EXPECT_NEAR(1.0 / (double(rstd[k]) * rstd[k]), vars[k], 1e-5 * vars[k])
          << layout_name(layout) << " stat " << k;
    }
  }
}

TEST_P(GroupNormTest, RejectsBadArguments) {
  Buffer x(48), y(48), mean(4);
  auto expect_error = [&](ops::GroupNormArgs a, const std::string& fragment) {
    try {
      ops::group_norm(a, exec());
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("group_norm"), std::string::npos) << e.what();
    }
  };
  ops::GroupNormArgs ok;
  ok.x = x.data(); ok.y = y.data(); ok.n = 2; ok.c = 6; ok.spatial = 4; ok.groups = 2;
  ok.mean = mean.data();
  auto a = ok; a.x = nullptr; expect_error(a, "x is null");
  a = ok; a.y = nullptr; expect_error(a, "y is null");
  a = ok; a.n = 0; expect_error(a, "n must be positive");
  a = ok; a.c = -6; expect_error(a, "c must be positive");
  a = ok; a.spatial = 0; expect_error(a, "spatial must be positive");
  a = ok; a.groups = 0; expect_error(a, "groups must be positive");
  a = ok; a.groups = 4; expect_error(a, "not divisible by groups");
  a = ok; a.n = int64_t(1) << 40; a.c = int64_t(1) << 40; expect_error(a, "overflows");
  a = ok; a.spatial = int64_t(1) << 60; expect_error(a, "n * c * spatial overflows");
  a = ok; a.eps = -1.f; expect_error(a, "eps");
  a = ok; a.eps = std::numeric_limits<float>::quiet_NaN(); expect_error(a, "eps");
  a = ok; a.eps = std::numeric_limits<float>::infinity(); expect_error(a, "eps");
  a = ok; a.layout = static_cast<Layout>(7); expect_error(a, "layout");
  a = ok; a.act = static_cast<Activation>(9); expect_error(a, "act");
  a = ok; a.affine = static_cast<GroupAffine>(5); expect_error(a, "affine");
  for (std::size_t i = 0; i < 48; ++i) EXPECT_EQ(y[i], 0.f) << "wrote output before failing";
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(mean[i], 0.f) << "wrote mean before failing";
}

NORMRT_INSTANTIATE_ISA_TESTS(GroupNormTest);

}  // namespace
}  // namespace normrt::test
