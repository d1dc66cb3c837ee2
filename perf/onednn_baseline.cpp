#include "onednn_baseline.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "aligned_buffer.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt::perf {
namespace {

using dnnl::memory;
using workloads::AlignedBuffer;
using workloads::OpKind;
using workloads::Problem;
using Tag = memory::format_tag;
using Args = std::unordered_map<int, memory>;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The blocked layout oneDNN's convolutions produce on this CPU.
const char* blocked_layout() {
  return cpu_supports(Isa::avx512) ? "nChw16c" : "nChw8c";
}

Tag tag_of(const std::string& layout) {
  if (layout == "nchw") return Tag::nchw;
  if (layout == "nhwc") return Tag::nhwc;
  if (layout == "nChw8c") return Tag::nChw8c;
  if (layout == "nChw16c") return Tag::nChw16c;
  if (layout == "nc") return Tag::nc;
  throw std::invalid_argument("unknown oneDNN layout " + layout);
}

memory::desc f32_desc(const std::vector<int64_t>& dims, Tag tag) {
  return memory::desc(memory::dims(dims.begin(), dims.end()), memory::data_type::f32, tag);
}

// A sequence of primitives run back to back on one stream, owning every buffer.
class Pipeline final : public workloads::Instance {
 public:
  // A buffer for `md` (filled with seeded values; padding too, harmlessly).
  memory make_memory(const memory::desc& md, uint64_t seed, float lo, float hi) {
    buffers_.push_back(workloads::random_buffer(md.get_size() / sizeof(float) + 1, seed, lo, hi));
    return memory(md, cpu_engine(), buffers_.back().data());
  }
  memory make_input(const memory::desc& md) {
    return make_memory(md, workloads::kInputSeed, -1.0f, 1.0f);
  }
  memory make_output(const memory::desc& md) {
    buffers_.emplace_back(md.get_size() / sizeof(float) + 1);
    return memory(md, cpu_engine(), buffers_.back().data());
  }

  // Adds a step; every argument the primitive wants beyond `args` (mean,
  // variance, scale, shift, workspace) gets a buffer of positive values.
  void add(const dnnl::primitive& prim, const dnnl::primitive_desc& pd, Args args) {
    for (int arg : {DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE, DNNL_ARG_SHIFT,
                    DNNL_ARG_WORKSPACE}) {
      const memory::desc md = pd.query_md(dnnl::query::exec_arg_md, arg);
      if (md.get_size() > 0 && args.count(arg) == 0) {
        args[arg] = make_memory(md, 100 + uint64_t(arg), 0.5f, 1.5f);
      }
    }
    steps_.emplace_back(prim, std::move(args));
  }

  void run(const ops::ExecOptions&) override {
    for (auto& [prim, args] : steps_) prim.execute(stream_, args);
    stream_.wait();
  }

 private:
  dnnl::stream stream_{cpu_engine()};
  std::vector<AlignedBuffer> buffers_;
  std::vector<std::pair<dnnl::primitive, Args>> steps_;
};

void add_batch_norm(Pipeline& pl, const Problem& p, Tag tag) {
  const memory::desc md = f32_desc(p.dims, tag);
  auto flags = dnnl::normalization_flags::use_global_stats |
               dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  if (p.act == ops::Activation::relu) flags |= dnnl::normalization_flags::fuse_norm_relu;
  const dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md, p.eps,
                                                  flags);
  const dnnl::batch_normalization_forward::primitive_desc pd(d, cpu_engine());
  pl.add(dnnl::batch_normalization_forward(pd), pd,
         {{DNNL_ARG_SRC, pl.make_input(md)}, {DNNL_ARG_DST, pl.make_output(md)}});
}

// LayerNorm of `src` ([rows, cols]) into a new output; returns the output.
memory add_layer_norm(Pipeline& pl, const memory& src, float eps, dnnl::normalization_flags flags) {
  const memory::desc md = src.get_desc();
  const dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md, eps,
                                                  flags);
  const dnnl::layer_normalization_forward::primitive_desc pd(d, cpu_engine());
  const memory dst = pl.make_output(md);
  pl.add(dnnl::layer_normalization_forward(pd), pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return dst;
}

// x + skip, written out as the fused op's `sum` would be in an unfused graph.
memory add_residual(Pipeline& pl, const memory::desc& md) {
  const dnnl::binary::desc d(dnnl::algorithm::binary_add, md, md, md);
  const dnnl::binary::primitive_desc pd(d, cpu_engine());
  const memory sum = pl.make_output(md);
  pl.add(dnnl::binary(pd), pd,
         {{DNNL_ARG_SRC_0, pl.make_input(md)},
          {DNNL_ARG_SRC_1, pl.make_memory(md, 13, -1.0f, 1.0f)},
          {DNNL_ARG_DST, sum}});
  return sum;
}

