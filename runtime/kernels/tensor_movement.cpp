// Data movement kernels, type-blind (they move elements by size): Transpose,
// Slice, Expand, Tile (strided copies), Gather, Concat, Split (block copies)
// and Where (a broadcast select).
#include <algorithm>
#include <limits>
#include <numeric>

#include "kernels/tensor_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::kern {
namespace {

std::unique_ptr<OpKernel> strided_copy_kernel(StridedLoop<2> loop, std::size_t elem) {
  return std::make_unique<FnKernel>([loop = std::move(loop), elem](RunContext& rc) {
    copy_loop(loop, rc.outputs[0].data, rc.inputs[0].data, elem);
  });
}

std::unique_ptr<OpKernel> create_transpose(const PrepareContext& ctx,
                                           std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  const TensorInfo& data = input(ctx, 0, "data");
  const std::size_t rank = data.dims.size();
  std::vector<int64_t> perm(rank);
  std::iota(perm.rbegin(), perm.rend(), int64_t(0));
  if (ctx.node.has("perm")) {
    perm = ctx.node.attr_ints("perm");
    if (perm.size() != rank) {
      fail(ctx, "perm " + dims_string(perm) + " does not match rank " + std::to_string(rank));
    }
    perm = normalize_axes(ctx, perm, int64_t(rank), "perm");
  }
  const auto in_strides = contiguous_strides(data.dims);
  Dims dims(rank);
  for (std::size_t d = 0; d < rank; ++d) dims[d] = data.dims[std::size_t(perm[d])];
  const auto out_strides = contiguous_strides(dims);
  StridedLoop<2> loop;
  for (std::size_t d = 0; d < rank; ++d)
    loop.push_dim(dims[d], {out_strides[d], in_strides[std::size_t(perm[d])]});
  loop.simplify();
  out[0] = {data.dtype, dims};
  return strided_copy_kernel(std::move(loop), dtype_size(data.dtype));
}

// ONNX Slice clamping of one axis: first index, step, and element count.
struct AxisSlice {
  int64_t start = 0, step = 1, count = 0;
};

AxisSlice slice_axis(const PrepareContext& ctx, int64_t dim, int64_t start, int64_t end,
                     int64_t step) {
  if (step == 0) fail(ctx, "slice step must not be 0");
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  AxisSlice s;
  s.step = step;
  if (step > 0) {
    s.start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    if (end > s.start) s.count = (end - s.start - 1) / step + 1;
  } else {
    s.start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    // step = INT64_MIN cannot be negated: it takes at most one element.
    if (s.start > end)
      s.count = step == std::numeric_limits<int64_t>::min() ? 1 : (s.start - end - 1) / -step + 1;
  }
  return s;
}

std::unique_ptr<OpKernel> create_slice(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  const bool as_inputs = ctx.node.opset >= 10;
  require_inputs(ctx, as_inputs ? 3 : 1, as_inputs ? 5 : 1);
  const TensorInfo& data = input(ctx, 0, "data");
  const auto rank = int64_t(data.dims.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (as_inputs) {
    starts = known_ints(ctx, 1, "starts");
    ends = known_ints(ctx, 2, "ends");
    if (has_input(ctx, 3)) axes = known_ints(ctx, 3, "axes");
    if (has_input(ctx, 4)) steps = known_ints(ctx, 4, "steps");
  } else {
    starts = ctx.node.attr_ints("starts");
    ends = ctx.node.attr_ints("ends");
    axes = ctx.node.attr_ints("axes");
  }
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), int64_t(0));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    fail(ctx, "starts, ends, axes and steps must have the same length");
  }
  axes = normalize_axes(ctx, axes, rank, "axes");

  std::vector<AxisSlice> slices(static_cast<std::size_t>(rank));
  for (std::size_t d = 0; d < slices.size(); ++d) slices[d] = {0, 1, data.dims[d]};
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto d = std::size_t(axes[i]);
    slices[d] = slice_axis(ctx, data.dims[d], starts[i], ends[i], steps[i]);
  }
  Dims dims(slices.size());
  for (std::size_t d = 0; d < slices.size(); ++d) dims[d] = slices[d].count;
  const auto in_strides = contiguous_strides(data.dims);
  const auto out_strides = contiguous_strides(dims);
  StridedLoop<2> loop;
  for (std::size_t d = 0; d < slices.size(); ++d) {
    loop.base[1] += slices[d].start * in_strides[d];
    // A one-element axis never advances: its (maybe huge) step is irrelevant.
    const int64_t step = dims[d] > 1 ? checked_mul(ctx, slices[d].step, in_strides[d]) : 0;
    loop.push_dim(dims[d], {out_strides[d], step});
  }
  loop.simplify();
  out[0] = {data.dtype, dims};
  return strided_copy_kernel(std::move(loop), dtype_size(data.dtype));
}

