#pragma once
// Arena layout: buffers with step lifetimes -> byte offsets in one arena, so
// that buffers alive at the same time never share bytes. Greedy by size,
// best-fit gap (the largest buffers are placed first, each into the smallest
// hole that holds it among the buffers it overlaps in time).
#include <cstddef>
#include <vector>

namespace normrt::rt {

constexpr std::size_t kArenaAlignment = 64;

struct BufferRequest {
  std::size_t bytes = 0;
  int first_step = 0;  // written by this step
  int last_step = 0;   // last read by this step (inclusive)
};

struct MemoryPlan {
  std::vector<std::size_t> offsets;  // per request, multiples of kArenaAlignment
  std::size_t total_bytes = 0;       // arena size (a multiple of kArenaAlignment)
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

inline std::size_t align_up(std::size_t n, std::size_t a = kArenaAlignment) {
  return (n + a - 1) / a * a;
}

}  // namespace normrt::rt
