#pragma once
// Per-op Instance factories, one source file each (workloads_<op>.cpp). A
// file is compiled only when its op is built into normrt_ops (NORMRT_OPS),
// so ops that are still being written are listed as unavailable, not faked.
#include <memory>

#include "workloads.hpp"

namespace normrt::workloads::detail {

std::unique_ptr<Instance> prepare_row_norm(const Problem& p);    // layer_norm, rms_norm
std::unique_ptr<Instance> prepare_batch_norm(const Problem& p);  // inference apply
std::unique_ptr<Instance> prepare_group_norm(const Problem& p);  // group_norm, instance_norm
std::unique_ptr<Instance> prepare_lrn(const Problem& p);

}  // namespace normrt::workloads::detail