std::unique_ptr<OpKernel> create_expand(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 2, 2);
  const TensorInfo& data = input(ctx, 0, "input");
  const Dims dims = broadcast_dims(ctx, data.dims, known_ints(ctx, 1, "shape"));
  count_of(ctx, dims);
  out[0] = {data.dtype, dims};
  return strided_copy_kernel(broadcast_loop<2>(dims, {&data.dims}), dtype_size(data.dtype));
}

std::unique_ptr<OpKernel> create_tile(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 2, 2);
  const TensorInfo& data = input(ctx, 0, "input");
  const auto repeats = known_ints(ctx, 1, "repeats");
  if (repeats.size() != data.dims.size()) {
    fail(ctx, "repeats " + dims_string(repeats) + " must have one entry per dim of " +
                  dims_string(data.dims));
  }
  Dims dims(repeats.size());
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (repeats[d] < 0) fail(ctx, "repeats must be >= 0, got " + dims_string(repeats));
    dims[d] = checked_mul(ctx, data.dims[d], repeats[d]);
  }
  count_of(ctx, dims);
  // Output dim d seen as [repeat, extent]: the repeat index does not move the input.
  const auto in_strides = contiguous_strides(data.dims);
  const auto out_strides = contiguous_strides(dims);
  StridedLoop<2> loop;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    loop.push_dim(repeats[d], {out_strides[d] * data.dims[d], 0});
    loop.push_dim(data.dims[d], {out_strides[d], in_strides[d]});
  }
  loop.simplify();
  out[0] = {data.dtype, dims};
  return strided_copy_kernel(std::move(loop), dtype_size(data.dtype));
}

std::unique_ptr<OpKernel> create_gather(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 2, 2);
  const TensorInfo& data = input(ctx, 0, "data");
  const TensorInfo& indices = input(ctx, 1, "indices", {DType::i64, DType::i32});
  require_rank_at_least(ctx, data, 1, "data");
  const auto rank = int64_t(data.dims.size());
  const auto axis = std::size_t(normalize_axis(ctx, ctx.node.attr_int("axis", 0), rank, "axis"));
  Dims dims(data.dims.begin(), data.dims.begin() + std::ptrdiff_t(axis));
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + std::ptrdiff_t(axis) + 1, data.dims.end());
  count_of(ctx, dims);
  out[0] = {data.dtype, dims};

  const int64_t outer = product(ctx, data.dims, 0, axis);
  const int64_t extent = data.dims[axis];
  const std::size_t block =
      std::size_t(product(ctx, data.dims, axis + 1, data.dims.size())) * dtype_size(data.dtype);
  const std::string who = ctx.node.describe();
  return std::make_unique<FnKernel>([=](RunContext& rc) {
    const TensorView& idx = rc.inputs[1];
    const int64_t n = idx.size();
    std::vector<int64_t> rows(static_cast<std::size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      const int64_t k = view_int(idx, j);
      if (k < -extent || k >= extent) {
        throw Error(who + ": index " + std::to_string(k) + " is out of range for axis extent " +
                    std::to_string(extent));
      }
      rows[std::size_t(j)] = k < 0 ? k + extent : k;
    }
    const auto* src = static_cast<const char*>(rc.inputs[0].data);
    auto* dst = static_cast<char*>(rc.outputs[0].data);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < n; ++j) {
        copy_bytes(dst, src + (std::size_t(o * extent + rows[std::size_t(j)])) * block, block);
        dst += block;
      }
    }
  });
}

