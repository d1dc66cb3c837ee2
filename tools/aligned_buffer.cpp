#include "aligned_buffer.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace normrt::workloads {

namespace {
constexpr std::size_t kAlign = 64;

// splitmix64: fast enough to fill 64 Mi floats in a blink, and seeded.
uint64_t next(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

void AlignedBuffer::Free::operator()(float* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(std::size_t count) : count_(count) {
  const std::size_t bytes = (count * sizeof(float) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, bytes == 0 ? kAlign : bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  data_.reset(static_cast<float*>(p));
}

void AlignedBuffer::fill_uniform(uint64_t seed, float lo, float hi) {
  uint64_t state = seed;
  const float scale = (hi - lo) / float(1u << 24);
  float* p = data();
  for (std::size_t i = 0; i < count_; ++i) {
    p[i] = lo + float(next(state) >> 40) * scale;  // top 24 bits: exact in float
  }
}

void AlignedBuffer::fill(float value) {
  float* p = data();
  for (std::size_t i = 0; i < count_; ++i) p[i] = value;
}

AlignedBuffer random_buffer(std::size_t count, uint64_t seed, float lo, float hi) {
  AlignedBuffer b(count);
  b.fill_uniform(seed, lo, hi);
  return b;
}

}  // namespace normrt::workloads
