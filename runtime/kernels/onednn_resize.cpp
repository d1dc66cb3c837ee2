// Resize (opset 10-21): nearest and (multi)linear interpolation over any
// axes, with the ONNX coordinate transformation and nearest rounding modes.
// oneDNN's resampling does not match every ONNX mode exactly, so this is a
// plain loop kernel over per-axis source tables (correctness first).
#include <algorithm>
#include <cmath>

#include "kernels/onednn_common.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

// Output coordinate o on one axis reads lo * w_lo + hi * w_hi (nearest: hi
// = lo, w_hi = 0).
struct Tap {
  int64_t lo = 0, hi = 0;
  float w_lo = 1.0f, w_hi = 0.0f;
};

enum class Mode { nearest, linear };

// Source coordinate of output coordinate `o` on an axis.
double source_coordinate(const PrepareContext& ctx, const std::string& transform, int64_t o,
                         double scale, int64_t in, int64_t out) {
  const double x = double(o);
  if (transform == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (transform == "asymmetric") return x / scale;
  if (transform == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (transform == "align_corners") return out == 1 ? 0.0 : x * double(in - 1) / double(out - 1);
  if (transform == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  kern::fail(ctx, "attribute 'coordinate_transformation_mode' has unsupported value '" + transform + "'");
}

int64_t nearest_index(const PrepareContext& ctx, const std::string& rounding, double x, double scale) {
  if (rounding == "round_prefer_floor")
    return x == std::floor(x) + 0.5 ? int64_t(std::floor(x)) : int64_t(std::round(x));
  if (rounding == "round_prefer_ceil") return int64_t(std::round(x));
  if (rounding == "floor") return int64_t(std::floor(x));
  if (rounding == "ceil") return int64_t(std::ceil(x));
  if (rounding == "simple")  // Resize-10 / Upsample: ceil when downsampling
    return scale < 1.0 ? int64_t(std::ceil(x)) : int64_t(x);
  kern::fail(ctx, "attribute 'nearest_mode' has unsupported value '" + rounding + "'");
}

std::vector<Tap> axis_taps(const PrepareContext& ctx, Mode mode, const std::string& transform,
                           const std::string& rounding, double scale, int64_t in, int64_t out) {
  std::vector<Tap> taps(static_cast<std::size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const double x = source_coordinate(ctx, transform, o, scale, in, out);
    Tap& t = taps[std::size_t(o)];
    if (mode == Mode::nearest) {
      t.lo = t.hi = std::clamp<int64_t>(nearest_index(ctx, rounding, x, scale), 0, in - 1);
      continue;
    }
    const double c = std::clamp(x, 0.0, double(in - 1));
    t.lo = int64_t(c);
    t.hi = std::min(t.lo + 1, in - 1);
    t.w_hi = float(c - double(t.lo));
    t.w_lo = 1.0f - t.w_hi;
  }
  return taps;
}

class ResizeKernel final : public OpKernel {
 public:
  ResizeKernel(Dims in, Dims out, std::vector<std::vector<Tap>> taps)
      : in_(std::move(in)), out_(std::move(out)), taps_(std::move(taps)),
        in_strides_(row_major_strides(in_)) {}

  void run(RunContext& ctx) const override {
    const float* x = ctx.inputs[0].as<float>();
    float* y = ctx.outputs[0].as<float>();
    const std::size_t last = out_.size() - 1;
    const std::vector<Tap>& row_taps = taps_[last];
    const int64_t width = out_[last];
    const int64_t rows = ctx.outputs[0].size() / width;
    std::vector<int64_t> index(last, 0);
    std::vector<std::pair<int64_t, float>> corners;
    for (int64_t r = 0; r < rows; ++r) {
      // Source rows (offset, weight) of this output row: one per corner of
      // the outer axes that interpolate.
      corners.assign(1, {0, 1.0f});
      for (std::size_t d = 0; d < last; ++d) {
        const Tap& t = taps_[d][std::size_t(index[d])];
        const std::size_t n = corners.size();
        for (std::size_t c = 0; c < n; ++c) {
          if (t.w_hi != 0.0f)
            corners.push_back({corners[c].first + t.hi * in_strides_[d], corners[c].second * t.w_hi});
          corners[c] = {corners[c].first + t.lo * in_strides_[d], corners[c].second * t.w_lo};
        }
      }
      for (int64_t o = 0; o < width; ++o) {
        const Tap& t = row_taps[std::size_t(o)];
        float acc = 0.0f;
        for (const auto& [offset, weight] : corners)
          acc += weight * (t.w_lo * x[offset + t.lo] + (t.w_hi != 0.0f ? t.w_hi * x[offset + t.hi] : 0.0f));
        y[r * width + o] = acc;
      }
      for (std::size_t d = last; d-- > 0;) {
        if (++index[d] < out_[d]) break;
        index[d] = 0;
      }
    }
  }

 private:
  Dims in_, out_;
  std::vector<std::vector<Tap>> taps_;
  Dims in_strides_;
};

// A float or int list input known at prepare time (empty when omitted).
std::vector<double> known_numbers(const PrepareContext& ctx, std::size_t i, const char* what) {
  if (!kern::has_input(ctx, i)) return {};
  const Tensor* t = kern::known(ctx, i);
  if (!t) kern::fail(ctx, std::string("input '") + what + "' must be known when the model is prepared");
  std::vector<double> v;
  for (int64_t k = 0; k < t->size(); ++k) {
    switch (t->dtype()) {
      case DType::f32: v.push_back(double(t->as<float>()[k])); break;
      case DType::i64: v.push_back(double(t->as<int64_t>()[k])); break;
      default: kern::fail(ctx, std::string("input '") + what + "' has unsupported type " + dtype_name(t->dtype()));
    }
  }
  return v;
}

std::unique_ptr<OpKernel> create_resize(const PrepareContext& ctx, std::vector<TensorInfo>& outputs) {
  require_known_attrs(ctx, {"antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a",
                            "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy",
                            "mode", "nearest_mode"});
  const int opset = ctx.node.opset;
  kern::require_inputs(ctx, 2, opset < 11 ? 2 : 4);
  kern::require_outputs(ctx, 1, 1);
  const TensorInfo& x = kern::input(ctx, 0, "X", {DType::f32});
  const std::size_t rank = x.dims.size();
  if (rank == 0) kern::fail(ctx, "input 'X' must have rank >= 1");

  const std::string mode_name = ctx.node.attr_string("mode", "nearest");
  if (mode_name != "nearest" && mode_name != "linear")
    kern::fail(ctx, "attribute 'mode' value '" + mode_name + "' is not supported (nearest, linear)");
  const Mode mode = mode_name == "nearest" ? Mode::nearest : Mode::linear;
  if (ctx.node.attr_int("antialias", 0) != 0) kern::fail(ctx, "attribute 'antialias' is not supported");
  const std::string transform =
      opset < 11 ? "asymmetric" : ctx.node.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string rounding =
      opset < 11 ? "simple" : ctx.node.attr_string("nearest_mode", "round_prefer_floor");

  // The axes that scales/sizes describe (all, unless opset 18's `axes`).
  std::vector<int64_t> axes(rank);
  for (std::size_t d = 0; d < rank; ++d) axes[d] = int64_t(d);
  if (ctx.node.has("axes")) axes = kern::normalize_axes(ctx, ctx.node.attr_ints("axes"), int64_t(rank), "axes");

  std::vector<double> scales = known_numbers(ctx, opset < 11 ? 1 : 2, "scales");
  const std::vector<double> sizes = opset < 11 ? std::vector<double>{} : known_numbers(ctx, 3, "sizes");
  if (scales.empty() == sizes.empty())
    kern::fail(ctx, "exactly one of the inputs 'scales' and 'sizes' must be given");
  const std::vector<double>& given = scales.empty() ? sizes : scales;
  if (given.size() != axes.size())
    kern::fail(ctx, "'" + std::string(scales.empty() ? "sizes" : "scales") + "' has " +
                        std::to_string(given.size()) + " values, expected " + std::to_string(axes.size()));

  std::vector<double> scale(rank, 1.0);
  Dims out_dims = x.dims;
  if (!scales.empty()) {
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const std::size_t d = std::size_t(axes[i]);
      if (!(scales[i] > 0.0) || scales[i] > 1e6)
        kern::fail(ctx, "scale " + std::to_string(scales[i]) + " is out of range");
      scale[d] = scales[i];
      out_dims[d] = int64_t(std::floor(double(x.dims[d]) * scales[i]));
    }
  } else {
    const std::string policy = ctx.node.attr_string("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
      kern::fail(ctx, "attribute 'keep_aspect_ratio_policy' has unsupported value '" + policy + "'");
    double common = policy == "not_larger" ? 1e300 : 0.0;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const std::size_t d = std::size_t(axes[i]);
      if (sizes[i] < 0 || sizes[i] > double(int64_t(1) << 40) || x.dims[d] == 0)
        kern::fail(ctx, "size " + std::to_string(int64_t(sizes[i])) + " is out of range");
      scale[d] = sizes[i] / double(x.dims[d]);
      out_dims[d] = int64_t(sizes[i]);
      common = policy == "not_larger" ? std::min(common, scale[d]) : std::max(common, scale[d]);
    }
    if (policy != "stretch") {
      for (int64_t a : axes) {
        const std::size_t d = std::size_t(a);
        scale[d] = common;
        out_dims[d] = int64_t(std::round(common * double(x.dims[d])));
      }
    }
  }
  outputs[0] = TensorInfo{DType::f32, out_dims};
  if (kern::count_of(ctx, out_dims) == 0 || kern::count_of(ctx, x.dims) == 0) {
    if (kern::count_of(ctx, out_dims) != 0) kern::fail(ctx, "cannot resize an empty input to a non-empty output");
    return empty_output_kernel();
  }
  std::vector<std::vector<Tap>> taps;
  for (std::size_t d = 0; d < rank; ++d)
    taps.push_back(axis_taps(ctx, mode, transform, rounding, scale[d], x.dims[d], out_dims[d]));
  return std::make_unique<ResizeKernel>(x.dims, out_dims, std::move(taps));
}

}  // namespace

void register_resize(KernelRegistry& r) { kern::add(r, "", "Resize", 10, 10000, create_resize); }

}  // namespace normrt::rt::onednn
