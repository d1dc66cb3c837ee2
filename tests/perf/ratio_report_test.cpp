// bench_ops' report (perf/ratio_report): the target counts it prints after
// the normrt-vs-oneDNN tables, from hand-made results whose every ratio,
// roofline fraction and speed-up is worked out here.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "ratio_report.hpp"

namespace normrt::perf {
namespace {

using Run = benchmark::BenchmarkReporter::Run;

// Copy GB/s (plain, non-temporal) of L2, L3 and DRAM.
bench::Roofline roofline(int threads, double dram_nt_gbps) {
  bench::Roofline r;
  r.threads = threads;
  r.caches = bench::CacheSizes{};  // 32 KiB L1d, 1 MiB L2, 32 MiB L3
  r.levels = {{bench::MemLevel::l2, 0, 100.0, 50.0, 100.0},
              {bench::MemLevel::l3, 0, 80.0, 50.0, 80.0},
              {bench::MemLevel::dram, 0, 20.0, dram_nt_gbps, 20.0}};
  return r;
}

Run run(const std::string& name, double gbps, Run::RunType type = Run::RT_Iteration,
        const std::string& aggregate = "") {
  Run r;
  r.run_name.function_name = name;
  r.run_type = type;
  r.aggregate_name = aggregate;
  r.counters["bytes_per_second"] = benchmark::Counter(gbps * 1e9);
  return r;
}

class RatioReportTest : public ::testing::Test {
 protected:
  RatioReportTest() : reporter_("avx512", {{1, roofline(1, 30.0)}, {2, roofline(2, 50.0)}}) {
    reporter_.SetOutputStream(&console_);
    reporter_.SetErrorStream(&console_);
    // batch_norm/nchw/1x64x112x112: 6.4 MB, in L3 at 1 thread.
    //   1 thread: 90 / 50 = 1.8x; 2 threads: 180 / 60 = 3.0x; 180 / 90 = 2.0x.
    // layer_norm/512x768: 3.1 MB, in L3 at 1 thread.
    //   1 thread: 60 / 40 = 1.5x; 2 threads: 100 / 90 = 1.11x; 100 / 60 = 1.67x.
    // layer_norm/16384x768: 100 MB, from DRAM.
    //   1 thread: 28 / 20 = 1.4x, 28 >= 0.85 * 30; 2 threads: 40 / 35 = 1.14x, 40 < 0.85 * 50.
    reporter_.ReportRuns({run("batch_norm/nchw/1x64x112x112/avx2/threads:1", 90),
                          run("batch_norm/nchw/1x64x112x112/onednn_nchw/threads:1", 6),
                          run("batch_norm/nchw/1x64x112x112/onednn_nChw16c/threads:1", 50),
                          run("batch_norm/nchw/1x64x112x112/avx2/threads:2", 180),
                          run("batch_norm/nchw/1x64x112x112/onednn_nChw16c/threads:2", 60)});
    // Repetitions, then their aggregates: only the median counts.
    reporter_.ReportRuns({run("layer_norm/512x768/avx512/threads:1", 10),
                          run("layer_norm/512x768/avx512/threads:1", 60, Run::RT_Aggregate,
                              "median"),
                          run("layer_norm/512x768/avx512/threads:1", 5, Run::RT_Aggregate,
                              "mean")});
    reporter_.ReportRuns({run("layer_norm/512x768/avx2/threads:1", 50),
                          run("layer_norm/512x768/onednn_ln/threads:1", 40),
                          run("layer_norm/512x768/avx2/threads:2", 100),
                          run("layer_norm/512x768/onednn_ln/threads:2", 90),
                          run("layer_norm/16384x768/avx2/threads:1", 28),
                          run("layer_norm/16384x768/onednn_ln/threads:1", 20),
                          run("layer_norm/16384x768/avx2/threads:2", 40),
                          run("layer_norm/16384x768/onednn_ln/threads:2", 35)});
  }

