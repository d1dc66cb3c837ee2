#include "onnx/safe_shape_inference.hpp"

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
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

void check_positive(onnx::InferenceContext& ctx, const char* name) {
  const onnx::AttributeProto* a = ctx.getAttribute(name);
  if (!a) return;
  for (int64_t v : a->ints())
    if (v < 1) fail_shape_inference("attribute '", name, "' has the value ", v, "; expected >= 1");
  if (a->type() == onnx::AttributeProto::INT && a->i() < 1)
    fail_shape_inference("attribute '", name, "' is ", a->i(), "; expected >= 1");
}

// Conv-family and pooling: the data and weight ranks, and the per-spatial-dim
// attributes, must agree before ONNX's inference indexes with them; strides,
// dilations, kernel sizes and groups of 0 make it divide by zero (SIGFPE,
// found by tests/fuzz).
void check_conv_pool(onnx::InferenceContext& ctx, bool has_weight) {
  for (const char* a : {"kernel_shape", "strides", "dilations", "group"}) check_positive(ctx, a);
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

// Gemm's inference indexes dims 0 and 1 of A and B: other ranks read past
// the shape (segfault, found by tests/fuzz).
void check_gemm(onnx::InferenceContext& ctx) {
  for (std::size_t i = 0; i < 2; ++i) {
    const int r = input_rank(ctx, i);
    if (r >= 0 && r != 2) fail_shape_inference("input ", i, " has rank ", r, "; Gemm needs rank 2");
  }
}

bool shape_unknown(const onnx::TypeProto& t) {
  if (!t.tensor_type().has_shape()) return true;
  for (const auto& d : t.tensor_type().shape().dim())
    if (d.has_dim_value() || d.has_dim_param()) return false;
  return true;
}

// Reshape to a computed target (PyTorch's GroupNorm: Reshape(t, Shape(x))):
// ONNX 1.12 leaves such outputs shapeless, and with them every value after
// the first GroupNorm, so no pass can match downstream. Data propagation
// knows the target's dims (values or symbols): the output takes them, a 0
// copying the input's dim (allowzero 0); a -1 or unknown dim stays unknown.
void reshape_from_symbolic_target(onnx::InferenceContext& ctx) {
  if (ctx.getNumInputs() < 2 || ctx.getNumOutputs() < 1 || ctx.getInputData(1)) return;
  const onnx::TensorShapeProto* target = ctx.getSymbolicInput(1);
  onnx::TypeProto* out = ctx.getOutputType(0);
  if (!target || !out || !shape_unknown(*out)) return;
  const onnx::AttributeProto* allowzero = ctx.getAttribute("allowzero");
  const bool copy_zero = !allowzero || allowzero->i() == 0;
  const onnx::TypeProto* in = ctx.getInputType(0);
  const onnx::TensorShapeProto* in_shape =
      in && in->tensor_type().has_shape() ? &in->tensor_type().shape() : nullptr;

  onnx::TensorShapeProto result;
  for (int i = 0; i < target->dim_size(); ++i) {
    const auto& d = target->dim(i);
    auto* o = result.add_dim();
    if (d.has_dim_param()) {
      o->set_dim_param(d.dim_param());
    } else if (d.has_dim_value() && d.dim_value() == 0 && copy_zero) {
      if (in_shape && i >= in_shape->dim_size())
        fail_shape_inference("target dim ", i, " is 0 but the input has rank ", in_shape->dim_size());
      if (in_shape) *o = in_shape->dim(i);
    } else if (d.has_dim_value() && d.dim_value() >= 0) {
      o->set_dim_value(d.dim_value());
    }
  }
  if (in && in->tensor_type().has_elem_type())
    out->mutable_tensor_type()->set_elem_type(in->tensor_type().elem_type());
  *out->mutable_tensor_type()->mutable_shape() = std::move(result);
}

const std::set<std::string>& conv_ops() {
  static const std::set<std::string> ops{"Conv", "ConvTranspose", "ConvInteger"};
  return ops;
}
const std::set<std::string>& pool_ops() {
  static const std::set<std::string> ops{"MaxPool", "AveragePool", "LpPool", "MaxRoiPool"};
  return ops;
}

// ONNX 1.12's inference functions dereference the type of every required
// input; one that has none (nothing defines it, it comes later or from a
// cycle, or its producer is an op ONNX does not know, e.g. a misspelt one)
// segfaults (found by tests/fuzz). Such a node is left uninferred: the
// loader's wiring checks and the session's op check name what is wrong.
bool required_inputs_typed(onnx::InferenceContext& ctx, const onnx::OpSchema& schema) {
  const auto& formals = schema.inputs();
  for (std::size_t i = 0; i < ctx.getNumInputs(); ++i) {
    if (ctx.getInputType(i)) continue;
    if (formals.empty()) return false;
    const auto& formal = formals[std::min(i, formals.size() - 1)];
    if (formal.GetOption() != onnx::OpSchema::Optional) return false;  // omitted is fine
  }
  return true;
}

// Serves copies of the ONNX schemas whose inference functions run the
// checks above first. Schemas are copied once per (op, version, domain).
class GuardedRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* real =
        onnx::OpSchemaRegistry::Instance()->GetSchema(key, max_version, domain);
    if (!real) return real;
    const bool onnx_domain = domain.empty() || domain == "ai.onnx";
    const bool conv = onnx_domain && conv_ops().count(key) != 0;
    const bool pool = onnx_domain && pool_ops().count(key) != 0;
    // Reshape with the shape as an input (opset 5+).
    const bool reshape = onnx_domain && key == "Reshape" && real->SinceVersion() >= 5;
    const bool gemm = onnx_domain && key == "Gemm";
    const bool infers = real->has_type_and_shape_inference_function();
    const bool propagates = real->has_data_propagation_function();
    if (!infers && !propagates) return real;
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = cache_[real];
    if (!slot) {
      slot = std::make_unique<onnx::OpSchema>(*real);
      onnx::InferenceFunction inner = real->GetTypeAndShapeInferenceFunction();
      if (infers) {
        auto guarded = [inner, real, conv, pool, gemm, reshape](onnx::InferenceContext& ctx) {
          if (!required_inputs_typed(ctx, *real)) return;
          if (conv || pool) check_conv_pool(ctx, conv);
          if (gemm) check_gemm(ctx);
          inner(ctx);
          if (reshape) reshape_from_symbolic_target(ctx);
        };
        slot->TypeAndShapeInferenceFunction(guarded);
      }
      // ONNX 1.12's data propagators crash on malformed models (a mutated
      // Unsqueeze/Concat shape chain segfaults): only a plain Shape
      // propagates, which is all reshape_from_symbolic_target needs.
      if (propagates) {
        onnx::DataPropagationFunction shape_only;
        if (key == "Shape")
          shape_only = [inner_prop = real->GetDataPropagationFunction()](
                           onnx::DataPropagationContext& ctx) {
            // It dereferences the input's type: an untyped or undefined input
            // segfaults (found by tests/fuzz, reproducers/untyped_graph_input.onnx).
            const onnx::TypeProto* t = ctx.getNumInputs() == 1 ? ctx.getInputType(0) : nullptr;
            if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return;
            if (!ctx.getAttribute("start") && !ctx.getAttribute("end")) inner_prop(ctx);
          };
        slot->PartialDataPropagationFunction(shape_only);
      }
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
  // Shape(x)'s value as x's dims, which reshape_from_symbolic_target reads.
  opts.enable_data_propagation = true;
  try {
    onnx::shape_inference::InferShapes(model, &registry, opts);
  } catch (const std::exception& e) {
    throw Error(std::string("shape inference found an inconsistency: ") + e.what());
  }
}

}  // namespace normrt::rt
