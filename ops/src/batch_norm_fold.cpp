// Folding an inference BatchNorm into the weights of the layer before it:
// W'[.., o, ..] = W * scale[o], b'[o] = b[o] * scale[o] + shift[o]. Plain
// double-precision scalar code: it runs once, at model-preparation time.
#include <string>

#include "detail/validate.hpp"
#include "normrt/ops/batch_norm.hpp"

namespace normrt::ops {
namespace {

constexpr const char* kOp = "fold_into_weights";

// How the weight's elements map to output channels: the weight is `outer`
// blocks of `per_block` channel runs, each run `inner` contiguous elements.
// The blocks split evenly into `groups` consecutive groups; run r of a block
// in group g belongs to output channel g * per_block + r.
struct ChannelWalk {
  int64_t outer = 1;      // blocks
  int64_t per_block = 1;  // channel runs per block
  int64_t inner = 1;      // elements per run
  int64_t groups = 1;     // conv_transpose: g; otherwise all blocks share one channel set
  int64_t channels = 0;   // output channels in all
};

std::string dim_name(int i) { return "dims[" + std::to_string(i) + "]"; }

ChannelWalk plan_walk(const WeightFoldArgs& a) {
  detail::require_ptr(kOp, a.weight, "weight");
  detail::require_ptr(kOp, a.dims, "dims");
  detail::require_ptr(kOp, a.bias, "bias");
  const bool conv_like = a.layout == WeightLayout::conv || a.layout == WeightLayout::conv_transpose;
  if (conv_like && (a.rank < 3 || a.rank > 5)) {
    detail::fail(kOp, "rank must be 3..5 for a 1D/2D/3D conv weight, got " + std::to_string(a.rank));
  }
  if (!conv_like && a.rank != 2) {
    detail::fail(kOp, "rank must be 2 for a matmul weight, got " + std::to_string(a.rank));
  }
  for (int i = 0; i < a.rank; ++i) detail::require_positive(kOp, a.dims[i], dim_name(i).c_str());
  int64_t total = 1;
  for (int i = 0; i < a.rank; ++i) total = detail::checked_mul(kOp, total, a.dims[i], "weight size");
  if (conv_like) {
    detail::require_positive(kOp, a.groups, "groups");
  } else if (a.groups != 1) {
    detail::fail(kOp, "groups must be 1 for a matmul weight, got " + std::to_string(a.groups));
  }
  ChannelWalk w;
  switch (a.layout) {
    case WeightLayout::conv:  // [Cout, Cin/g, k...]
      if (a.dims[0] % a.groups != 0) {
        detail::fail(kOp, "groups (" + std::to_string(a.groups) +
                              ") must divide the output channels dims[0] (" +
                              std::to_string(a.dims[0]) + ")");
      }
      w = {1, a.dims[0], total / a.dims[0], 1, a.dims[0]};
      break;
    case WeightLayout::conv_transpose: {  // [Cin, Cout/g, k...]
      if (a.dims[0] % a.groups != 0) {
        detail::fail(kOp, "groups (" + std::to_string(a.groups) +
                              ") must divide the input channels dims[0] (" +
                              std::to_string(a.dims[0]) + ")");
      }
      const int64_t inner = total / (a.dims[0] * a.dims[1]);
      // Block i (input channel i) belongs to group i / (Cin / g) and holds that
      // group's Cout/g output channels along axis 1: the classic bug is to
      // scale axis 0 instead.
      w = {a.dims[0], a.dims[1], inner, a.groups, a.dims[1] * a.groups};
      break;
    }
    case WeightLayout::matmul_kn:  // [K, N]
      w = {a.dims[0], a.dims[1], 1, 1, a.dims[1]};
      break;
    case WeightLayout::matmul_nk:  // [N, K]
      w = {1, a.dims[0], a.dims[1], 1, a.dims[0]};
      break;
    default:
      detail::fail(kOp, "layout is unknown");
  }
  return w;
}

void validate_affine(const ChannelWalk& w, const ChannelAffine& bn) {
  if (bn.shift.size() != bn.scale.size()) {
    detail::fail(kOp, "bn.shift has " + std::to_string(bn.shift.size()) +
                          " channels but bn.scale has " + std::to_string(bn.scale.size()));
  }
  if (bn.scale.size() != std::size_t(w.channels)) {
    detail::fail(kOp, "bn has " + std::to_string(bn.scale.size()) +
                          " channels but the weight has " + std::to_string(w.channels) +
                          " output channels");
  }
}

}  // namespace

void fold_into_weights(const WeightFoldArgs& args, const ChannelAffine& bn) {
  const ChannelWalk w = plan_walk(args);
  validate_affine(w, bn);
  const int64_t blocks_per_group = w.outer / w.groups;
  float* p = args.weight;
  for (int64_t b = 0; b < w.outer; ++b) {
    const int64_t base = (b / blocks_per_group) * w.per_block;
    for (int64_t r = 0; r < w.per_block; ++r) {
      const double s = bn.scale[std::size_t(base + r)];
      for (int64_t i = 0; i < w.inner; ++i, ++p) *p = float(double(*p) * s);
    }
  }
  for (int64_t o = 0; o < w.channels; ++o) {
    const auto k = std::size_t(o);
    args.bias[o] = float(double(args.bias[o]) * bn.scale[k] + bn.shift[k]);
  }
}

}  // namespace normrt::ops
