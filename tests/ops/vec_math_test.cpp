// simd::Vec::load_tail / store_tail: partial vectors read exactly n floats
// and write exactly n, directly on the Vec types compiled here and, for every
// ISA, through the kernels that use them, with the data ending at an
// inaccessible page.
// simd::Vec::exp_signed (the SiLU epilogue's exp) against std::exp in double:
// the contract of FastExp (<= 2 ulp on [-87.33, 88.37], +inf from 128 ln2,
// [0, FLT_MIN] below ln FLT_MIN, NaN kept) for e^x and e^-x, on the portable
// path and the baseline vector ISA this test is compiled for; then SiLU on
// every ISA (the AVX2 / AVX-512 table exps are reached there) through
// BatchNorm with scale 1 and shift 0 (y = silu(x), nothing else rounds),
// over the whole float range and its special values.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "normrt/ops/batch_norm.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/simd/vec.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kFltMin = std::numeric_limits<float>::min();
// Where exp_signed is accurate, and where it must overflow.
constexpr double kExpLo = -87.33, kExpHi = 88.37;
constexpr float kOverflow = 88.7228394f;  // 128 ln2, rounded up

// |got - want| in units of the float spacing at want.
double ulps(float got, double want) {
  const double spacing = std::ldexp(1.0, std::ilogb(float(want)) - 23);
  return std::fabs(double(got) - want) / spacing;
}

// Inputs spread over [lo, hi], with the ends and 0 exactly.
std::vector<float> sweep(double lo, double hi) {
  std::vector<float> xs;
  constexpr int kSteps = 400000;
  for (int i = 0; i <= kSteps; ++i) xs.push_back(float(lo + (hi - lo) * i / kSteps));
  for (float x : {0.f, -0.f, 1e-30f, -1e-30f, 1.f, -1.f, float(lo), float(hi)}) xs.push_back(x);
  return xs;
}

// e^(sign * x) for each x, through V.
template <class V, int sign>
std::vector<float> exp_of(const std::vector<float>& xs) {
  constexpr std::size_t W = V::width;
  std::vector<float> out(xs.size() + W);
  std::vector<float> in(xs.begin(), xs.end());
  in.resize(xs.size() + W, 0.f);
  for (std::size_t i = 0; i < xs.size(); i += W) {
    V::store(&out[i], V::template exp_signed<sign>(V::load(&in[i])));
  }
  out.resize(xs.size());
  return out;
}

template <class V, int sign>
void check_exp_contract() {
  SCOPED_TRACE(sign > 0 ? "e^x" : "e^-x");
  const std::vector<float> xs = sweep(kExpLo, kExpHi);
  std::vector<float> args(xs);
  for (float& x : args) x = sign * x;  // e^(sign * args) = e^xs
  const std::vector<float> ys = exp_of<V, sign>(args);
  double worst = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double u = ulps(ys[i], std::exp(double(xs[i])));
    worst = std::max(worst, u);
    ASSERT_LE(u, 2.0) << "x = " << xs[i] << " exp = " << ys[i];
  }
  EXPECT_GT(worst, 0.0);  // the sweep did compare something inexact
  // Between 88.37 and 128 ln2: accurate or already +inf; above: +inf.
  const std::vector<float> top = sweep(kExpHi, kOverflow);
  args = top;
  for (float& x : args) x = sign * x;
  const std::vector<float> yt = exp_of<V, sign>(args);
  for (std::size_t i = 0; i < top.size(); ++i) {
    if (yt[i] != kInf) {
      ASSERT_LE(ulps(yt[i], std::exp(double(top[i]))), 2.0) << "x = " << top[i];
    }
  }
  EXPECT_EQ(yt[yt.size() - 1], kInf);  // exactly 128 ln2
  const std::vector<float> edges = {0.f, 89.f, 1e30f, kInf, -88.f, -1e30f, -kInf, std::nanf("")};
  args = edges;
  for (float& x : args) x = sign * x;
  const std::vector<float> e = exp_of<V, sign>(args);
  EXPECT_EQ(e[0], 1.f);
  for (std::size_t i : {1, 2, 3}) EXPECT_EQ(e[i], kInf) << "x = " << edges[i];
  for (std::size_t i : {4, 5, 6}) {
    EXPECT_GE(e[i], 0.f) << "x = " << edges[i];
    EXPECT_LE(e[i], kFltMin) << "x = " << edges[i];
  }
  EXPECT_TRUE(std::isnan(e[7]));
}

