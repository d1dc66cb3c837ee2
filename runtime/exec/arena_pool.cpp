#include "exec/arena_pool.hpp"

#include <cstdlib>

#include "exec/memory_plan.hpp"
#include "normrt/error.hpp"

namespace normrt::rt {

// Idle arenas kept for reuse; more concurrent runs than this allocate afresh.
constexpr std::size_t kMaxIdleArenas = 8;

void ArenaPool::Free::operator()(void* p) const { std::free(p); }

ArenaPool::Lease ArenaPool::acquire(std::size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The smallest idle arena that is large enough.
    std::size_t best = free_.size();
    for (std::size_t i = 0; i < free_.size(); ++i)
      if (free_[i].bytes >= bytes && (best == free_.size() || free_[i].bytes < free_[best].bytes))
        best = i;
    if (best != free_.size()) {
      Arena a = std::move(free_[best]);
      free_.erase(free_.begin() + std::ptrdiff_t(best));
      return Lease(*this, std::move(a));
    }
  }
  Arena a;
  a.bytes = align_up(std::max<std::size_t>(bytes, 1));
  a.data.reset(std::aligned_alloc(kArenaAlignment, a.bytes));
  if (!a.data) throw Error("out of memory allocating a " + std::to_string(a.bytes) + "-byte arena");
  return Lease(*this, std::move(a));
}

void ArenaPool::give_back(Arena arena) {
  if (!arena.data) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.size() < kMaxIdleArenas) {
    free_.push_back(std::move(arena));
  } else {
    // Keep the largest ones: drop the smallest idle arena if this one is larger.
    auto smallest = free_.begin();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->bytes < smallest->bytes) smallest = it;
    if (smallest->bytes < arena.bytes) *smallest = std::move(arena);
  }
}

}  // namespace normrt::rt
