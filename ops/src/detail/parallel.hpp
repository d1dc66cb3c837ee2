#pragma once
// OpenMP over independent tasks. The partition of work into tasks never
// depends on the thread count, so results are bitwise identical for any count;
// the thread count only decides who runs which task.
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "normrt/ops/exec.hpp"

namespace normrt::ops::detail {

// Below this much memory traffic per thread a fork costs more than it saves.
constexpr int64_t kMinBytesPerThread = 64 * 1024;

// Threads worth using for `tasks` tasks moving `bytes` in total.
inline int plan_threads(const ExecOptions& exec, int64_t tasks, int64_t bytes) {
  const int asked = exec.threads > 0 ? exec.threads : omp_get_max_threads();
  const int64_t by_bytes = std::max<int64_t>(1, bytes / kMinBytesPerThread);
  const int64_t n = std::min<int64_t>({int64_t(asked), tasks, by_bytes});
  return int(std::max<int64_t>(1, n));
}

// Calls fn(begin, end) over contiguous ranges of [0, tasks) on `threads`
// threads (static schedule); on one thread, without forking.
template <class Fn>
void parallel_for(int threads, int64_t tasks, Fn&& fn) {
  if (threads <= 1 || tasks <= 1) {
    if (tasks > 0) fn(int64_t(0), tasks);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num();
    const int64_t nt = omp_get_num_threads();
    const int64_t begin = tasks * t / nt;
    const int64_t end = tasks * (t + 1) / nt;
    if (begin < end) fn(begin, end);
  }
}

}  // namespace normrt::ops::detail