// Concat/Split view a tensor as [outer, axis * inner] and move per-part blocks.
std::unique_ptr<OpKernel> create_concat(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  if (ctx.inputs.empty()) fail(ctx, "needs at least one input");
  const TensorInfo& first = input(ctx, 0, "inputs");
  const auto rank = int64_t(first.dims.size());
  if (!ctx.node.has("axis")) fail(ctx, "attribute 'axis' is required");
  const auto axis = std::size_t(normalize_axis(ctx, ctx.node.attr_int("axis", 0), rank, "axis"));
  Dims dims = first.dims;
  dims[axis] = 0;
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    const TensorInfo& t = input(ctx, i, "inputs");
    bool same = t.dtype == first.dtype && t.dims.size() == first.dims.size();
    for (std::size_t d = 0; same && d < t.dims.size(); ++d)
      same = d == axis || t.dims[d] == first.dims[d];
    if (!same) {
      fail(ctx, "input " + std::to_string(i) + " (" + dtype_name(t.dtype) + " " +
                    dims_string(t.dims) + ") does not match input 0 (" + dtype_name(first.dtype) +
                    " " + dims_string(first.dims) + ") outside axis " + std::to_string(axis));
    }
    dims[axis] = checked_add(ctx, dims[axis], t.dims[axis]);
  }
  count_of(ctx, dims);
  out[0] = {first.dtype, dims};
  const int64_t outer = product(ctx, dims, 0, axis);
  const std::size_t inner =
      std::size_t(product(ctx, dims, axis + 1, dims.size())) * dtype_size(first.dtype);
  std::vector<std::size_t> blocks;
  for (const TensorInfo& t : ctx.inputs) blocks.push_back(std::size_t(t.dims[axis]) * inner);
  const std::size_t row = std::size_t(dims[axis]) * inner;
  return std::make_unique<FnKernel>([=](RunContext& rc) {
    auto* dst = static_cast<char*>(rc.outputs[0].data);
    std::size_t col = 0;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const auto* src = static_cast<const char*>(rc.inputs[i].data);
      for (int64_t o = 0; o < outer; ++o)
        copy_bytes(dst + std::size_t(o) * row + col, src + std::size_t(o) * blocks[i], blocks[i]);
      col += blocks[i];
    }
  });
}

std::vector<int64_t> split_sizes(const PrepareContext& ctx, int64_t extent, std::size_t parts) {
  std::vector<int64_t> sizes;
  if (ctx.node.opset < 13) {
    sizes = ctx.node.attr_ints("split");
  } else if (has_input(ctx, 1)) {
    sizes = known_ints(ctx, 1, "split");
  } else if (ctx.node.opset >= 18 && ctx.node.has("num_outputs")) {
    const int64_t num = ctx.node.attr_int("num_outputs", 0);
    if (num != int64_t(parts)) fail(ctx, "num_outputs does not match the number of outputs");
    const int64_t chunk = (extent + num - 1) / num;
    for (int64_t i = 0; i < num; ++i) sizes.push_back(std::clamp<int64_t>(extent - i * chunk, 0, chunk));
    return sizes;
  }
  if (sizes.empty()) {
    if (extent % int64_t(parts) != 0) {
      fail(ctx, "axis extent " + std::to_string(extent) + " does not split evenly into " +
                    std::to_string(parts) + " outputs");
    }
    return std::vector<int64_t>(parts, extent / int64_t(parts));
  }
  if (sizes.size() != parts) fail(ctx, "'split' must have one entry per output");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) fail(ctx, "'split' entries must be >= 0");
    total = checked_add(ctx, total, s);
  }
  if (total != extent) {
    fail(ctx, "'split' " + dims_string(sizes) + " does not sum to the axis extent " +
                  std::to_string(extent));
  }
  return sizes;
}

