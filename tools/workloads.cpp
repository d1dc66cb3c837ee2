// The workload list of /work/shared/workloads.md, and the dispatch from a
// workload to the factory of its op.
#include "workloads.hpp"

#include <algorithm>

#include "normrt/error.hpp"
#include "workload_ops.hpp"

namespace normrt::workloads {

using ops::Activation;
using ops::Layout;

const char* op_name(OpKind op) {
  switch (op) {
    case OpKind::batch_norm: return "batch_norm";
    case OpKind::layer_norm: return "layer_norm";
    case OpKind::rms_norm: return "rms_norm";
    case OpKind::group_norm: return "group_norm";
    case OpKind::instance_norm: return "instance_norm";
    case OpKind::lrn: return "lrn";
  }
  return "unknown";
}

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names = {"batch_norm", "layer_norm",    "rms_norm",
                                                 "group_norm", "instance_norm", "lrn"};
  return names;
}

int64_t Problem::elements() const {
  int64_t e = 1;
  for (int64_t d : dims) e *= d;
  return e;
}

int64_t Problem::spatial() const {
  int64_t s = 1;
  for (std::size_t i = 2; i < dims.size(); ++i) s *= dims[i];
  return s;
}

int64_t Problem::bytes() const {
  const int64_t reads = skip ? 2 : 1;  // the residual is a second input
  return (reads + 1) * elements() * int64_t(sizeof(float));
}

