#include "kernels/onednn_common.hpp"

#include <algorithm>
#include <unordered_map>

#include "kernels/tensor_util.hpp"
#include "normrt/error.hpp"

namespace normrt::rt::onednn {

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

bool onednn_runs_avx512() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512;  // the ISA values are nested bit masks
}

Dims row_major_strides(const Dims& dims) {
  Dims strides(dims.size(), 1);
  for (std::size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * std::max<int64_t>(dims[d], 1);
  return strides;
}

dnnl::memory::desc strided_desc(const Dims& dims, const Dims& strides) {
  return dnnl::memory::desc(dnnl::memory::dims(dims.begin(), dims.end()),
                            dnnl::memory::data_type::f32,
                            dnnl::memory::dims(strides.begin(), strides.end()));
}

dnnl::memory::desc plain_desc(const Dims& dims, DType dtype) {
  using dt = dnnl::memory::data_type;
  const dt type = dtype == DType::u8 ? dt::u8 : dtype == DType::i8 ? dt::s8 : dt::f32;
  const Dims strides = row_major_strides(dims);
  return dnnl::memory::desc(dnnl::memory::dims(dims.begin(), dims.end()), type,
                            dnnl::memory::dims(strides.begin(), strides.end()));
}

dnnl::memory::desc any_desc(const Dims& dims) {
  return dnnl::memory::desc(dnnl::memory::dims(dims.begin(), dims.end()),
                            dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}

void require_known_attrs(const PrepareContext& ctx, std::initializer_list<const char*> allowed) {
  for (const auto& attr : ctx.node.attrs) {
    const std::string& name = attr.first;  // not a structured binding: lambdas capture it (clang)
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* a) { return name == a; });
    if (!known) kern::fail(ctx, "unsupported attribute '" + name + "'");
  }
}

void reject_output(const PrepareContext& ctx, std::size_t i, const char* what) {
  if (kern::has_output(ctx, i))
    kern::fail(ctx, std::string("optional output '") + what + "' is not supported");
}

dnnl::primitive_attr user_scratchpad_attr(const dnnl::post_ops& post_ops) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (post_ops.len() > 0) attr.set_post_ops(post_ops);
  return attr;
}

dnnl::memory reorder_constant(const Tensor& value, const dnnl::memory::desc& from,
                              const dnnl::memory::desc& to) {
  const dnnl::engine& eng = cpu_engine();
  // oneDNN reads the source only; its API takes a mutable pointer.
  dnnl::memory src(from, eng, const_cast<void*>(value.data()));
  dnnl::memory dst(to, eng);  // owned by oneDNN, kept alive by the kernel
  dnnl::stream stream(eng);
  dnnl::reorder(src, dst).execute(stream, src, dst);
  stream.wait();
  return dst;
}

BoundPrimitive::BoundPrimitive(dnnl::primitive prim, const dnnl::memory::desc& scratchpad,
                               std::string where)
    : prim_(std::move(prim)),
      scratchpad_(scratchpad),
      scratch_bytes_(scratchpad.get_size()),
      where_(std::move(where)) {}

void BoundPrimitive::execute(void* scratch, const std::vector<Arg>& args) const {
  const dnnl::engine& eng = cpu_engine();
  std::unordered_map<int, dnnl::memory> bound;
  try {
    for (const Arg& a : args)
      bound.emplace(a.id, dnnl::memory(*a.desc, eng, const_cast<void*>(a.data)));
    if (scratch_bytes_ != 0) bound.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratchpad_, eng, scratch));
    dnnl::stream stream(eng);
    prim_.execute(stream, bound);
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(where_ + ": oneDNN execution failed: " + e.what());
  }
}

}  // namespace normrt::rt::onednn