std::unique_ptr<OpKernel> create_split(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, ctx.node.opset >= 13 ? 2 : 1);
  const TensorInfo& data = input(ctx, 0, "input");
  require_rank_at_least(ctx, data, 1, "input");
  if (out.empty()) fail(ctx, "needs at least one output");
  const auto axis = std::size_t(
      normalize_axis(ctx, ctx.node.attr_int("axis", 0), int64_t(data.dims.size()), "axis"));
  const auto sizes = split_sizes(ctx, data.dims[axis], out.size());
  const int64_t outer = product(ctx, data.dims, 0, axis);
  const std::size_t inner =
      std::size_t(product(ctx, data.dims, axis + 1, data.dims.size())) * dtype_size(data.dtype);
  std::vector<std::size_t> blocks;
  for (std::size_t i = 0; i < out.size(); ++i) {
    Dims dims = data.dims;
    dims[axis] = sizes[i];
    out[i] = {data.dtype, dims};
    blocks.push_back(std::size_t(sizes[i]) * inner);
  }
  const std::size_t row = std::size_t(data.dims[axis]) * inner;
  return std::make_unique<FnKernel>([=](RunContext& rc) {
    const auto* src = static_cast<const char*>(rc.inputs[0].data);
    std::size_t col = 0;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      auto* dst = static_cast<char*>(rc.outputs[i].data);
      if (dst != nullptr)  // an omitted output
        for (int64_t o = 0; o < outer; ++o)
          copy_bytes(dst + std::size_t(o) * blocks[i], src + std::size_t(o) * row + col, blocks[i]);
      col += blocks[i];
    }
  });
}

std::unique_ptr<OpKernel> create_where(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 3, 3);
  const TensorInfo& cond = input(ctx, 0, "condition", {DType::boolean});
  const TensorInfo& x = input(ctx, 1, "X");
  const TensorInfo& y = input(ctx, 2, "Y");
  if (x.dtype != y.dtype) fail(ctx, "X and Y must have the same type");
  const Dims dims = broadcast_dims(ctx, broadcast_dims(ctx, cond.dims, x.dims), y.dims);
  count_of(ctx, dims);
  out[0] = {x.dtype, dims};
  auto loop = broadcast_loop<4>(dims, {&cond.dims, &x.dims, &y.dims});
  const std::size_t elem = dtype_size(x.dtype);
  return std::make_unique<FnKernel>([loop = std::move(loop), elem](RunContext& rc) {
    dispatch_by_size(elem, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* o = rc.outputs[0].as<T>();
      const auto* c = rc.inputs[0].as<const uint8_t>();
      const T* a = rc.inputs[1].as<const T>();
      const T* b = rc.inputs[2].as<const T>();
      loop.for_each_row([&](const auto& off, int64_t n, const auto& st) {
        for (int64_t k = 0; k < n; ++k) {
          o[off[0] + k] = c[off[1] + k * st[1]] ? a[off[2] + k * st[2]] : b[off[3] + k * st[3]];
        }
      });
    });
  });
}

}  // namespace

void register_movement_kernels(KernelRegistry& r) {
  add(r, "", "Transpose", 1, 10000, create_transpose);
  add(r, "", "Slice", 1, 10000, create_slice);
  add(r, "", "Expand", 8, 10000, create_expand);
  add(r, "", "Tile", 6, 10000, create_tile);
  add(r, "", "Gather", 1, 10000, create_gather);
  add(r, "", "Concat", 1, 10000, create_concat);
  add(r, "", "Split", 1, 10000, create_split);
  add(r, "", "Where", 9, 10000, create_where);
}

}  // namespace normrt::rt::kern
