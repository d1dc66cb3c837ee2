#pragma once
// Arenas for concurrent runs: each Session::run leases one for its duration,
// so runs on several threads never share intermediate buffers.
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace normrt::rt {

class ArenaPool {
  struct Free { void operator()(void* p) const; };
  struct Arena {
    std::unique_ptr<void, Free> data;
    std::size_t bytes = 0;
  };

 public:
  class Lease {
   public:
    Lease(ArenaPool& pool, Arena arena) : pool_(pool), arena_(std::move(arena)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(std::move(arena_)); }
    void* data() const { return arena_.data.get(); }

   private:
    ArenaPool& pool_;
    Arena arena_;
  };

  // An arena of at least `bytes` bytes, 64-byte aligned.
  Lease acquire(std::size_t bytes);

 private:
  void give_back(Arena arena);
  std::mutex mutex_;
  std::vector<Arena> free_;
};

}  // namespace normrt::rt
