#include "onnx/safe_shape_inference.hpp"

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/shape_inference/implementation.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>

#include "normrt/error.hpp"

namespace normrt::rt {

namespace {

int input_rank(onnx::InferenceContext& ctx, std::size_t i) {
  if (i >= ctx.getNumInputs()) return -1;
  const onnx::TypeProto* t = ctx.getInputType(i);
  if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return -1;
  return t->tensor_type().shape().dim_size();
}

void check_attr_length(onnx::InferenceContext& ctx, const char* name, int want) {
  const onnx::AttributeProto* a = ctx.getAttribute(name);
  if (a && a->ints_size() != want)
    fail_shape_inference("attribute '", name, "' has ", a->ints_size(), " values, expected ", want);
}

// Conv-family and pooling: the data and weight ranks, and the per-spatial-dim
// attributes, must agree before ONNX's inference indexes with them.
void check_conv_pool(onnx::InferenceContext& ctx, bool has_weight) {
  const int x = input_rank(ctx, 0);
  if (x < 0) return;
  if (x < 3) fail_shape_inference("input has rank ", x, "; expected at least 3 (N, C, spatial...)");
  if (has_weight) {
    const int w = input_rank(ctx, 1);
    if (w >= 0 && w != x)
      fail_shape_inference("weight has rank ", w, " but the input has rank ", x);
  }
  const int spatial = x - 2;
  for (const char* a : {"kernel_shape", "strides", "dilations", "output_padding"})
    check_attr_length(ctx, a, spatial);
  check_attr_length(ctx, "pads", 2 * spatial);
  const onnx::AttributeProto* os = ctx.getAttribute("output_shape");
  if (os && os->ints_size() != spatial && os->ints_size() != x)
    fail_shape_inference("attribute 'output_shape' has ", os->ints_size(), " values");
}

const std::set<std::string>& conv_ops() {
  static const std::set<std::string> ops{"Conv", "ConvTranspose", "ConvInteger"};
  return ops;
}
const std::set<std::string>& pool_ops() {
  static const std::set<std::string> ops{"MaxPool", "AveragePool", "LpPool", "MaxRoiPool"};
  return ops;
}

// Serves copies of the ONNX schemas whose inference functions run the
// checks above first. Schemas are copied once per (op, version, domain).
class GuardedRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* real =
        onnx::OpSchemaRegistry::Instance()->GetSchema(key, max_version, domain);
    if (!real || !(domain.empty() || domain == "ai.onnx")) return real;
    const bool conv = conv_ops().count(key) != 0;
    if (!conv && !pool_ops().count(key)) return real;
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = cache_[real];
    if (!slot) {
      slot = std::make_unique<onnx::OpSchema>(*real);
      onnx::InferenceFunction inner = real->GetTypeAndShapeInferenceFunction();
      slot->TypeAndShapeInferenceFunction([inner, conv](onnx::InferenceContext& ctx) {
        check_conv_pool(ctx, conv);
        if (inner) inner(ctx);
      });
    }
    return slot.get();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> cache_;
};

}  // namespace

void infer_shapes_safely(onnx::ModelProto& model) {
  static const GuardedRegistry registry;
  onnx::ShapeInferenceOptions opts;
  opts.check_type = false;
  opts.error_mode = 1;  // an inconsistent model is an error, not a silent skip
  try {
    onnx::shape_inference::InferShapes(model, &registry, opts);
  } catch (const std::exception& e) {
    throw Error(std::string("shape inference found an inconsistency: ") + e.what());
  }
}

}  // namespace normrt::rt
