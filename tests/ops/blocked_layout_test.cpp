// The blocked layouts nchw8c / nchw16c (oneDNN's nChw8c / nChw16c) on
// batch_norm_apply, group_norm, instance_norm and lrn: inputs are built in
// NCHW, reordered to blocked with NaN in the channel padding lanes, and the
// outputs reordered back and compared against double-precision references.
// The padding lanes of every output must come out exactly 0.
#include <limits>

#include "normrt/ops/batch_norm.hpp"
#include "normrt/ops/group_norm.hpp"
#include "normrt/ops/lrn.hpp"
#include "normrt/error.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

using ops::Activation;
using ops::Layout;

struct Dims {
  int64_t n, c, spatial;
  Layout layout;
  int64_t b() const { return ops::channel_block(layout); }
  int64_t blocks() const { return (c + b() - 1) / b(); }
  std::size_t plain() const { return std::size_t(n * c * spatial); }
  std::size_t blocked() const { return std::size_t(ops::layout_elements(layout, n, c, spatial)); }
  // Offset of (image, channel, position) in the blocked tensor.
  std::size_t at(int64_t i, int64_t ch, int64_t p) const {
    return std::size_t(((i * blocks() + ch / b()) * spatial + p) * b() + ch % b());
  }
};

// NCHW -> blocked; the padding lanes get `pad` (NaN: must never leak).
Buffer to_blocked(const Buffer& x, const Dims& d,
                  float pad = std::numeric_limits<float>::quiet_NaN()) {
  Buffer out(d.blocked(), pad);
  for (int64_t i = 0; i < d.n; ++i)
    for (int64_t ch = 0; ch < d.c; ++ch)
      for (int64_t p = 0; p < d.spatial; ++p)
        out[d.at(i, ch, p)] = x[std::size_t((i * d.c + ch) * d.spatial + p)];
  return out;
}

std::vector<float> to_plain(const Buffer& y, const Dims& d) {
  std::vector<float> out(d.plain());
  for (int64_t i = 0; i < d.n; ++i)
    for (int64_t ch = 0; ch < d.c; ++ch)
      for (int64_t p = 0; p < d.spatial; ++p)
        out[std::size_t((i * d.c + ch) * d.spatial + p)] = y[d.at(i, ch, p)];
  return out;
}

::testing::AssertionResult padding_is_zero(const Buffer& y, const Dims& d) {
  for (int64_t i = 0; i < d.n; ++i)
    for (int64_t ch = d.c; ch < d.blocks() * d.b(); ++ch)
      for (int64_t p = 0; p < d.spatial; ++p) {
        const float v = y[d.at(i, ch, p)];
        if (!(v == 0.f)) {
          return ::testing::AssertionFailure() << "padding lane " << ch << " at image " << i
                                               << " position " << p << " is " << v;
        }
      }
  return ::testing::AssertionSuccess();
}

double act_ref(double v, Activation act) {
  if (act == Activation::relu) return v > 0 ? v : 0.0;
  if (act == Activation::silu) return v / (1.0 + std::exp(-v));
  return v;
}

const char* name(Layout l) { return l == Layout::nchw8c ? "nchw8c" : "nchw16c"; }

// Channel counts below, at and across one and several blocks; spatial sizes
// with odd position counts (an AVX-512 nchw8c plane ends in half a vector).
const std::vector<int64_t> kChannels = {1, 5, 8, 13, 16, 19, 40};
const std::vector<int64_t> kSpatial = {1, 3, 7 * 7, 64};

class BlockedLayoutTest : public IsaTest {};