  std::ostringstream console_;
  RatioReporter reporter_;
};

TEST_F(RatioReportTest, CountsWorkloadsAtTheRatioTargetPerOpAndThreads) {
  const TargetSummary t = reporter_.targets();
  EXPECT_EQ(t.ratio.at("batch_norm").at(1).met, 1);
  EXPECT_EQ(t.ratio.at("batch_norm").at(1).total, 1);
  EXPECT_EQ(t.ratio.at("batch_norm").at(2).met, 1);
  EXPECT_EQ(t.ratio.at("layer_norm").at(1).met, 2);
  EXPECT_EQ(t.ratio.at("layer_norm").at(1).total, 2);
  EXPECT_EQ(t.ratio.at("layer_norm").at(2).met, 0);
  EXPECT_EQ(t.ratio.at("layer_norm").at(2).total, 2);
  EXPECT_EQ(t.ratio.count("rms_norm"), 0u);  // did not run
}

TEST_F(RatioReportTest, RatesOnlyDramResidentWorkloadsAgainstTheDramCopy) {
  const TargetSummary t = reporter_.targets();
  EXPECT_EQ(t.dram.count("batch_norm"), 0u);
  EXPECT_EQ(t.dram.at("layer_norm").at(1).met, 1);
  EXPECT_EQ(t.dram.at("layer_norm").at(1).total, 1);
  EXPECT_EQ(t.dram.at("layer_norm").at(2).met, 0);
  EXPECT_EQ(t.dram.at("layer_norm").at(2).total, 1);
}

TEST_F(RatioReportTest, ScalesCacheResidentWorkloadsByTheirFastestIsa) {
  const TargetSummary t = reporter_.targets();
  EXPECT_EQ(t.scaling_threads, 2);
  ASSERT_EQ(t.scaling.size(), 2u);  // not the DRAM-resident 16384x768
  EXPECT_EQ(t.scaling[0].first, "batch_norm/nchw/1x64x112x112");
  EXPECT_DOUBLE_EQ(t.scaling[0].second, 2.0);
  EXPECT_EQ(t.scaling[1].first, "layer_norm/512x768");
  EXPECT_DOUBLE_EQ(t.scaling[1].second, 100.0 / 60.0);
}

TEST_F(RatioReportTest, ListsTheRatioMissesWithWhatTheTargetWouldTake) {
  const TargetSummary t = reporter_.targets();
  ASSERT_EQ(t.ratio_misses.size(), 2u);  // both layer_norm workloads at 2 threads
  const RatioMiss& l3 = t.ratio_misses[0];
  EXPECT_EQ(l3.label, "layer_norm/512x768");
  EXPECT_EQ(l3.threads, 2);
  EXPECT_DOUBLE_EQ(l3.ratio, 100.0 / 90.0);
  EXPECT_DOUBLE_EQ(l3.target_of_roof, 1.3 * 90.0 / 80.0);  // L3: copy 80 > nt copy 50
  EXPECT_EQ(l3.level, bench::MemLevel::l3);
  const RatioMiss& dram = t.ratio_misses[1];
  EXPECT_EQ(dram.label, "layer_norm/16384x768");
  EXPECT_DOUBLE_EQ(dram.target_of_roof, 1.3 * 35.0 / 50.0);  // DRAM: nt copy 50 > copy 20
  EXPECT_EQ(dram.level, bench::MemLevel::dram);

  std::ostringstream os;
  reporter_.print_summary(os);
  const std::string text = os.str();
  EXPECT_NE(text.find("  2 thr  layer_norm/512x768                        1.11x  146% of L3 copy"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  2 thr  layer_norm/16384x768                      1.14x  91% of DRAM copy"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("1 thr  batch_norm"), std::string::npos) << text;
}

TEST_F(RatioReportTest, PrintsTheCountsAndTheWorkloadsUnderTheScalingTarget) {
  std::ostringstream os;
  reporter_.print_summary(os);
  const std::string text = os.str();
  EXPECT_NE(text.find("layer_norm/512x768                          60.00 avx512"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("layer_norm             2/2       0/2          1/1       0/1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("1 of 2 >= 1.7x"), std::string::npos) << text;
  EXPECT_NE(text.find("under 1.7x: layer_norm/512x768"), std::string::npos) << text;
  EXPECT_EQ(text.find("under 1.7x: batch_norm"), std::string::npos) << text;
}

TEST_F(RatioReportTest, RatesOpsWithoutAOnednnPrimitiveAgainstTheRoofline) {
  RatioReporter r("avx2", {{1, roofline(1, 30.0)}});
  std::ostringstream sink;
  r.SetOutputStream(&sink);
  // Both in L3 at 1 thread (copy 80 > nt copy 50): 50 / 80 = 62.5% >= 60%;
  // 40 / 80 = 50% < 60%. LayerNorm has a oneDNN primitive: not rated.
  r.ReportRuns({run("rms_norm/512x768/avx2/threads:1", 50),
                run("rms_norm/512x768/onednn_ln/threads:1", 30),
                run("group_norm/nchw/1x320x64x64/g32/avx2/threads:1", 40),
                run("group_norm/nchw/1x320x64x64/g32/onednn_ln/threads:1", 20),
                run("layer_norm/512x768/avx2/threads:1", 10),
                run("layer_norm/512x768/onednn_ln/threads:1", 5)});
  const TargetSummary t = r.targets();
  EXPECT_EQ(t.roof.at("rms_norm").at(1).met, 1);
  EXPECT_EQ(t.roof.at("rms_norm").at(1).total, 1);
  EXPECT_EQ(t.roof.at("group_norm").at(1).met, 0);
  EXPECT_EQ(t.roof.at("group_norm").at(1).total, 1);
  EXPECT_EQ(t.roof.count("layer_norm"), 0u);
  std::ostringstream os;
  r.print_summary(os);
  EXPECT_NE(os.str().find("rms_norm               1/1            -          1/1\n"),
            std::string::npos)
      << os.str();
  EXPECT_NE(os.str().find("layer_norm             1/1            -            -\n"),
            std::string::npos)
      << os.str();
}

TEST_F(RatioReportTest, NoScalingWithoutOneThreadAndMore) {
  RatioReporter one_count("avx2", {{2, roofline(2, 50.0)}});
  std::ostringstream sink;
  one_count.SetOutputStream(&sink);
  one_count.ReportRuns({run("layer_norm/512x768/avx2/threads:2", 100),
                        run("layer_norm/512x768/onednn_ln/threads:2", 50)});
  const TargetSummary t = one_count.targets();
  EXPECT_EQ(t.scaling_threads, 0);
  EXPECT_TRUE(t.scaling.empty());
  EXPECT_EQ(t.ratio.at("layer_norm").at(2).met, 1);
}

}  // namespace
}  // namespace normrt::perf
