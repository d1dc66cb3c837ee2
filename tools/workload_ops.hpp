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

// The x / y / n x c x spatial / layout fields every channel op's Args share.
template <class Args>
void set_tensor_geometry(Args& a, const Problem& p, const float* x, float* y) {
  a.x = x;
  a.y = y;
  a.n = p.n();
  a.c = p.c();
  a.spatial = p.spatial();
  a.layout = p.layout;
}

}  // namespace normrt::workloads::detail
