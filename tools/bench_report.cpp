#include "bench_report.hpp"

namespace normrt::cli {

const IsaTiming* BenchRow::find(Isa isa) const {
  for (const IsaTiming& t : timings) {
    if (t.isa == isa) return &t;
  }
  return nullptr;
}

const IsaTiming& BenchRow::fastest() const {
  const IsaTiming* best = &timings.front();
  for (const IsaTiming& t : timings) {
    if (t.seconds < best->seconds) best = &t;
  }
  return *best;
}

double BenchRow::speedup_vs_scalar(Isa isa) const {
  const IsaTiming* scalar = find(Isa::scalar);
  const IsaTiming* other = find(isa);
  if (scalar == nullptr || other == nullptr || other->seconds <= 0) return 0;
  return scalar->seconds / other->seconds;
}

std::vector<const BenchRow*> BenchReport::rows_at(int t) const {
  std::vector<const BenchRow*> out;
  for (const BenchRow& row : rows) {
    if (row.threads == t) out.push_back(&row);
  }
  return out;
}

}  // namespace normrt::cli