void add_swish_in_place(Pipeline& pl, const memory& data) {
  const dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::eltwise_swish, data.get_desc(), 1.0f);
  const dnnl::eltwise_forward::primitive_desc pd(d, cpu_engine());
  pl.add(dnnl::eltwise_forward(pd), pd, {{DNNL_ARG_SRC, data}, {DNNL_ARG_DST, data}});
}

// LN rows for LN / RMSNorm (with the residual), and the same-bytes stand-in
// for GroupNorm / InstanceNorm: N*G rows of (C/G)*spatial.
void add_row_baseline(Pipeline& pl, const Problem& p) {
  using F = dnnl::normalization_flags;
  const bool channel_op = p.op == OpKind::group_norm || p.op == OpKind::instance_norm;
  const int64_t groups = p.op == OpKind::group_norm ? p.groups : p.c();
  const int64_t rows = channel_op ? p.n() * groups : p.rows();
  const memory::desc md = f32_desc({rows, p.elements() / rows}, Tag::ab);
  // GN/IN's affine is per channel, not per column: no per-column scale/shift
  // for the stand-in (streaming a (C/G)*spatial gamma would handicap oneDNN).
  F flags = F::none;
  if (p.op == OpKind::layer_norm) flags = F::use_scale | F::use_shift;
  if (p.op == OpKind::rms_norm) flags = F::use_scale;
  const memory src = p.skip ? add_residual(pl, md) : pl.make_input(md);
  const memory dst = add_layer_norm(pl, src, p.eps, flags);
  if (p.act == ops::Activation::silu) add_swish_in_place(pl, dst);
}

// LayerNorm over C of [N, C, spatial] as oneDNN's LN over the last logical
// dim of [N, spatial, C]; `tag` acb is the NCHW memory, abc the NHWC one.
void add_channel_ln_baseline(Pipeline& pl, const Problem& p, Tag tag) {
  using F = dnnl::normalization_flags;
  const memory::desc md = f32_desc({p.n(), p.spatial(), p.c()}, tag);
  add_layer_norm(pl, pl.make_input(md), p.eps, F::use_scale | F::use_shift);
}

void add_lrn(Pipeline& pl, const Problem& p, Tag tag) {
  const memory::desc md = f32_desc(p.dims, tag);
  const dnnl::lrn_forward::desc d(dnnl::prop_kind::forward_inference,
                                  dnnl::algorithm::lrn_across_channels, md, p.lrn_size,
                                  p.lrn_alpha, p.lrn_beta, p.lrn_bias);
  const dnnl::lrn_forward::primitive_desc pd(d, cpu_engine());
  pl.add(dnnl::lrn_forward(pd), pd,
         {{DNNL_ARG_SRC, pl.make_input(md)}, {DNNL_ARG_DST, pl.make_output(md)}});
}

const char* layout_name(ops::Layout layout) {
  return layout == ops::Layout::nchw ? "nchw" : "nhwc";
}

constexpr const char* kPrefix = "onednn_";

}  // namespace

std::vector<std::string> onednn_baselines(const Problem& p) {
  const std::string own = std::string(kPrefix) + layout_name(p.layout);
  switch (p.op) {
    case OpKind::batch_norm:
      if (p.dims.size() == 2) return {std::string(kPrefix) + "nc"};
      if (p.dims.size() == 4) return {own, std::string(kPrefix) + blocked_layout()};
      return {own};
    case OpKind::layer_norm:
    case OpKind::rms_norm:
      // LN over C of NCHW: oneDNN normalizes the innermost logical dim, so
      // [N, HW, C] with the channels strided (nchw memory) or dense (nhwc).
      if (p.dims.size() != 2) return {std::string(kPrefix) + "ln_nchw", std::string(kPrefix) + "ln_nhwc"};
      return {std::string(kPrefix) + (p.skip ? "add_ln" : "ln")};
    case OpKind::group_norm:
    case OpKind::instance_norm:
      return {std::string(kPrefix) + (p.act == ops::Activation::silu ? "ln_swish" : "ln")};
    case OpKind::lrn:
      return {own};
  }
  return {};
}

std::unique_ptr<workloads::Instance> make_onednn_baseline(const Problem& p,
                                                           const std::string& name) {
  auto pl = std::make_unique<Pipeline>();
  const std::string layout = name.substr(std::string(kPrefix).size());
  switch (p.op) {
    case OpKind::batch_norm:
      add_batch_norm(*pl, p, tag_of(layout));
      break;
    case OpKind::lrn:
      add_lrn(*pl, p, tag_of(layout));
      break;
    default:
      // LayerNorm over C of a 4-D tensor; GroupNorm / InstanceNorm are 4-D
      // too but take the row stand-in below.
      if (p.op == OpKind::layer_norm && p.dims.size() > 2) {
        add_channel_ln_baseline(*pl, p, layout == "ln_nchw" ? Tag::acb : Tag::abc);
        break;
      }
      add_row_baseline(*pl, p);
      break;
  }
  return pl;
}

}  // namespace normrt::perf
