#pragma once
// The memory roofline of a norm kernel: a norm reads its input once and writes
// its output once, so the bandwidth of a plain copy over the same working set
// bounds it. measure_roofline() times copy, non-temporal copy and STREAM triad
// at an L2-, an L3- and a DRAM-resident working set; a kernel is then rated
// against the faster copy of the level its own working set fits in.
// Shared by perf/bench_ops and `normrt bench`.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench_timer.hpp"
#include "cache_info.hpp"

namespace normrt::bench {

enum class MemLevel { l2, l3, dram };
const char* level_name(MemLevel level);  // "L2", "L3", "DRAM"

// Where `bytes` touched by `threads` threads stay: L2 when they fit in 3/4 of
// the threads' L2 caches together (code, stacks, parameters and associativity
// conflicts take the rest), L3 when they fit in half of L3 (L3 is shared with
// the other cores of the CCX/socket, in a VM with other tenants' too: copy
// bandwidth measured here drops 2.5x between 8 and 16 MiB of a 32 MiB L3),
// else DRAM.
MemLevel level_for(int64_t bytes, int threads, const CacheSizes& caches);

// The working set (bytes read + written per pass) that measures `level`, well
// inside what level_for() counts as that level: half of the threads' L2s, a
// quarter of L3, and 4x L3 (64 MiB to 1 GiB) for DRAM.
int64_t measure_working_set(MemLevel level, int threads, const CacheSizes& caches);

struct LevelBandwidth {
  MemLevel level = MemLevel::l2;
  int64_t working_set = 0;  // bytes per pass (copy: src + dst; triad: b + c + a)
  double copy_gbps = 0;     // 1e9 bytes (read + written) per second
  double nt_copy_gbps = 0;  // with non-temporal stores
  double triad_gbps = 0;
};

struct Roofline {
  int threads = 1;
  std::string isa;  // width of the loops that measured it
  CacheSizes caches;
  std::vector<LevelBandwidth> levels;  // L2, L3, DRAM in that order

  const LevelBandwidth& at(MemLevel level) const { return levels.at(std::size_t(level)); }
  MemLevel level_for(int64_t bytes) const { return bench::level_for(bytes, threads, caches); }
  // The roofline of a kernel moving `bytes`: the faster copy (plain or
  // non-temporal stores; kernels use either) of the level they fit in. From
  // DRAM the non-temporal copy is the faster one (no read for ownership).
  double roof_gbps_for(int64_t bytes) const {
    const LevelBandwidth& lb = at(level_for(bytes));
    return std::max(lb.copy_gbps, lb.nt_copy_gbps);
  }
};

// Times the three loops at each level with `threads` OpenMP threads (each
// thread streams its own contiguous share), each at its fastest sample (a
// ceiling, as STREAM reports it; kernels are reported at their median).
// `progress`, if set, is told what is being measured. A quick plan takes
// well under a second per thread count.
Roofline measure_roofline(int threads, const TimingPlan& plan,
                          const std::function<void(const std::string&)>& progress = {});

// A few lines describing `roof` (levels, working sets, GB/s of each loop),
// each starting with `indent`.
std::string describe_roofline(const Roofline& roof, const std::string& indent = "");

}  // namespace normrt::bench
