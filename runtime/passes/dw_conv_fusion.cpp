// fuse_depthwise_convs: see dw_conv_fusion.hpp. Every guard leaves the pair
// unfused; the kernel itself falls back to two primitives where oneDNN has
// no fused implementation, so a fusion here never fails a model.
#include "passes/dw_conv_fusion.hpp"

#include <optional>
#include <string>
#include <vector>

#include "passes/rewrite.hpp"

namespace normrt::rt::passes {
namespace {

bool is_conv(const Node* n) { return is_op(n, "Conv") || is_op(n, "Conv", kNormrtDomain); }

// Attribute `name` is absent or equals `want` on every axis (ONNX defaults).
bool ints_all(const Node& n, const char* name, std::size_t count, int64_t want) {
  if (!n.has(name)) return true;
  const std::vector<int64_t> v = n.attr_ints(name);
  if (v.size() != count) return false;
  for (int64_t x : v)
    if (x != want) return false;
  return true;
}

// A 2D convolution with explicit (not auto) padding, no residual input and
// only the attributes the fused kernel knows.
bool plain_2d_conv(const Node& n) {
  if (!is_conv(&n) || input(n, 3) || n.outputs.size() != 1 || !output(n, 0)) return false;
  const std::string pad = n.attr_string("auto_pad", "NOTSET");
  if (pad != "NOTSET") return false;
  for (const auto& [name, value] : n.attrs) {
    (void)value;
    if (name != "auto_pad" && name != "dilations" && name != "group" && name != "kernel_shape" &&
        name != "pads" && name != "strides" && name != "activation" && name != "activation_min" &&
        name != "activation_max")
      return false;
  }
  return ints_all(n, "dilations", 2, 1);
}

// A constant f32 weight of exactly `dims`.
bool constant_weight(const Value* w, const Dims& dims) {
  return float_constant(w) && static_shape(w) && *static_shape(w) == dims;
}

// The 1x1: group 1, stride 1, no padding, constant [M, C, 1, 1] weights.
std::optional<int64_t> pointwise_maps(const Node& n) {
  if (!plain_2d_conv(n) || n.attr_int("group", 1) != 1 || !ints_all(n, "strides", 2, 1) ||
      !ints_all(n, "pads", 4, 0) || !ints_all(n, "kernel_shape", 2, 1))
    return std::nullopt;
  const auto w = static_shape(input(n, 1));
  if (!w || w->size() != 4 || (*w)[2] != 1 || (*w)[3] != 1 || !constant_weight(input(n, 1), *w))
    return std::nullopt;
  return (*w)[0];
}

// The depthwise conv on M channels: 3x3, pads 1, equal strides 1 or 2; its stride.
std::optional<int64_t> depthwise_stride(const Node& n, int64_t maps) {
  if (!plain_2d_conv(n) || n.attr_int("group", 1) != maps || !ints_all(n, "pads", 4, 1) ||
      !ints_all(n, "kernel_shape", 2, 3) || !constant_weight(input(n, 1), {maps, 1, 3, 3}))
    return std::nullopt;
  const Value* b = input(n, 2);
  if (b && (!static_shape(b) || *static_shape(b) != Dims{maps})) return std::nullopt;
  const std::vector<int64_t> s = n.attr_ints("strides", {1, 1});
  if (s.size() != 2 || s[0] != s[1] || (s[0] != 1 && s[0] != 2)) return std::nullopt;
  return s[0];
}

bool fuse_at(Graph& g, Node& pw, PassReport& report) {
  const auto maps = pointwise_maps(pw);
  if (!maps) return false;
  Value* mid = output(pw, 0);
  Node* dw = sole_consumer(mid);  // also: not a graph output
  if (!dw || input(*dw, 0) != mid) return false;
  const auto stride = depthwise_stride(*dw, *maps);
  if (!stride) return false;

  NodeSpec spec{"Conv", kNormrtDomain, pw.name, {}, {output(*dw, 0)}, pw.attrs};
  spec.inputs = {input(pw, 0), input(pw, 1), input(pw, 2), nullptr, input(*dw, 1), input(*dw, 2)};
  spec.attrs["dw_stride"] = *stride;
  for (const char* a : {"activation", "activation_min", "activation_max"}) {
    auto it = dw->attrs.find(a);
    if (it != dw->attrs.end()) spec.attrs[std::string("dw_") + a] = it->second;
  }
  const std::string who = pw.describe() + " and " + dw->describe();
  remove_nodes(g, {&pw, dw});
  Node* fused = add_node(g, std::move(spec));
  report.add("dw-fusion", who + " -> " + fused->describe() + " (depthwise stride " +
                              std::to_string(*stride) + ")");
  return true;
}

}  // namespace

void fuse_depthwise_convs(Graph& g, PassReport& report) {
  for_each_node(g, [&](Node& n) { return fuse_at(g, n, report); });
  g.remove_dead_values();
  g.topo_sort();
}

}  // namespace normrt::rt::passes