namespace {

using Factory = std::unique_ptr<Instance> (*)(const Problem&);

// The factory of an op, or null when the op is not built into normrt_ops.
Factory factory_for(OpKind op) {
  switch (op) {
    case OpKind::layer_norm:
    case OpKind::rms_norm:
      return &detail::prepare_row_norm;
    case OpKind::batch_norm:
#if NORMRT_WORKLOADS_HAVE_BATCH_NORM
      return &detail::prepare_batch_norm;
#else
      return nullptr;
#endif
    case OpKind::group_norm:
    case OpKind::instance_norm:
#if NORMRT_WORKLOADS_HAVE_GROUP_NORM
      return &detail::prepare_group_norm;
#else
      return nullptr;
#endif
    case OpKind::lrn:
#if NORMRT_WORKLOADS_HAVE_LRN
      return &detail::prepare_lrn;
#else
      return nullptr;
#endif
  }
  return nullptr;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

const char* layout_text(Layout layout) { return layout == Layout::nchw ? "nchw" : "nhwc"; }

// Builds the list; `quick` marks the representative shapes of `normrt bench --quick`.
class ListBuilder {
 public:
  void add(std::string label, Problem p, bool quick) {
    Workload w;
    w.label = std::move(label);
    w.problem = std::move(p);
    w.quick = quick;
    if (factory_for(w.problem.op) == nullptr) {
      w.unavailable = std::string(op_name(w.problem.op)) +
                      " had not landed in ops/ when this binary was configured";
    }
    list_.push_back(std::move(w));
  }
  void add_unavailable(std::string label, Problem p, std::string why) {
    add(std::move(label), std::move(p), false);
    list_.back().unavailable = std::move(why);
  }

  // op/<layout>[_<act>]/<dims>[/g<groups>]
  void add_channel_op(OpKind op, std::vector<int64_t> dims, Layout layout, Activation act,
                      int64_t groups, bool quick) {
    Problem p;
    p.op = op;
    p.dims = std::move(dims);
    p.layout = layout;
    p.act = act;
    p.groups = groups;
    std::string variant = dims_rank2(p) ? "nc" : layout_text(layout);
    if (act == Activation::relu) variant += "_relu";
    if (act == Activation::silu) variant += "_silu";
    std::string label = std::string(op_name(op)) + "/" + variant + "/" + dims_text(p.dims);
    if (op == OpKind::group_norm) label += "/g" + std::to_string(groups);
    add(std::move(label), std::move(p), quick);
  }

  // op[/skip]/<rows>x<cols>
  void add_rows(OpKind op, int64_t rows, int64_t cols, bool skip, bool quick) {
    Problem p;
    p.op = op;
    p.dims = {rows, cols};
    p.skip = skip;
    std::string label = std::string(op_name(op)) + (skip ? "/skip/" : "/") + dims_text(p.dims);
    add(std::move(label), std::move(p), quick);
  }

  std::vector<Workload> take() { return std::move(list_); }

 private:
  static bool dims_rank2(const Problem& p) { return p.dims.size() == 2; }
  std::vector<Workload> list_;
};

std::vector<Workload> build_list() {
  ListBuilder b;
  const Layout layouts[] = {Layout::nchw, Layout::nhwc};

  // BatchNorm: ResNet-50 layers at N = 1 and 16, both layouts, +-ReLU; BN1d.
  const std::vector<std::vector<int64_t>> resnet = {
      {64, 112, 112}, {256, 56, 56}, {64, 56, 56}, {512, 28, 28}, {128, 28, 28},
      {1024, 14, 14}, {256, 14, 14}, {2048, 7, 7}, {512, 7, 7}};
  for (int64_t n : {1, 16}) {
    for (const auto& chw : resnet) {
      for (Layout layout : layouts) {
        for (Activation act : {Activation::none, Activation::relu}) {
          std::vector<int64_t> dims = {n, chw[0], chw[1], chw[2]};
          const bool quick = n == 1 && chw[0] == 256 && chw[1] == 56 &&
                             ((layout == Layout::nchw && act == Activation::none) ||
                              (layout == Layout::nhwc && act == Activation::relu));
          b.add_channel_op(OpKind::batch_norm, dims, layout, act, 1, quick);
        }
      }
    }
  }
  b.add_channel_op(OpKind::batch_norm, {64, 1024}, Layout::nchw, Activation::none, 1, false);
  b.add_channel_op(OpKind::batch_norm, {4096, 256}, Layout::nchw, Activation::none, 1, false);

  // LayerNorm / RMSNorm rows, then the fused residual variants.
  const std::vector<std::pair<int64_t, int64_t>> rows = {
      {128, 768},  {512, 768}, {2048, 1024}, {16384, 768},
      {4096, 4096}, {1, 4096},  {30, 300},    {257, 768}};
  for (OpKind op : {OpKind::layer_norm, OpKind::rms_norm}) {
    for (const auto& [r, c] : rows) b.add_rows(op, r, c, false, r == 512);
    b.add_rows(op, 512, 768, true, true);
    b.add_rows(op, 2048, 1024, true, false);
  }
  {
    Problem p;
    p.op = OpKind::layer_norm;
    p.dims = {1, 96, 56, 56};
    b.add("layer_norm/nchw_over_c/1x96x56x56", p, false);  // ops::layer_norm_channels
  }

  // GroupNorm(32): Stable Diffusion UNet / VAE, both layouts, +-SiLU.
  const std::vector<std::vector<int64_t>> unet = {
      {1, 320, 64, 64},  {1, 640, 32, 32},  {1, 1280, 16, 16},   {1, 512, 64, 64},
      {2, 320, 96, 96},  {1, 128, 256, 256}, {8, 128, 128, 128}};
  for (const auto& dims : unet) {
    for (Layout layout : layouts) {
      for (Activation act : {Activation::none, Activation::silu}) {
        const bool quick = dims[1] == 320 && dims[0] == 1 && act == Activation::silu;
        b.add_channel_op(OpKind::group_norm, dims, layout, act, 32, quick);
      }
    }
  }

  // InstanceNorm: style transfer, 3D-UNet (5-D).
  const std::vector<std::vector<int64_t>> instance = {
      {1, 64, 256, 256}, {1, 128, 128, 128}, {4, 256, 64, 64}, {2, 32, 16, 224, 224}};
  for (const auto& dims : instance) {
    b.add_channel_op(OpKind::instance_norm, dims, Layout::nchw, Activation::none, 1,
                     dims[1] == 64);
  }

  // LRN (AlexNet / GoogLeNet), both layouts.
  const std::vector<std::vector<int64_t>> lrn = {
      {1, 96, 55, 55}, {16, 96, 55, 55}, {1, 256, 27, 27}, {1, 64, 57, 57}};
  for (const auto& dims : lrn) {
    for (Layout layout : layouts) {
      b.add_channel_op(OpKind::lrn, dims, layout, Activation::none, 1,
                       dims[0] == 1 && dims[1] == 96);
    }
  }
  return b.take();
}

}  // namespace

std::unique_ptr<Instance> Workload::prepare() const {
  const Factory factory = factory_for(problem.op);
  if (!available() || factory == nullptr) {
    throw Error(label + ": not available: " + unavailable);
  }
  return factory(problem);
}

const std::vector<Workload>& all_workloads() {
  static const std::vector<Workload> list = build_list();
  return list;
}

std::vector<const Workload*> select_workloads(const std::vector<std::string>& ops, bool quick) {
  for (const std::string& op : ops) {
    const auto& known = op_names();
    if (std::find(known.begin(), known.end(), op) == known.end()) {
      std::string all;
      for (const std::string& k : known) all += (all.empty() ? "" : ", ") + k;
      throw Error("unknown op '" + op + "' (expected one of " + all + ")");
    }
  }
  std::vector<const Workload*> out;
  for (const Workload& w : all_workloads()) {
    if (quick && !w.quick) continue;
    const std::string name = op_name(w.problem.op);
    if (!ops.empty() && std::find(ops.begin(), ops.end(), name) == ops.end()) continue;
    out.push_back(&w);
  }
  return out;
}

}  // namespace normrt::workloads
