#pragma once
// 64-byte aligned float storage with seeded contents, for benchmarks: the
// same seed gives the same data in normrt's and the baselines' buffers.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace normrt::workloads {

// The seed of every workload's main input, shared by normrt and the baselines.
constexpr uint64_t kInputSeed = 0x5eed;

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // Zero-filled, so every page is touched before the first timed run.
  explicit AlignedBuffer(std::size_t count);

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::size_t size() const { return count_; }

  // Uniform in [lo, hi), from a fast generator seeded with `seed`.
  void fill_uniform(uint64_t seed, float lo, float hi);
  void fill(float value);

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data_;
  std::size_t count_ = 0;
};

// A buffer of `count` uniform values in [lo, hi).
AlignedBuffer random_buffer(std::size_t count, uint64_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace normrt::workloads
