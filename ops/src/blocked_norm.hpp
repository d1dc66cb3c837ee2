#pragma once
// The blocked-layout (nchw8c / nchw16c) paths of the channel norms, called by
// their entry points (batch_norm.cpp, group_norm.cpp, lrn.cpp) after those
// have validated the arguments.
#include <cstdint>
#include <vector>

#include "group_norm.table.hpp"
#include "normrt/ops/batch_norm.hpp"
#include "normrt/ops/lrn.hpp"

namespace normrt::ops::detail {

bool is_known_layout(Layout layout);

// Floats of an n x c x spatial tensor in `layout` (padded channels when
// blocked), or normrt::Error naming the product that overflows.
int64_t checked_elements(const char* op, int64_t n, int64_t c, int64_t spatial, Layout layout);

void batch_norm_apply_blocked(const BatchNormArgs& args, const ExecOptions& exec);

// GroupNorm / InstanceNorm (never across the batch): per-channel statistics
// of every block plane, merged into groups in channel order.
std::vector<GroupStats> run_blocked_grouped_norm(const GroupedNormJob& job,
                                                 const ExecOptions& exec);

void lrn_blocked(const LrnArgs& args, const ExecOptions& exec);

}  // namespace normrt::ops::detail
