#pragma once
// How an op call runs: which ISA, how many threads.
#include <optional>

#include "normrt/error.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt::ops {

struct ExecOptions {
  // Unset: best_isa() (NORMRT_ISA caps it). Set: that ISA, or normrt::Error
  // if this CPU cannot run it.
  std::optional<Isa> isa;
  // 0: OpenMP's default (omp_get_max_threads()). Small problems use fewer
  // threads than asked; results are bitwise identical for any count.
  int threads = 0;
};

}  // namespace normrt::ops
