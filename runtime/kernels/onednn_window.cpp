#include "kernels/onednn_window.hpp"

#include <string>

#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

// Window numbers beyond this are no real model's: rejecting them keeps every
// product below in int64 range.
constexpr int64_t kMaxWindowValue = int64_t(1) << 30;

Dims per_axis(const PrepareContext& ctx, const char* attr, std::size_t spatial, int64_t fallback,
              int64_t min_value) {
  Dims v = ctx.node.attr_ints(attr, Dims(spatial, fallback));
  if (v.size() != spatial)
    kern::fail(ctx, std::string("attribute '") + attr + "' has " + std::to_string(v.size()) +
                        " values, expected " + std::to_string(spatial));
  for (int64_t x : v)
    if (x < min_value || x > kMaxWindowValue)
      kern::fail(ctx, std::string("attribute '") + attr + "' value " + std::to_string(x) +
                          " is out of range");
  return v;
}

// ONNX pads: [b_1..b_n, e_1..e_n].
void read_pads(const PrepareContext& ctx, std::size_t spatial, Window& w) {
  const Dims pads = ctx.node.attr_ints("pads", Dims(2 * spatial, 0));
  if (pads.size() != 2 * spatial)
    kern::fail(ctx, "attribute 'pads' has " + std::to_string(pads.size()) + " values, expected " +
                        std::to_string(2 * spatial));
  for (int64_t p : pads)
    if (p < 0 || p > kMaxWindowValue)
      kern::fail(ctx, "attribute 'pads' value " + std::to_string(p) + " is out of range");
  w.pad_begin.assign(pads.begin(), pads.begin() + spatial);
  w.pad_end.assign(pads.begin() + spatial, pads.end());
}

enum class AutoPad { notset, valid, same_upper, same_lower };

AutoPad read_auto_pad(const PrepareContext& ctx) {
  const std::string s = ctx.node.attr_string("auto_pad", "NOTSET");
  if (s == "NOTSET") return AutoPad::notset;
  if (s == "VALID") return AutoPad::valid;
  if (s == "SAME_UPPER") return AutoPad::same_upper;
  if (s == "SAME_LOWER") return AutoPad::same_lower;
  kern::fail(ctx, "attribute 'auto_pad' has unsupported value '" + s + "'");
}

// Splits `total` padding: SAME_UPPER puts the odd element at the end,
// SAME_LOWER at the beginning.
void split_padding(AutoPad mode, int64_t total, int64_t& begin, int64_t& end) {
  begin = mode == AutoPad::same_lower ? total - total / 2 : total / 2;
  end = total - begin;
}

void check_input(const PrepareContext& ctx, const Dims& in) {
  for (int64_t x : in)
    if (x < 1 || x > kMaxWindowValue)
      kern::fail(ctx, "spatial input size " + dims_string(in) + " is not supported");
}

const Dims& checked_kernel(const PrepareContext& ctx, const Dims& kernel) {
  for (int64_t k : kernel)
    if (k < 1 || k > kMaxWindowValue)
      kern::fail(ctx, "kernel size " + dims_string(kernel) + " is out of range");
  return kernel;
}

}  // namespace

Dims Window::dnnl_dilations() const {
  Dims d = dilations;
  for (int64_t& x : d) x -= 1;
  return d;
}

Dims kernel_shape(const PrepareContext& ctx, const Dims& from_weights, std::size_t spatial) {
  if (!ctx.node.has("kernel_shape")) {
    if (from_weights.empty()) kern::fail(ctx, "attribute 'kernel_shape' is required");
    return from_weights;
  }
  Dims k = per_axis(ctx, "kernel_shape", spatial, 1, 1);
  if (!from_weights.empty() && k != from_weights)
    kern::fail(ctx, "attribute 'kernel_shape' " + dims_string(k) +
                        " does not match the weight's spatial shape " + dims_string(from_weights));
  return k;
}