// ---- BatchNorm apply: y = act(x * scale[c] + shift[c]); one fp32 fma against
// the double product of the same float operands: 2^-24 relative plus an
// absolute term for cancellation near 0; silu adds the exp approximation.
TEST_P(BlockedLayoutTest, BatchNormApply) {
  for (Layout layout : {Layout::nchw8c, Layout::nchw16c}) {
    for (int64_t c : kChannels) {
      for (int64_t spatial : kSpatial) {
        for (Activation act : {Activation::none, Activation::relu, Activation::silu}) {
          const Dims d{2, c, spatial, layout};
          const Buffer plain = random_buffer(d.plain(), uint32_t(c * 31 + spatial));
          const Buffer scale = random_buffer(std::size_t(c), 5, 0.5f, 2.f);
          const Buffer shift = random_buffer(std::size_t(c), 6);
          Buffer x = to_blocked(plain, d), y(d.blocked(), 7.f);
          ops::BatchNormArgs a;
          a.x = x.data(); a.y = y.data(); a.n = d.n; a.c = c; a.spatial = spatial;
          a.layout = layout; a.scale = scale.data(); a.shift = shift.data(); a.act = act;
          ops::batch_norm_apply(a, exec());
          std::vector<double> ref(d.plain());
          for (std::size_t e = 0; e < ref.size(); ++e) {
            const auto ch = std::size_t((int64_t(e) / spatial) % c);
            ref[e] = act_ref(double(plain[e]) * scale[ch] + shift[ch], act);
          }
          const auto where = ::testing::Message() << name(layout) << " c" << c << " s" << spatial
                                                  << " act" << int(act);
          ASSERT_TRUE(all_close(to_plain(y, d).data(), ref, 1e-6, 2e-6)) << where;
          ASSERT_TRUE(padding_is_zero(y, d)) << where;
          // In place gives the same bits.
          ops::batch_norm_apply([&] { auto b = a; b.y = x.data(); return b; }(), exec());
          ASSERT_TRUE(bitwise_equal(x.data(), y.data(), d.blocked())) << where;
        }
      }
    }
  }
}

// ---- GroupNorm / InstanceNorm against the textbook two-pass reference.
struct GnRef {
  std::vector<double> y, mean, rstd;
};

GnRef gn_ref(const Buffer& x, const Dims& d, int64_t groups, const float* gamma,
             const float* beta, ops::GroupAffine affine, double eps, Activation act) {
  GnRef r;
  r.y.resize(d.plain());
  const int64_t cg = d.c / groups, count = cg * d.spatial;
  for (int64_t i = 0; i < d.n; ++i) {
    for (int64_t g = 0; g < groups; ++g) {
      const std::size_t first = std::size_t((i * d.c + g * cg) * d.spatial);
      double mean = 0, var = 0;
      for (int64_t e = 0; e < count; ++e) mean += x[first + std::size_t(e)];
      mean /= double(count);
      for (int64_t e = 0; e < count; ++e) {
        const double dv = x[first + std::size_t(e)] - mean;
        var += dv * dv;
      }
      const double rstd = 1.0 / std::sqrt(var / double(count) + eps);
      r.mean.push_back(mean);
      r.rstd.push_back(rstd);
      for (int64_t e = 0; e < count; ++e) {
        const int64_t ch = g * cg + e / d.spatial;
        const int64_t k = affine == ops::GroupAffine::per_group ? g : ch;
        const double v = (x[first + std::size_t(e)] - mean) * rstd * (gamma ? gamma[k] : 1.0) +
                         (beta ? beta[k] : 0.0);
        r.y[first + std::size_t(e)] = act_ref(v, act);
      }
    }
  }
  return r;
}

// (C, G): groups inside one block, groups that straddle blocks (C/G = 5,
// 10, 12 against b = 8 / 16), one group over several blocks, InstanceNorm.
const std::vector<std::pair<int64_t, int64_t>> kChannelGroups = {
    {5, 1}, {8, 2}, {13, 13}, {16, 4}, {20, 4}, {20, 2}, {24, 2}, {32, 1}, {40, 4}, {19, 19}};

TEST_P(BlockedLayoutTest, GroupNorm) {
  for (Layout layout : {Layout::nchw8c, Layout::nchw16c}) {
    for (auto [c, groups] : kChannelGroups) {
      for (int64_t spatial : kSpatial) {
        const Dims d{2, c, spatial, layout};
        const int mode = int((spatial + c) % 3);  // none, per channel, per group affine
        const auto affine = mode == 2 ? ops::GroupAffine::per_group : ops::GroupAffine::per_channel;
        const auto params = std::size_t(mode == 2 ? groups : c);
        const Activation act = mode == 1 ? Activation::silu : Activation::none;
        const Buffer plain = random_buffer(d.plain(), uint32_t(c * 17 + spatial), -1.f, 3.f);
        const Buffer gamma = random_buffer(params, 8, 0.5f, 1.5f), beta = random_buffer(params, 9);
        Buffer x = to_blocked(plain, d), y(d.blocked(), 7.f);
        Buffer mean(std::size_t(d.n * groups)), rstd(mean.size());
        ops::GroupNormArgs a;
        a.x = x.data(); a.y = y.data(); a.n = d.n; a.c = c; a.spatial = spatial;
        a.groups = groups; a.layout = layout; a.affine = affine; a.act = act;
        a.gamma = mode ? gamma.data() : nullptr;
        a.beta = mode ? beta.data() : nullptr;
        a.mean = mean.data(); a.inv_std_dev = rstd.data();
        ops::group_norm(a, exec());
        const GnRef ref = gn_ref(plain, d, groups, a.gamma, a.beta, affine, 1e-5, act);
        const auto where = ::testing::Message() << name(layout) << " c" << c << " g" << groups
                                                << " s" << spatial << " mode " << mode;
        // As for NCHW / NHWC (group_norm_test): y is O(1), a few float
        // roundings of the statistics and of the affine.
        ASSERT_TRUE(all_close(to_plain(y, d).data(), ref.y, 2e-5, 2e-5)) << where;
        ASSERT_TRUE(all_close(mean.data(), ref.mean, 1e-6, 1e-6)) << where;
        ASSERT_TRUE(all_close(rstd.data(), ref.rstd, 0, 2e-6)) << where;
        ASSERT_TRUE(padding_is_zero(y, d)) << where;
      }
    }
  }
}