TEST(FastExp, PortablePathContract) {
  check_exp_contract<simd::Vec<simd::scalar_arch>, 1>();
  check_exp_contract<simd::Vec<simd::scalar_arch>, -1>();
}

TEST(FastExp, BaselineVectorPathContract) {
  check_exp_contract<simd::Vec<xsimd::default_arch>, 1>();
  check_exp_contract<simd::Vec<xsimd::default_arch>, -1>();
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

// n floats that end exactly where an inaccessible page begins: a load or a
// store past element n - 1 faults in every build (ASan does not see the
// AVX2 / AVX-512 masked loads, which are builtins, not memory references).
// kPad sentinel floats before the data catch writes in front of it.
class GuardedFloats {
 public:
  static constexpr std::size_t kPad = 16;
  static constexpr float kSentinel = -12345.5f;

  explicit GuardedFloats(std::size_t n) {
    const auto page = std::size_t(sysconf(_SC_PAGESIZE));
    const std::size_t body = ((n + kPad) * sizeof(float) + page - 1) / page * page;
    len_ = body + page;
    void* m = mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<char*>(m);
    if (mprotect(base_ + body, page, PROT_NONE) != 0) throw std::runtime_error("mprotect failed");
    data_ = reinterpret_cast<float*>(base_ + body) - n;
    for (std::size_t i = 0; i < n + kPad; ++i) data_[std::ptrdiff_t(i) - std::ptrdiff_t(kPad)] = kSentinel;
  }
  GuardedFloats(const GuardedFloats&) = delete;
  GuardedFloats& operator=(const GuardedFloats&) = delete;
  ~GuardedFloats() { munmap(base_, len_); }

  float* data() { return data_; }
  float& operator[](std::size_t i) { return data_[i]; }
  bool pad_intact() const {
    for (std::size_t i = 1; i <= kPad; ++i) {
      if (data_[-std::ptrdiff_t(i)] != kSentinel) return false;
    }
    return true;
  }

 private:
  std::size_t len_ = 0;
  char* base_ = nullptr;
  float* data_ = nullptr;
};

bool same_bits(float a, float b) { return bitwise_equal(&a, &b, 1); }

// Every n in [0, width]: lanes [0, n) come from p, the rest read as the fill
// (bitwise: -0 and NaN too); the store writes p[0, n) and nothing else.
template <class V>
void check_tail_contract() {
  constexpr std::size_t W = V::width;
  for (std::size_t n = 0; n <= W; ++n) {
    SCOPED_TRACE("n = " + std::to_string(n));
    GuardedFloats src(n);
    for (std::size_t i = 0; i < n; ++i) src[i] = 1.25f * float(i + 1);
    for (float fill : {0.f, -0.f, -3.5f, kInf, std::nanf("")}) {
      float lanes[W];
      V::store(lanes, V::load_tail(src.data(), n, fill));
      for (std::size_t i = 0; i < W; ++i) {
        EXPECT_TRUE(same_bits(lanes[i], i < n ? src[i] : fill))
            << "lane " << i << " = " << lanes[i] << ", fill " << fill;
      }
    }
    // Exactly n floats on the heap: ASan reports any byte read past them.
    std::unique_ptr<float[]> heap(new float[n]);
    for (std::size_t i = 0; i < n; ++i) heap[i] = src[i];
    float lanes[W];
    V::store(lanes, V::load_tail(heap.get(), n));
    for (std::size_t i = 0; i < W; ++i) EXPECT_TRUE(same_bits(lanes[i], i < n ? src[i] : 0.f));

    alignas(64) float vals[W];
    for (std::size_t i = 0; i < W; ++i) vals[i] = -0.5f * float(i + 1);
    GuardedFloats dst(n);  // a write past n faults
    V::store_tail(dst.data(), V::load(vals), n);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(dst[i], vals[i]) << "element " << i;
    EXPECT_TRUE(dst.pad_intact());
    std::vector<float> padded(3 * W, GuardedFloats::kSentinel);  // and within mapped memory
    V::store_tail(padded.data() + W, V::load(vals), n);
    for (std::size_t i = 0; i < 3 * W; ++i) {
      const bool written = i >= W && i < W + n;
      EXPECT_EQ(padded[i], written ? vals[i - W] : GuardedFloats::kSentinel) << "element " << i;
    }
  }
}

TEST(VecTail, PortablePathContract) { check_tail_contract<simd::Vec<simd::scalar_arch>>(); }

TEST(VecTail, BaselineVectorPathContract) { check_tail_contract<simd::Vec<xsimd::default_arch>>(); }

// The AVX2 / AVX-512 tails are compiled only into the per-ISA kernels, so
// each ISA is checked through kernels whose tensors end in a partial vector.
using VecTailTest = IsaTest;

// Floats per vector of an ISA's kernels.
int64_t vector_width(Isa isa) {
  switch (isa) {
    case Isa::avx512: return 16;
    case Isa::avx2: return 8;
    case Isa::neon: return 4;
    default: return 1;
  }
}

// BatchNorm NCHW with scale 1, shift 0: y = fma(x, 1, 0) = x bitwise. Two
// planes of [W, 4W) floats are one flat sweep whose last vector is partial,
// for every tail length, loaded from and stored to the last floats before a
// guard page. (Other plane sizes end in scalar fmas, which QEMU 7.2 runs as
// 16-byte loads: they would fault at the guard under qemu-x86_64.)
TEST_P(VecTailTest, BatchNormTailEndsAtTheTensorEnd) {
  const float one[2] = {1.f, 1.f}, zero[2] = {0.f, 0.f};
  const int64_t w = vector_width(isa());
  for (int64_t s = w; s < 4 * w; ++s) {
    SCOPED_TRACE("spatial = " + std::to_string(s));
    const auto n = std::size_t(2 * s);
    GuardedFloats x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = 0.75f + float(i);
    ops::BatchNormArgs a;
    a.x = x.data(); a.y = y.data();
    a.n = 1; a.c = 2; a.spatial = s;
    a.scale = one; a.shift = zero;
    ops::batch_norm_apply(a, exec(1));
    EXPECT_TRUE(bitwise_equal(y.data(), x.data(), n));
    EXPECT_TRUE(y.pad_intact());
  }
}

// LayerNorm rows shorter than a vector are all tail: the statistics pass reads
// the missing lanes as the shift (so they add nothing), gamma and beta as
// partial vectors too. Rows near 1000 with spread ~1: a fill of 0 where the
// shift belongs would add (1000)^2 / cols to the variance and shrink every
// output towards beta. Longer rows (overlapping last vector) and in place
// (a partial store) too. Tolerance: the centred sums are exact to a few ulp
// of the row's spread, so outputs within 1e-4 of the double reference.
TEST_P(VecTailTest, LayerNormRowsEndingInATail) {
  for (int64_t cols = 1; cols <= 40; ++cols) {
    for (bool in_place : {false, true}) {
      SCOPED_TRACE("cols = " + std::to_string(cols) + (in_place ? " in place" : ""));
      constexpr int64_t rows = 3;
      const auto n = std::size_t(rows * cols), c = std::size_t(cols);
      GuardedFloats x(n), y(n), gamma(c), beta(c);
      std::mt19937 rng{static_cast<uint32_t>(cols)};
      std::uniform_real_distribution<float> spread(-1.f, 1.f);
      for (std::size_t i = 0; i < n; ++i) x[i] = 1000.f + spread(rng);
      for (std::size_t j = 0; j < c; ++j) {
        gamma[j] = 0.5f + 0.01f * float(j);
        beta[j] = -0.25f * float(j);
      }
      std::vector<double> want(n);
      for (std::size_t r = 0; r < std::size_t(rows); ++r) {
        double mean = 0, var = 0;
        for (std::size_t j = 0; j < c; ++j) mean += x[r * c + j];
        mean /= double(c);
        for (std::size_t j = 0; j < c; ++j) var += (x[r * c + j] - mean) * (x[r * c + j] - mean);
        var /= double(c);
        for (std::size_t j = 0; j < c; ++j) {
          want[r * c + j] = (x[r * c + j] - mean) / std::sqrt(var + 1e-5) * gamma[j] + beta[j];
        }
      }
      if (in_place) std::memcpy(y.data(), x.data(), n * sizeof(float));
      ops::LayerNormArgs a;
      a.x = in_place ? y.data() : x.data(); a.y = y.data();
      a.rows = rows; a.cols = cols;
      a.gamma = gamma.data(); a.beta = beta.data();
      ops::layer_norm(a, exec(1));
      EXPECT_TRUE(all_close(y.data(), want, 1e-4, 1e-4));
      EXPECT_TRUE(y.pad_intact());
    }
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(VecTailTest);

double silu(double v) { return v / (1.0 + std::exp(-v)); }

class FastSiluTest : public IsaTest {
 protected:
  // y = silu(x) through BatchNorm with scale 1, shift 0 on this ISA.
  std::vector<float> silu_of(const std::vector<float>& xs) {
    const auto n = int64_t(xs.size());
    Buffer x = copy_buffer(xs), y(static_cast<std::size_t>(n));
    const float one = 1.f, zero = 0.f;
    ops::BatchNormArgs a;
    a.x = x.data(); a.y = y.data();
    a.n = 1; a.c = 1; a.spatial = n;
    a.scale = &one; a.shift = &zero;
    a.act = ops::Activation::silu;
    ops::batch_norm_apply(a, exec(1));
    return y.to_vector();
  }
};

// silu = x / (1 + e^-x): the exp's relative error (<= 2 ulp, at most
// 2^-22) reaches the result scaled by e^-x / (1 + e^-x) <= 1, plus the add
// and the division (2^-24 each): 2^-22 + 2^-23 relative, up to 6 ulp where
// the result's mantissa is near 2 and e^-x's near 1; 4 ulp is what the
// sweep allows. Measured worst: 1.8 (portable), 2.3 (AVX2), 2.2 (AVX-512),
// 3.1 (NEON, at x = -88.375).
// Below -88.37 e^-x may already be +inf (the result -0, true value under
// 2e-37); below -88.73 it is +inf on every path, so y = -0.
TEST_P(FastSiluTest, WithinFourUlpOverTheFloatRange) {
  std::vector<float> xs;
  for (int i = -20000; i <= 20000; ++i) xs.push_back(float(i) * 0.005f);  // [-100, 100]
  for (int e = -1490; e <= 1280; ++e) {  // 10^-149 .. 10^128, both signs (to +-inf)
    const float m = float(std::pow(10.0, e / 10.0));
    xs.push_back(m);
    xs.push_back(-m);
  }
  for (float x : {0.f, -0.f, std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::denorm_min(), kFltMin, -kFltMin}) {
    xs.push_back(x);
  }
  const std::vector<float> ys = silu_of(xs);
  double worst = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const float x = xs[i];
    const double want = silu(double(x));
    if (std::isinf(x)) {
      continue;  // the special values test
    } else if (x < -88.73f) {
      ASSERT_EQ(ys[i], 0.f) << "x = " << x;
      ASSERT_TRUE(std::signbit(ys[i])) << "x = " << x;
    } else if (x < -88.37f && ys[i] == 0.f) {
      ASSERT_TRUE(std::signbit(ys[i])) << "x = " << x;
    } else if (std::fabs(want) < kFltMin) {  // 0 or subnormal: a few of the smallest steps
      ASSERT_LE(std::fabs(double(ys[i]) - want), 3.0 * std::numeric_limits<float>::denorm_min())
          << "x = " << x << " silu = " << ys[i];
    } else {
      const double u = ulps(ys[i], want);
      worst = std::max(worst, u);
      ASSERT_LE(u, 4.0) << "x = " << x << " silu = " << ys[i];
    }
  }
  EXPECT_GT(worst, 0.5);
  std::cout << "silu " << isa_name(isa()) << ": worst " << worst << " ulp\n";
}

// SiLU(-inf) is NaN, as the unfused graph (Sigmoid then Mul: -inf * 0) and
// PyTorch give; the exact limit 0 would make a fused run differ from the
// model. The same on every ISA, in any lane position.
TEST_P(FastSiluTest, SpecialValues) {
  const float nan = std::nanf("");
  std::vector<float> xs;
  for (int k = 0; k < 37; ++k) {  // every lane of a vector, the unrolled body and the tail
    xs.push_back(k % 4 == 0 ? -kInf : k % 4 == 1 ? kInf : k % 4 == 2 ? nan : -1e30f);
  }
  const std::vector<float> ys = silu_of(xs);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    switch (i % 4) {
      case 0: EXPECT_TRUE(std::isnan(ys[i])) << "silu(-inf) = " << ys[i] << " at " << i; break;
      case 1: EXPECT_EQ(ys[i], kInf) << "at " << i; break;
      case 2: EXPECT_TRUE(std::isnan(ys[i])) << "at " << i; break;
      default:
        EXPECT_EQ(ys[i], 0.f) << "at " << i;
        EXPECT_TRUE(std::signbit(ys[i])) << "silu(-1e30) = " << ys[i] << " at " << i;
    }
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(FastSiluTest);

}  // namespace
}  // namespace normrt::test
