// The transformer encoder block of `normrt demo` (BERT-style post-norm):
// LayerNorm written out the way exporters do before opset 17, after each
// residual Add, so norm fusion and the fused-residual kernel both apply.
#include <cmath>

#include "demo_builder.hpp"
#include "demo_models.hpp"

namespace normrt::cli::demo {
namespace {

constexpr int64_t kSeq = 128, kHidden = 256, kHeads = 4, kHeadDim = kHidden / kHeads, kFfn = 1024;

std::string reduce_mean_last(DemoBuilder& b, const std::string& x) {
  const std::string y = b.op("ReduceMean", {x}, "mean");
  rt::OnnxBuilder::attr_ints(b.last(), "axes", {-1});
  return y;
}

// (x - mean) / sqrt(mean((x - mean)^2) + eps) * gamma + beta.
std::string decomposed_layer_norm(DemoBuilder& b, const std::string& x) {
  const std::string d = b.op("Sub", {x, reduce_mean_last(b, x)}, "centered");
  const std::string var = reduce_mean_last(b, b.op("Pow", {d, b.scalar("two", 2.0f)}, "square"));
  const std::string rstd = b.op("Sqrt", {b.op("Add", {var, b.scalar("eps", 1e-5f)}, "var_eps")}, "std");
  const std::string n = b.op("Div", {d, rstd}, "normalized");
  const std::string scaled = b.op("Mul", {n, b.uniform("ln_gamma", {kHidden}, 0.5f, 1.5f)}, "ln_scaled");
  return b.op("Add", {scaled, b.uniform("ln_beta", {kHidden}, -0.2f, 0.2f)}, "ln");
}

// [1, seq, hidden] -> [1, heads, seq, head_dim], or [1, heads, head_dim, seq] for keys.
std::string split_heads(DemoBuilder& b, const std::string& x, bool keys) {
  const std::string r = b.op("Reshape", {x, b.int64s("heads_shape", {1, kSeq, kHeads, kHeadDim})}, "heads");
  const std::string t = b.op("Transpose", {r}, keys ? "keys_t" : "heads_t");
  rt::OnnxBuilder::attr_ints(b.last(), "perm", keys ? std::vector<int64_t>{0, 2, 3, 1}
                                                    : std::vector<int64_t>{0, 2, 1, 3});
  return t;
}

std::string attention(DemoBuilder& b, const std::string& x) {
  const std::string q = split_heads(b, b.linear(x, kHidden, kHidden), false);
  const std::string k = split_heads(b, b.linear(x, kHidden, kHidden), true);
  const std::string v = split_heads(b, b.linear(x, kHidden, kHidden), false);
  const std::string scores = b.op("Div", {b.op("MatMul", {q, k}, "qk"),
                                          b.scalar("sqrt_dh", float(std::sqrt(double(kHeadDim))))},
                                  "scores");
  const std::string p = b.op("Softmax", {scores}, "softmax");
  rt::OnnxBuilder::attr_int(b.last(), "axis", -1);
  const std::string merged = b.op("Transpose", {b.op("MatMul", {p, v}, "context")}, "merged_t");
  rt::OnnxBuilder::attr_ints(b.last(), "perm", {0, 2, 1, 3});
  const std::string flat = b.op("Reshape", {merged, b.int64s("seq_shape", {1, kSeq, kHidden})}, "merged");
  return b.linear(flat, kHidden, kHidden);
}

// 0.5 * x * (1 + erf(x / sqrt(2))), as torch.nn.GELU exports.
std::string gelu(DemoBuilder& b, const std::string& x) {
  const std::string e = b.op("Erf", {b.op("Div", {x, b.scalar("sqrt2", 1.41421356f)}, "gelu_div")}, "erf");
  const std::string one_plus = b.op("Add", {e, b.scalar("one", 1.0f)}, "gelu_add");
  return b.op("Mul", {b.op("Mul", {x, one_plus}, "gelu_mul"), b.scalar("half", 0.5f)}, "gelu");
}

}  // namespace

DemoModel build_transformer(uint32_t seed) {
  DemoBuilder b("demo_transformer", seed);
  b.onnx().input("tokens", {1, kSeq, kHidden});
  const std::string h = decomposed_layer_norm(b, b.op("Add", {"tokens", attention(b, "tokens")}, "residual"));
  const std::string mlp = b.linear(gelu(b, b.linear(h, kHidden, kFfn)), kFfn, kHidden);
  decomposed_layer_norm(b, b.op("Add", {h, mlp}, "residual"));
  b.graph_output("encoded");
  return {"transformer", "encoder block: attention, residual + LayerNorm, GELU MLP", b.bytes()};
}

}  // namespace normrt::cli::demo