Window forward_window(const PrepareContext& ctx, const Dims& in, const Dims& kernel,
                      bool with_dilations, bool ceil_mode) {
  const std::size_t n = in.size();
  check_input(ctx, in);
  Window w;
  w.kernel = checked_kernel(ctx, kernel);
  w.strides = per_axis(ctx, "strides", n, 1, 1);
  w.dilations = with_dilations ? per_axis(ctx, "dilations", n, 1, 1) : Dims(n, 1);
  const AutoPad mode = read_auto_pad(ctx);
  if (mode == AutoPad::notset) {
    read_pads(ctx, n, w);
  } else {
    w.pad_begin.assign(n, 0);
    w.pad_end.assign(n, 0);
  }
  w.out.resize(n);
  for (std::size_t d = 0; d < n; ++d) {
    const int64_t s = w.strides[d];
    if (mode == AutoPad::same_upper || mode == AutoPad::same_lower) {
      w.out[d] = (in[d] + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (w.out[d] - 1) * s + w.extent(d) - in[d]);
      split_padding(mode, total, w.pad_begin[d], w.pad_end[d]);
      continue;
    }
    const int64_t span = in[d] + w.pad_begin[d] + w.pad_end[d] - w.extent(d);
    if (span < 0)
      kern::fail(ctx, "window " + dims_string(kernel) + " is larger than the padded input " +
                          dims_string(in));
    w.out[d] = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    // The last window must start inside the input or its begin padding.
    if (ceil_mode && (w.out[d] - 1) * s >= in[d] + w.pad_begin[d]) --w.out[d];
  }
  return w;
}

Window transpose_window(const PrepareContext& ctx, const Dims& in, const Dims& kernel) {
  const std::size_t n = in.size();
  check_input(ctx, in);
  Window w;
  w.kernel = checked_kernel(ctx, kernel);
  w.strides = per_axis(ctx, "strides", n, 1, 1);
  w.dilations = per_axis(ctx, "dilations", n, 1, 1);
  const Dims output_padding = per_axis(ctx, "output_padding", n, 0, 0);
  const AutoPad mode = read_auto_pad(ctx);
  read_pads(ctx, n, w);
  if (mode != AutoPad::notset) {
    w.pad_begin.assign(n, 0);
    w.pad_end.assign(n, 0);
  }
  // output_shape may list the spatial sizes only or the whole shape.
  Dims output_shape = ctx.node.attr_ints("output_shape");
  if (output_shape.size() == n + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != n)
    kern::fail(ctx, "attribute 'output_shape' " + dims_string(output_shape) + " does not have " +
                        std::to_string(n) + " spatial sizes");
  w.out.resize(n);
  for (std::size_t d = 0; d < n; ++d) {
    if (output_padding[d] >= std::max(w.strides[d], w.dilations[d]))
      kern::fail(ctx, "attribute 'output_padding' must be smaller than the stride or dilation");
    // Size of the full (unpadded) transposed convolution on this axis.
    const int64_t bare = (in[d] - 1) * w.strides[d] + w.extent(d);
    const int64_t full = bare + output_padding[d];
    if (!output_shape.empty()) {
      if (output_shape[d] < 1 || output_shape[d] > kMaxWindowValue)
        kern::fail(ctx, "attribute 'output_shape' " + dims_string(output_shape) + " is out of range");
      // An output_shape beyond the full size grows the end, like output_padding.
      const int64_t total = full - output_shape[d];
      if (total >= 0) split_padding(mode, total, w.pad_begin[d], w.pad_end[d]);
      else w.pad_begin[d] = 0;
      w.out[d] = output_shape[d];
    } else {
      if (mode == AutoPad::same_upper || mode == AutoPad::same_lower) {
        const int64_t total = std::max<int64_t>(0, full - in[d] * w.strides[d]);
        split_padding(mode, total, w.pad_begin[d], w.pad_end[d]);
      }
      w.out[d] = full - w.pad_begin[d] - w.pad_end[d];
    }
    if (w.out[d] < 1 || w.pad_begin[d] >= bare)
      kern::fail(ctx, "pads leave no output on spatial axis " + std::to_string(d));
    // oneDNN's end padding, relative to the output without output_padding;
    // negative when the output extends past the last tap.
    w.pad_end[d] = bare - w.pad_begin[d] - w.out[d];
  }
  return w;
}

}  // namespace normrt::rt::onednn