TEST_P(BlockedLayoutTest, InstanceNormInPlace) {
  for (Layout layout : {Layout::nchw8c, Layout::nchw16c}) {
    const Dims d{3, 19, 33, layout};
    const Buffer plain = random_buffer(d.plain(), 21);
    const Buffer gamma = random_buffer(19, 22, 0.5f, 1.5f), beta = random_buffer(19, 23);
    Buffer x = to_blocked(plain, d);
    ops::InstanceNormArgs a;
    a.x = x.data(); a.y = x.data(); a.n = d.n; a.c = d.c; a.spatial = d.spatial;
    a.layout = layout; a.gamma = gamma.data(); a.beta = beta.data(); a.act = Activation::relu;
    ops::instance_norm(a, exec());
    const GnRef ref = gn_ref(plain, d, d.c, gamma.data(), beta.data(),
                             ops::GroupAffine::per_channel, 1e-5, Activation::relu);
    EXPECT_TRUE(all_close(to_plain(x, d).data(), ref.y, 2e-5, 2e-5)) << name(layout);
    EXPECT_TRUE(padding_is_zero(x, d)) << name(layout);
  }
}

// The numerics promises of DESIGN.md section 3 hold through the per-channel
// merge: a constant group gives beta exactly; mean 1e6 with std 1e-2 keeps
// its digits (E[x^2] - E[x]^2 in float would give garbage).
TEST_P(BlockedLayoutTest, GroupNormConstantAndLargeMean) {
  for (Layout layout : {Layout::nchw8c, Layout::nchw16c}) {
    const Dims d{1, 20, 49, layout};
    Buffer plain(d.plain());
    for (std::size_t e = 0; e < plain.size(); ++e) {
      const bool first_group = e < std::size_t(10 * 49);
      plain[e] = first_group ? 3.25f : 1e6f + 1e-2f * float(int(e % 7) - 3);
    }
    const Buffer beta = random_buffer(20, 31);
    Buffer x = to_blocked(plain, d), y(d.blocked());
    ops::GroupNormArgs a;
    a.x = x.data(); a.y = y.data(); a.n = 1; a.c = 20; a.spatial = 49; a.groups = 2;
    a.layout = layout; a.beta = beta.data();
    ops::group_norm(a, exec());
    const std::vector<float> got = to_plain(y, d);
    for (std::size_t e = 0; e < std::size_t(10 * 49); ++e) {
      ASSERT_EQ(got[e], beta[e / 49]) << name(layout) << " element " << e;
    }
    const GnRef ref = gn_ref(plain, d, 2, nullptr, beta.data(), ops::GroupAffine::per_channel,
                             1e-5, Activation::none);
    // The inputs are floats near 1e6 (ulp 0.0625), so the reference sees the
    // rounded data; the output is O(1) and must match it to float precision.
    EXPECT_TRUE(all_close(got.data() + 490, {ref.y.begin() + 490, ref.y.end()}, 1e-4, 1e-4))
        << name(layout);
  }
}

