#include "roofline.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>

#include "aligned_buffer.hpp"
#include "bandwidth_kernels.hpp"

namespace normrt::bench {
namespace {

// Shares begin on 64-byte boundaries: non-temporal stores need aligned rows.
constexpr std::size_t kAlignFloats = 16;

// Calls fn(begin, count) on `threads` contiguous shares of [0, n).
template <class Fn>
void split(int threads, std::size_t n, const Fn& fn) {
  if (threads <= 1) {
    fn(std::size_t(0), n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const auto parts = std::size_t(omp_get_num_threads());
    const auto me = std::size_t(omp_get_thread_num());
    std::size_t share = (n + parts - 1) / parts;
    share = (share + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    const std::size_t begin = std::min(n, me * share);
    fn(begin, std::min(share, n - begin));
  }
}

}  // namespace

const char* level_name(MemLevel level) {
  switch (level) {
    case MemLevel::l2: return "L2";
    case MemLevel::l3: return "L3";
    case MemLevel::dram: return "DRAM";
  }
  return "?";
}

MemLevel level_for(int64_t bytes, int threads, const CacheSizes& caches) {
  if (bytes <= caches.l2 * std::max(threads, 1) / 4 * 3) return MemLevel::l2;
  if (bytes <= caches.l3 / 2) return MemLevel::l3;
  return MemLevel::dram;
}

int64_t measure_working_set(MemLevel level, int threads, const CacheSizes& caches) {
  switch (level) {
    case MemLevel::l2: return caches.l2 * std::max(threads, 1) / 2;
    case MemLevel::l3: return caches.l3 / 4;
    case MemLevel::dram: return std::clamp(4 * caches.l3, int64_t(64) << 20, int64_t(1) << 30);
  }
  return 0;
}

Roofline measure_roofline(int threads, const TimingPlan& plan,
                          const std::function<void(const std::string&)>& progress) {
  const BandwidthKernels& k = bandwidth_kernels();
  Roofline roof;
  roof.threads = threads;
  roof.isa = k.isa;
  roof.caches = cache_sizes();
  for (MemLevel level : {MemLevel::l2, MemLevel::l3, MemLevel::dram}) {
    LevelBandwidth lb;
    lb.level = level;
    lb.working_set = measure_working_set(level, threads, roof.caches);
    if (progress) {
      progress(std::string("memory bandwidth, ") + level_name(level) + " (" +
               format_bytes(lb.working_set) + "), " + std::to_string(threads) + " thread(s)");
    }
    // Copy: src + dst share the working set; triad: b + c + a do.
    const auto copy_n = std::size_t(lb.working_set) / (2 * sizeof(float));
    const auto triad_n = std::size_t(lb.working_set) / (3 * sizeof(float));
    workloads::AlignedBuffer src = workloads::random_buffer(copy_n, workloads::kInputSeed);
    workloads::AlignedBuffer dst(copy_n), third(triad_n);
    const double copy_bytes = 2.0 * double(copy_n * sizeof(float));
    const double triad_bytes = 3.0 * double(triad_n * sizeof(float));
    auto gbps = [&](double bytes, const std::function<void()>& fn) {
      return bytes / best_seconds(fn, plan) / 1e9;
    };
    lb.copy_gbps = gbps(copy_bytes, [&] {
      split(threads, copy_n, [&](std::size_t b, std::size_t n) {
        k.copy(src.data() + b, dst.data() + b, n);
      });
    });
    lb.nt_copy_gbps = gbps(copy_bytes, [&] {
      split(threads, copy_n, [&](std::size_t b, std::size_t n) {
        k.nt_copy(src.data() + b, dst.data() + b, n);
      });
    });
    lb.triad_gbps = gbps(triad_bytes, [&] {
      split(threads, triad_n, [&](std::size_t b, std::size_t n) {
        k.triad(src.data() + b, dst.data() + b, third.data() + b, 3.0f, n);
      });
    });
    roof.levels.push_back(lb);
  }
  return roof;
}

std::string describe_roofline(const Roofline& roof, const std::string& indent) {
  char line[160];
  std::string text = indent + "memory roofline at " + std::to_string(roof.threads) +
                     " thread(s) (" + roof.isa + " loops; cache sizes " +
                     (roof.caches.detected ? "from sysfs" : "assumed, sysfs unreadable") + "):\n";
  std::snprintf(line, sizeof line, "%s%-5s %12s %10s %10s %10s\n", indent.c_str(), "level",
                "working set", "copy GB/s", "nt copy", "triad");
  text += line;
  for (const LevelBandwidth& lb : roof.levels) {
    std::snprintf(line, sizeof line, "%s%-5s %12s %10.2f %10.2f %10.2f\n", indent.c_str(),
                  level_name(lb.level), format_bytes(lb.working_set).c_str(), lb.copy_gbps,
                  lb.nt_copy_gbps, lb.triad_gbps);
    text += line;
  }
  return text;
}

}  // namespace normrt::bench
