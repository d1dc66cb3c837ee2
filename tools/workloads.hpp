#pragma once
// The one list of benchmark workloads (/work/shared/workloads.md) that drives
// both perf/bench_ops and `normrt bench`, as XNNPACK's one list drives its
// tests and benchmarks. A Workload is a description (cheap); prepare() makes
// an Instance that owns the 64-byte aligned, seeded buffers (expensive: the
// largest GroupNorm moves 512 MiB), so callers prepare one at a time and drop
// it before the next.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "normrt/ops/activation.hpp"
#include "normrt/ops/exec.hpp"
#include "normrt/ops/layout.hpp"

namespace normrt::workloads {

enum class OpKind { batch_norm, layer_norm, rms_norm, group_norm, instance_norm, lrn };

// "batch_norm", "layer_norm", ... (what --ops takes).
const char* op_name(OpKind op);
// All op names, in list order.
const std::vector<std::string>& op_names();

// What is computed, independent of who computes it (normrt or a baseline).
struct Problem {
  OpKind op = OpKind::layer_norm;
  // Logical shape as workloads.md writes it: [N, C, spatial...] for the
  // channel ops (whatever the memory layout), [rows, cols] for LN/RMS.
  std::vector<int64_t> dims;
  ops::Layout layout = ops::Layout::nchw;
  ops::Activation act = ops::Activation::none;
  int64_t groups = 1;  // group_norm
  bool skip = false;   // LN/RMS fused residual: x + skip is normalized
  // LRN parameters (workloads.md: size 5, alpha 1e-4, beta 0.75, bias 1).
  int64_t lrn_size = 5;
  float lrn_alpha = 1e-4f, lrn_beta = 0.75f, lrn_bias = 1.0f;
  float eps = 1e-5f;

  int64_t elements() const;
  int64_t n() const { return dims.front(); }
  int64_t c() const { return dims.size() > 1 ? dims[1] : 1; }
  int64_t spatial() const;  // product of dims after C; 1 for rank 2
  int64_t rows() const { return dims.front(); }
  int64_t cols() const { return dims.back(); }
  // Input read + output written, parameters ignored (workloads.md).
  int64_t bytes() const;
};

// A prepared problem: owns its buffers; run() computes it once.
class Instance {
 public:
  virtual ~Instance() = default;
  virtual void run(const ops::ExecOptions& exec) = 0;
};

struct Workload {
  std::string label;  // "batch_norm/nchw_relu/1x64x112x112", "layer_norm/512x768"
  Problem problem;
  bool quick = false;       // one of the 1-2 representative shapes per op
  std::string unavailable;  // empty when normrt can run it; else why not

  bool available() const { return unavailable.empty(); }
  // Allocates and fills the buffers. Throws normrt::Error when unavailable.
  std::unique_ptr<Instance> prepare() const;
};

// Every workload of workloads.md, grouped by op, in the file's order.
const std::vector<Workload>& all_workloads();

// The subset for `ops` (empty: all) and, with quick, only the quick ones.
// Throws normrt::Error naming an unknown op.
std::vector<const Workload*> select_workloads(const std::vector<std::string>& ops, bool quick);

}  // namespace normrt::workloads
