#pragma once
// Per-ISA kernels of LRN across channels.
#include <algorithm>
#include <cstdint>

#include "normrt/ops/lrn.hpp"

namespace normrt::ops::detail {

struct lrn_kernels {
  // NCHW: tasks [t0, t1); task t is spatial tile t % tiles of image t / tiles,
  // tiles = ceil(spatial / lrn_tile(c)).
  void (*tiles)(const LrnArgs& a, int64_t t0, int64_t t1);
  // NHWC: positions [r0, r1), each a contiguous run of c floats.
  void (*rows)(const LrnArgs& a, int64_t r0, int64_t r1);
};

// NCHW works on tiles of this many positions (the unit of work of a thread;
// windows too wide for registers square a tile, c x tile floats, about
// 64 KiB, into scratch). Depends on c only, never on threads.
inline int64_t lrn_tile(int64_t c) {
  return std::clamp<int64_t>(16384 / c / 32 * 32, 32, 1024);
}

// Half of the window, clipped to the channels that exist: a window wider
// than 2c - 1 covers every channel anyway.
inline int64_t lrn_half_window(const LrnArgs& a) { return std::min((a.size - 1) / 2, a.c - 1); }

}  // namespace normrt::ops::detail
