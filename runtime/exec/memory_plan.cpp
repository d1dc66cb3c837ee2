#include "exec/memory_plan.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace normrt::rt {

namespace {

bool overlap_in_time(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  // Largest first; ties by birth then index, so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_step < requests[b].first_step;
  });

  struct Placed { std::size_t offset, end, index; };
  std::vector<Placed> placed;  // kept sorted by offset
  std::vector<const Placed*> live;
  for (std::size_t idx : order) {
    const std::size_t size = align_up(std::max<std::size_t>(requests[idx].bytes, 1));
    live.clear();
    for (const Placed& p : placed)
      if (overlap_in_time(requests[p.index], requests[idx])) live.push_back(&p);
    std::size_t best = std::numeric_limits<std::size_t>::max();
    std::size_t best_gap = std::numeric_limits<std::size_t>::max();
    std::size_t cursor = 0;
    for (const Placed* p : live) {  // sorted by offset
      if (p->offset > cursor) {
        const std::size_t gap = p->offset - cursor;
        if (gap >= size && gap < best_gap) {
          best = cursor;
          best_gap = gap;
        }
      }
      cursor = std::max(cursor, p->end);
    }
    if (best == std::numeric_limits<std::size_t>::max()) best = cursor;
    plan.offsets[idx] = best;
    plan.total_bytes = std::max(plan.total_bytes, best + size);
    const Placed entry{best, best + size, idx};
    placed.insert(std::upper_bound(placed.begin(), placed.end(), entry,
                                   [](const Placed& a, const Placed& b) { return a.offset < b.offset; }),
                  entry);
  }
  return plan;
}

}  // namespace normrt::rt
