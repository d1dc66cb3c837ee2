// White-box tests of when outputs go out with streaming stores
// (norm_math.hpp). Through the public API the choice cannot show in the
// numbers, only in the time, so the rules are checked directly.
#include <gtest/gtest.h>

#include <cstdint>

#include "norm_math.hpp"

namespace normrt::test {
namespace {

using ops::detail::stream_output;
using ops::detail::stream_planes;
using ops::detail::stream_pure_output;
using ops::detail::whole_lines;

constexpr int64_t kMiB = int64_t(1) << 20;
constexpr int64_t kFloatsPerMiB = kMiB / int64_t(sizeof(float));

// Spans of whole 64-byte lines from a 64-byte aligned y only: a span end in
// the middle of a line (a 14x14 plane, 196 floats) or a y that starts inside
// a line mixes streamed and ordinary stores in one line.
TEST(StreamPolicy, WholeLinesOnly) {
  alignas(64) static float y[64];
  EXPECT_TRUE(whole_lines(y, 16));
  EXPECT_TRUE(whole_lines(y, 784));   // 28x28
  EXPECT_TRUE(whole_lines(y, 3136));  // 56x56
  EXPECT_FALSE(whole_lines(y, 196));  // 14x14
  EXPECT_FALSE(whole_lines(y, 49));   // 7x7
  EXPECT_FALSE(whole_lines(y, 8));    // half a line
  EXPECT_FALSE(whole_lines(y + 8, 16));
  EXPECT_FALSE(whole_lines(y + 1, 16));
}

// A pure stream's threshold: 10 MiB of output per thread, at most 32 MiB.
TEST(StreamPolicy, PureStreamThresholdRisesWithThreadsUpToTheL3) {
  EXPECT_FALSE(stream_pure_output(10 * kFloatsPerMiB - 1, 1));
  EXPECT_TRUE(stream_pure_output(10 * kFloatsPerMiB, 1));
  EXPECT_TRUE(stream_pure_output(10 * kFloatsPerMiB, 0));  // 0 threads counts as 1
  EXPECT_FALSE(stream_pure_output(16 * kFloatsPerMiB, 2));
  EXPECT_TRUE(stream_pure_output(20 * kFloatsPerMiB, 2));
  EXPECT_FALSE(stream_pure_output(31 * kFloatsPerMiB, 16));
  EXPECT_TRUE(stream_pure_output(32 * kFloatsPerMiB, 16));
}

// BatchNorm NCHW streams planes of any size from 16 floats on (one flat
// sweep of aligned vectors), shorter ones never.
TEST(StreamPolicy, BatchNormPlanesStreamFromSixteenFloats) {
  const int64_t big = 12 * kFloatsPerMiB;
  EXPECT_TRUE(stream_planes(196, big, 1));  // 14x14: ends mid-line
  EXPECT_TRUE(stream_planes(49, big, 1));   // 7x7
  EXPECT_TRUE(stream_planes(16, big, 1));
  EXPECT_FALSE(stream_planes(15, big, 1));
  EXPECT_FALSE(stream_planes(196, big, 2));  // under 20 MiB at 2 threads
  EXPECT_FALSE(stream_planes(196, 10 * kFloatsPerMiB - 1, 1));
}

// Ops whose output pass reads x again: 8 MiB of output per thread, at
// most the fixed 16 MiB.
TEST(StreamPolicy, RereadingOpsStreamFromEightMiBAThreadUpToSixteen) {
  EXPECT_FALSE(stream_output(8 * kFloatsPerMiB - 1, 1));
  EXPECT_TRUE(stream_output(8 * kFloatsPerMiB, 1));
  EXPECT_TRUE(stream_output(8 * kFloatsPerMiB, 0));  // 0 threads counts as 1
  EXPECT_FALSE(stream_output(16 * kFloatsPerMiB - 1, 2));
  EXPECT_TRUE(stream_output(16 * kFloatsPerMiB, 2));
  EXPECT_FALSE(stream_output(16 * kFloatsPerMiB - 1, 16));
  EXPECT_TRUE(stream_output(16 * kFloatsPerMiB, 16));
  EXPECT_EQ(stream_output(16 * kFloatsPerMiB), stream_output(16 * kFloatsPerMiB, 2));
}

}  // namespace
}  // namespace normrt::test
