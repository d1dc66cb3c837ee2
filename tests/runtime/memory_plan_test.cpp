// Arena layout: buffers alive at the same time never share bytes; dead ones
// are reused.
#include <gtest/gtest.h>

#include <random>

#include "exec/memory_plan.hpp"

namespace normrt::rt {
namespace {

void expect_valid(const std::vector<BufferRequest>& req, const MemoryPlan& plan) {
  ASSERT_EQ(plan.offsets.size(), req.size());
  for (std::size_t i = 0; i < req.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % kArenaAlignment, 0u);
    EXPECT_LE(plan.offsets[i] + req[i].bytes, plan.total_bytes);
    for (std::size_t j = i + 1; j < req.size(); ++j) {
      const bool time = req[i].first_step <= req[j].last_step && req[j].first_step <= req[i].last_step;
      const bool space = plan.offsets[i] < plan.offsets[j] + req[j].bytes &&
                         plan.offsets[j] < plan.offsets[i] + req[i].bytes;
      EXPECT_FALSE(time && space) << "buffers " << i << " and " << j << " collide";
    }
  }
}

TEST(MemoryPlan, ChainReusesTwoBuffers) {
  // x0 -> x1 -> ... : each value lives from its step to the next.
  std::vector<BufferRequest> req;
  for (int s = 0; s < 10; ++s) req.push_back({4096, s, s + 1});
  const MemoryPlan plan = plan_memory(req);
  expect_valid(req, plan);
  EXPECT_EQ(plan.total_bytes, 2u * 4096);
}

TEST(MemoryPlan, SmallBufferFillsAHole) {
  // A big and a small buffer die at step 1; a medium one born at step 2 fits
  // the big one's hole, the small one at step 2 fits the small hole.
  std::vector<BufferRequest> req = {{1000, 0, 1}, {64, 0, 1}, {800, 2, 3}, {64, 2, 3}, {128, 0, 3}};
  const MemoryPlan plan = plan_memory(req);
  expect_valid(req, plan);
  EXPECT_LE(plan.total_bytes, align_up(1000) + 64 + 128);
}

TEST(MemoryPlan, RandomRequestsNeverCollide) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<BufferRequest> req;
    for (int i = 0; i < 60; ++i) {
      const int first = int(rng() % 40);
      req.push_back({std::size_t(rng() % 5000), first, first + int(rng() % 10)});
    }
    expect_valid(req, plan_memory(req));
  }
}

TEST(MemoryPlan, EmptyAndZeroSized) {
  EXPECT_EQ(plan_memory({}).total_bytes, 0u);
  const std::vector<BufferRequest> req = {{0, 0, 0}, {0, 0, 0}};
  const MemoryPlan plan = plan_memory(req);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);  // distinct addresses even when empty
}

}  // namespace
}  // namespace normrt::rt
