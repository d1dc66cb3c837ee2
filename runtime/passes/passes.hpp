#pragma once
// The graph pass manager: one list of rewrites shared by Session (execution)
// and `normrt fold` (deployment). Execution may use normrt-domain and
// com.microsoft ops the runtime's kernels implement; deployment keeps the
// model standard ONNX and semantics-preserving so any runtime can load it.
#include <cstddef>
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace normrt::rt {

struct PassOptions {
  bool fold_constants = true;       // shape subgraphs on constants -> constants
  bool fold_batch_norm = true;      // BN into the weights of Conv/ConvTranspose/Gemm/MatMul
  bool batch_norm_to_affine = true;  // BN left over -> normrt.ChannelAffine (execution only)
  bool fuse_norms = true;           // decomposed LayerNorm/RMSNorm/GroupNorm -> one op
  bool fuse_epilogues = true;       // residual Add + norm, activation after norm/conv

  static PassOptions execution();   // everything on
  static PassOptions deployment();  // constant folding + BN folding only; standard ONNX out
};

// What each pass did, in order, one line per rewrite; for every
// BatchNormalization left unfolded, why (pass "bn-left").
struct PassReport {
  struct Entry {
    std::string pass;     // "bn-fold", "bn-left", "layer-norm-fusion", ...
    std::string message;  // names the node(s) concerned
  };
  std::vector<Entry> entries;

  void add(const std::string& pass, const std::string& message);
  std::size_t count(const std::string& pass) const;
  std::string str() const;  // "[pass] message" lines, then a per-pass summary
};

// Applies the passes `options` selects, leaves `graph` topologically sorted
// with dead nodes and values (initializers included) removed.
void run_passes(Graph& graph, const PassOptions& options, PassReport& report);

// The Session hook: run_passes with PassOptions::execution().
void run_default_passes(Graph& graph, PassReport& report);

}  // namespace normrt::rt
