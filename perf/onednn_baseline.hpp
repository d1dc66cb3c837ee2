#pragma once
// oneDNN 2.6 primitives timed on the same problems as normrt, in the same
// binary: the baseline a user would otherwise call.
//   batch_norm     batch_normalization forward_inference, global stats, scale +
//                  shift (+ fuse_norm_relu), in the workload's layout and the
//                  blocked nChw16c (AVX-512 CPU) / nChw8c layout
//   layer_norm     layer_normalization forward_inference, scale + shift
//   rms_norm       the same LayerNorm over the same bytes (oneDNN 2.6 has no RMSNorm)
//   skip variants  binary add, then the LayerNorm (oneDNN cannot fuse the residual)
//   group_norm,    LayerNorm over N*G rows of (C/G)*spatial: the same bytes and the
//   instance_norm  same statistics work (oneDNN 2.6 has neither op), + eltwise
//                  swish for SiLU
//   lrn            lrn forward_inference across channels, in the workload's layout
#include <memory>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace normrt::perf {

// Names of the baselines for `p`, e.g. "onednn_nchw", "onednn_nChw16c",
// "onednn_ln"; empty when oneDNN has nothing comparable.
std::vector<std::string> onednn_baselines(const workloads::Problem& p);

// Primitives and 64-byte aligned seeded buffers for baseline `name` of `p`.
// run() ignores its ExecOptions: oneDNN takes its threads from OpenMP
// (omp_set_num_threads) and picks its own ISA. Throws dnnl::error when oneDNN
// rejects the problem.
std::unique_ptr<workloads::Instance> make_onednn_baseline(const workloads::Problem& p,
                                                           const std::string& name);

}  // namespace normrt::perf
