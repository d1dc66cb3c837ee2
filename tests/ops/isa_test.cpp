// The ISA layer: detection is consistent, names round-trip, bad requests are
// clear errors.
#include "normrt/error.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/simd/isa.hpp"
#include "test_util.hpp"

namespace normrt::test {
namespace {

TEST(Isa, NamesRoundTrip) {
  for (Isa isa : {Isa::scalar, Isa::neon, Isa::avx2, Isa::avx512}) {
    EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  }
  EXPECT_THROW(parse_isa("sse9"), Error);
}

TEST(Isa, ScalarAlwaysSupportedAndBestIsLast) {
  const auto isas = supported_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::scalar);
  EXPECT_EQ(best_isa(), isas.back());
}

TEST(Isa, SupportedImpliesCpuFeatures) {
  const CpuFeatures& f = cpu_features();
  if (cpu_supports(Isa::avx2)) {
    EXPECT_TRUE(f.avx2 && f.fma && f.os_avx);
  }
  if (cpu_supports(Isa::avx512)) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.os_avx512);
  }
#if defined(__x86_64__)
  // Where the compiler's own view of the CPU is available, agree with it.
  __builtin_cpu_init();
  EXPECT_EQ(f.avx2 && f.fma, bool(__builtin_cpu_supports("avx2")) && bool(__builtin_cpu_supports("fma")));
  EXPECT_EQ(f.avx512f, bool(__builtin_cpu_supports("avx512f")));
#endif
}

TEST(Isa, UnsupportedIsaIsAClearError) {
  for (Isa isa : {Isa::scalar, Isa::neon, Isa::avx2, Isa::avx512}) {
    if (cpu_supports(isa)) continue;
    float x[4] = {1, 2, 3, 4}, y[4] = {};
    ops::LayerNormArgs a;
    a.x = x; a.y = y; a.rows = 1; a.cols = 4;
    ops::ExecOptions e;
    e.isa = isa;
    try {
      ops::layer_norm(a, e);
      ADD_FAILURE() << "ran on " << isa_name(isa);
    } catch (const Error& err) {
      EXPECT_NE(std::string(err.what()).find(isa_name(isa)), std::string::npos) << err.what();
    }
  }
}

}  // namespace
}  // namespace normrt::test
