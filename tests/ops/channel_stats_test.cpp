// White-box tests of the channels-last partials that GroupNorm's provisional
// shift comes from (rows_sum_min_max). Through the public API a wrong partial
// cannot show: the shift is only a starting point, and a shift off the mean
// is caught and refined (the outputs stay right, only slower). So the kernel
// is called directly, per ISA, against a double-precision reference.
#include <algorithm>
#include <limits>
#include <vector>

#include "group_norm.table.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

class ChannelStatsTest : public IsaTest {};

// Channel counts around the vector widths (partial last vectors), rows on
// both sides of the 32-row fp32 chunk; means far from 0 and differing by
// channel, so a lane mixed up with another channel shows. The sums are added
// to what out.sum holds; min and max write exactly c entries.
TEST_P(ChannelStatsTest, RowsSumMinMaxMatchesReference) {
  const auto& k = ops::detail::group_norm_kernels_for(isa());
  for (int64_t c : {1, 3, 8, 15, 16, 17, 40, 130}) {
    for (int64_t rows : {1, 2, 31, 32, 33, 70}) {
      Buffer x = random_buffer(std::size_t(rows * c), uint32_t(c * 100 + rows), -1.f, 1.f);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t ch = 0; ch < c; ++ch) x[std::size_t(r * c + ch)] += float(ch % 7) * 10.f;
      }
      constexpr float kGuard = 12345.f;
      std::vector<double> sum(std::size_t(c) + 1, 0.5);
      std::vector<float> lo(std::size_t(c) + 1, kGuard), hi(std::size_t(c) + 1, kGuard);
      k.rows_sum_min_max(x.data(), rows, c, {sum.data(), lo.data(), hi.data()});
      const auto where = ::testing::Message() << "c" << c << " rows" << rows;
      for (int64_t ch = 0; ch < c; ++ch) {
        double want = 0.5;
        float mn = std::numeric_limits<float>::infinity(), mx = -mn;
        for (int64_t r = 0; r < rows; ++r) {
          const float v = x[std::size_t(r * c + ch)];
          want += double(v);
          mn = std::min(mn, v);
          mx = std::max(mx, v);
        }
        // fp32 sums of at most 32 values of |v| <= 61 each, then double.
        EXPECT_NEAR(sum[std::size_t(ch)], want, 1e-5 * double(rows) * 61.0) << where << " ch" << ch;
        EXPECT_EQ(lo[std::size_t(ch)], mn) << where << " ch" << ch;
        EXPECT_EQ(hi[std::size_t(ch)], mx) << where << " ch" << ch;
      }
      EXPECT_EQ(sum[std::size_t(c)], 0.5) << where;
      EXPECT_EQ(lo[std::size_t(c)], kGuard) << where;
      EXPECT_EQ(hi[std::size_t(c)], kGuard) << where;
    }
  }
}

NORMRT_INSTANTIATE_ISA_TESTS(ChannelStatsTest);

}  // namespace
}  // namespace normrt::test
