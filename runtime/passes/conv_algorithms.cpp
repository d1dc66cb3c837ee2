#include "passes/conv_algorithms.hpp"

#include <string>

#include "kernels/onednn_layout.hpp"

namespace normrt::rt::passes {
namespace {

bool all_equal(const std::vector<int64_t>& v, int64_t x) {
  for (int64_t e : v)
    if (e != x) return false;
  return true;
}

// A 2D, 3x3, stride-1, undilated, ungrouped conv between blocked tensors of at
// least 64 channels each side: where measurements showed Winograd ahead
// (ResNet-50's 3x3 layers: 1.4-1.9x per conv on AVX-512 at batch 1).
bool winograd_candidate(const Node& n) {
  if (n.op_type != "Conv" || !(n.domain.empty() || n.domain == "normrt")) return false;
  if (!n.has("normrt_src_block") || !n.has("normrt_dst_block")) return false;
  if (n.inputs.size() < 2 || !n.inputs[1] || !n.inputs[1]->constant || !n.inputs[1]->shape) return false;
  const auto& w = *n.inputs[1]->shape;  // [M, C, kh, kw]
  if (w.size() != 4) return false;
  for (const Dim& d : w)
    if (d.value <= 0) return false;
  if (w[2].value != 3 || w[3].value != 3 || w[0].value < 64 || w[1].value < 64) return false;
  if (n.attr_int("group", 1) != 1) return false;
  return all_equal(n.attr_ints("strides", {1, 1}), 1) && all_equal(n.attr_ints("dilations", {1, 1}), 1);
}

}  // namespace

void choose_conv_algorithms(Graph& g, PassReport& report) {
  int marked = 0;
  for (const auto& n : g.nodes()) {
    if (!winograd_candidate(*n)) continue;
    n->attrs[onednn::kWinogradAttr] = int64_t(1);
    ++marked;
  }
  if (marked) report.add("conv-algorithms", std::to_string(marked) + " 3x3 conv(s) may use Winograd");
}

}  // namespace normrt::rt::passes
