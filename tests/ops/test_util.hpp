#pragma once
// Shared test vocabulary: tests parameterized over every compiled ISA (named
// .../scalar, .../avx2, .../avx512, .../neon; an ISA this CPU cannot run is
// reported as skipped, with the reason), seeded data, unaligned buffers and
// tolerant comparison against double-precision references.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "normrt/ops/exec.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt::test {

class IsaTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    const std::string why = isa_unavailable_reason(GetParam());
    if (!why.empty()) GTEST_SKIP() << isa_name(GetParam()) << ": " << why;
    bool allowed = false;
    for (Isa s : supported_isas()) allowed = allowed || s == GetParam();
    if (!allowed) GTEST_SKIP() << isa_name(GetParam()) << " is above the NORMRT_ISA cap";
  }
  Isa isa() const { return GetParam(); }
  ops::ExecOptions exec(int threads = 0) const {
    ops::ExecOptions e;
    e.isa = GetParam();
    e.threads = threads;
    return e;
  }
};

inline std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) {
  return isa_name(info.param);
}

#define NORMRT_INSTANTIATE_ISA_TESTS(suite)                                     \
  INSTANTIATE_TEST_SUITE_P(, suite, ::testing::ValuesIn(::normrt::compiled_isas()), \
                           ::normrt::test::isa_param_name)

// A float buffer whose data() is deliberately 4 bytes off a 64-byte boundary,
// so kernels never get to rely on alignment.
class Buffer {
 public:
  explicit Buffer(std::size_t n, float fill = 0.f) : store_(n + 32, fill), n_(n) {}
  // Copies keep the elements, not the raw storage: the misalignment offset of
  // the copy's storage may differ.
  Buffer(const Buffer& other) : Buffer(other.n_) { copy_from(other); }
  Buffer& operator=(const Buffer& other) {
    if (this != &other) {
      store_.assign(other.n_ + 32, 0.f);
      n_ = other.n_;
      copy_from(other);
    }
    return *this;
  }
  float* data() { return misaligned(store_.data()); }
  const float* data() const { return misaligned(const_cast<float*>(store_.data())); }
  std::size_t size() const { return n_; }
  float& operator[](std::size_t i) { return data()[i]; }
  float operator[](std::size_t i) const { return data()[i]; }
  std::vector<float> to_vector() const { return {data(), data() + n_}; }

 private:
  void copy_from(const Buffer& other) {
    std::memcpy(data(), other.data(), n_ * sizeof(float));
  }
  static float* misaligned(float* p) {
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (addr + 63) & ~std::uintptr_t(63);
    return reinterpret_cast<float*>(aligned) + 1;
  }
  std::vector<float> store_;
  std::size_t n_;
};

// A float array whose data() starts a 64-byte line: what streaming stores
// need (Buffer never is, so outputs in a Buffer never stream).
class LineAlignedBuffer {
 public:
  explicit LineAlignedBuffer(std::size_t n) : store_(n + 16, 0.f), n_(n) {}
  float* data() {
    const auto addr = reinterpret_cast<std::uintptr_t>(store_.data());
    return store_.data() + (64 - addr % 64) % 64 / sizeof(float);
  }
  std::size_t size() const { return n_; }

 private:
  std::vector<float> store_;
  std::size_t n_;
};

inline Buffer random_buffer(std::size_t n, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Buffer b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = dist(rng);
  return b;
}

inline Buffer copy_buffer(const std::vector<float>& v) {
  Buffer b(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) b[i] = v[i];
  return b;
}

// |got - want| <= atol + rtol * |want| for every element; NaN must match NaN.
inline ::testing::AssertionResult all_close(const float* got, const std::vector<double>& want,
                                            double atol, double rtol) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(w) || std::isnan(g)) {
      if (std::isnan(w) && std::isnan(g)) continue;
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", want " << w;
    }
    if (std::isinf(w) || std::isinf(g)) {
      if (g == w) continue;
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", want " << w;
    }
    if (std::fabs(g - w) > atol + rtol * std::fabs(w)) {
      return ::testing::AssertionFailure()
             << "element " << i << " of " << want.size() << ": got " << g << ", want " << w
             << " (diff " << std::fabs(g - w) << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

inline bool bitwise_equal(const float* a, const float* b, std::size_t n) {
  return std::memcmp(a, b, n * sizeof(float)) == 0;
}

// The thread counts whose outputs must agree bit for bit.
inline const std::vector<int>& invariance_thread_counts() {
  static const std::vector<int> counts = {1, 2, 3, 8};
  return counts;
}

}  // namespace normrt::test