// ---- LRN: the window crosses block boundaries (same tolerance as lrn_test).
TEST_P(BlockedLayoutTest, Lrn) {
  for (Layout layout : {Layout::nchw8c, Layout::nchw16c}) {
    for (int64_t c : kChannels) {
      for (int64_t size : {1, 3, 5, 7}) {
        for (float beta : {0.75f, 0.6f}) {
          const Dims d{2, c, 13, layout};
          const Buffer plain = random_buffer(d.plain(), uint32_t(c * 3 + size));
          Buffer x = to_blocked(plain, d), y(d.blocked(), 7.f);
          ops::LrnArgs a;
          a.x = x.data(); a.y = y.data(); a.n = d.n; a.c = c; a.spatial = d.spatial;
          a.layout = layout; a.size = size; a.alpha = 1.f; a.beta = beta; a.bias = 1.f;
          ops::lrn(a, exec());
          std::vector<double> ref(d.plain());
          for (int64_t i = 0; i < d.n; ++i)
            for (int64_t ch = 0; ch < c; ++ch)
              for (int64_t p = 0; p < d.spatial; ++p) {
                double sum = 0;
                for (int64_t w = std::max<int64_t>(0, ch - (size - 1) / 2);
                     w <= std::min(c - 1, ch + size / 2); ++w) {
                  const double v = plain[std::size_t((i * c + w) * d.spatial + p)];
                  sum += v * v;
                }
                const auto e = std::size_t((i * c + ch) * d.spatial + p);
                ref[e] = plain[e] / std::pow(1.0 + 1.0 / double(size) * sum, double(beta));
              }
          const auto where = ::testing::Message() << name(layout) << " c" << c << " size " << size
                                                  << " beta " << beta;
          ASSERT_TRUE(all_close(to_plain(y, d).data(), ref, 0, 2e-6)) << where;
          ASSERT_TRUE(padding_is_zero(y, d)) << where;
        }
      }
    }
  }
}

// ---- Bitwise identical for any thread count, each op.
TEST_P(BlockedLayoutTest, ThreadCountInvariance) {
  for (Layout layout : {Layout::nchw8c, Layout::nchw16c}) {
    const Dims d{1, 40, 37 * 37, layout};
    const Buffer x = to_blocked(random_buffer(d.plain(), 41), d, 0.f);
    const Buffer scale = random_buffer(40, 42), shift = random_buffer(40, 43);
    std::vector<std::vector<float>> first(3);
    for (int threads : invariance_thread_counts()) {
      Buffer y0(d.blocked()), y1(d.blocked()), y2(d.blocked());
      ops::BatchNormArgs bn;
      bn.x = x.data(); bn.y = y0.data(); bn.n = 1; bn.c = 40; bn.spatial = d.spatial;
      bn.layout = layout; bn.scale = scale.data(); bn.shift = shift.data();
      ops::batch_norm_apply(bn, exec(threads));
      ops::GroupNormArgs gn;
      gn.x = x.data(); gn.y = y1.data(); gn.n = 1; gn.c = 40; gn.spatial = d.spatial;
      gn.groups = 4; gn.layout = layout;
      ops::group_norm(gn, exec(threads));
      ops::LrnArgs lrn;
      lrn.x = x.data(); lrn.y = y2.data(); lrn.n = 1; lrn.c = 40; lrn.spatial = d.spatial;
      lrn.layout = layout;
      ops::lrn(lrn, exec(threads));
      const Buffer* ys[] = {&y0, &y1, &y2};
      for (std::size_t k = 0; k < 3; ++k) {
        if (first[k].empty()) {
          first[k] = ys[k]->to_vector();
        } else {
          EXPECT_TRUE(bitwise_equal(first[k].data(), ys[k]->data(), d.blocked()))
              << name(layout) << " op " << k << " threads " << threads;
        }
      }
    }
  }
}

// ---- Validation: the padded size counts for aliasing, BN training refuses.
TEST_P(BlockedLayoutTest, Validation) {
  Buffer x(std::size_t(2 * 16 * 4)), y(x.size());
  const Buffer scale(5, 1.f);
  ops::BatchNormArgs bn;
  bn.x = x.data(); bn.n = 2; bn.c = 5; bn.spatial = 4; bn.layout = Layout::nchw16c;
  bn.scale = scale.data(); bn.shift = scale.data();
  bn.y = x.data() + 2 * 5 * 4;  // disjoint for NCHW, overlapping once padded
  EXPECT_THROW(ops::batch_norm_apply(bn, exec()), Error);
  bn.y = y.data();
  EXPECT_NO_THROW(ops::batch_norm_apply(bn, exec()));

  ops::BatchNormTrainingArgs tr;
  tr.x = x.data(); tr.y = y.data(); tr.n = 2; tr.c = 5; tr.spatial = 4;
  tr.layout = Layout::nchw8c;
  try {
    ops::batch_norm_training(tr, exec());
    ADD_FAILURE() << "blocked batch_norm_training accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layout"), std::string::npos) << e.what();
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(BlockedLayoutTest);

}  // namespace
}  // namespace normrt::test
