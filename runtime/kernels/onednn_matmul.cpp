// Gemm (alpha, beta, transA, transB, broadcast C), MatMul (numpy batched
// broadcasting, 1-D operands) and normrt.MatMul (MatMul with a fused bias,
// transposed B, scale and activation) on oneDNN's matmul primitive.
#include <cmath>
#include <utility>

#include "kernels/onednn_epilogue.hpp"
#include "kernels/onednn_kernels.hpp"
#include "kernels/onednn_weighted.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::onednn {
namespace {

std::unique_ptr<OpKernel> build_matmul(const PrepareContext& ctx, WeightedSetup s) {
  const WeightedSetup mds = s;  // the lambda runs after `s` has moved
  return make_weighted_kernel<dnnl::matmul>(
      ctx, std::move(s), [&](const dnnl::memory::desc& weights, const dnnl::primitive_attr& attr) {
        const dnnl::matmul::desc desc(mds.src, weights, mds.bias, mds.dst);
        return dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
      });
}

Dims left_pad(Dims d, std::size_t rank) {
  d.insert(d.begin(), rank - d.size(), 1);
  return d;
}

// Y = alpha * A' B' + beta * C. With alpha = beta = 1, C is matmul's
// (broadcast) bias; otherwise C is copied into Y and added by a sum post-op
// scaled by beta, after an eltwise_linear post-op scales A'B' by alpha.
std::unique_ptr<OpKernel> create_gemm(const PrepareContext& ctx, std::vector<TensorInfo>& outputs) {
  require_known_attrs(ctx, {"alpha", "beta", "transA", "transB", "broadcast"});
  kern::require_inputs(ctx, 2, 3);
  kern::require_outputs(ctx, 1, 1);
  const TensorInfo& a = kern::input(ctx, 0, "A", {DType::f32});
  const TensorInfo& b = kern::input(ctx, 1, "B", {DType::f32});
  if (a.dims.size() != 2 || b.dims.size() != 2)
    kern::fail(ctx, "inputs 'A' " + dims_string(a.dims) + " and 'B' " + dims_string(b.dims) + " must be 2-D");
  const bool trans_a = ctx.node.attr_int("transA", 0) != 0;
  const bool trans_b = ctx.node.attr_int("transB", 0) != 0;
  const float alpha = ctx.node.attr_float("alpha", 1.0f);
  const float beta = ctx.node.attr_float("beta", 1.0f);
  const int64_t m = trans_a ? a.dims[1] : a.dims[0], k = trans_a ? a.dims[0] : a.dims[1];
  const int64_t kb = trans_b ? b.dims[1] : b.dims[0], n = trans_b ? b.dims[0] : b.dims[1];
  if (k != kb)
    kern::fail(ctx, "inner dimensions of A " + dims_string(a.dims) + " and B " + dims_string(b.dims) +
                        " differ (transA=" + std::to_string(trans_a) + ", transB=" + std::to_string(trans_b) + ")");
  const Dims out_dims = {m, n};
  outputs[0] = TensorInfo{DType::f32, out_dims};

  WeightedSetup s;
  s.src = strided_desc({m, k}, trans_a ? Dims{1, m} : Dims{k, 1});
  s.weight_dims = {k, n};
  s.user_weights = strided_desc({k, n}, trans_b ? Dims{1, k} : Dims{n, 1});
  s.dst = plain_desc(out_dims);
  s.dst_dims = out_dims;
  const bool with_c = kern::has_input(ctx, 2) && beta != 0.0f;
  if (with_c) {
    const TensorInfo& c = kern::input(ctx, 2, "C", {DType::f32});
    if (c.dims.size() > 2 || !kern::broadcasts_to(c.dims, out_dims))
      kern::fail(ctx, "input 'C' " + dims_string(c.dims) + " does not broadcast to " + dims_string(out_dims));
    if (alpha == 1.0f && beta == 1.0f) {
      s.bias = plain_desc(left_pad(c.dims, 2));
      s.bias_input = 2;
    } else {
      s.prefill_input = 2;
      s.prefill_dims = c.dims;
    }
  }
  if (alpha != 1.0f) s.post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, alpha, 0.0f);
  if (s.prefill_input >= 0) s.post_ops.append_sum(beta);
  if (kern::count_of(ctx, out_dims) == 0) return empty_output_kernel();
  if (k == 0) kern::fail(ctx, "inner dimension 0 is not supported");
  return build_matmul(ctx, std::move(s));
}

// MatMul, and normrt.MatMul: the same with a fused epilogue (written by the
// matmul-fusion pass), Y = act(alpha * (A B' + bias)):
//   inputs   A, B, optional bias [N] (input 2)
//   transB   B is stored as [..., N, K] (a folded Transpose of its last two dims)
//   alpha    scale after the bias (a folded Div/Mul by a constant)
//   plus the activation attributes of kernels/onednn_epilogue.hpp.
std::unique_ptr<OpKernel> create_matmul(const PrepareContext& ctx, std::vector<TensorInfo>& outputs,
                                        bool fused) {
  if (fused) {
    require_known_attrs(ctx, {"transB", "alpha", NORMRT_EPILOGUE_ATTRS});
  } else {
    require_known_attrs(ctx, {});
  }
  kern::require_inputs(ctx, 2, fused ? 3 : 2);
  kern::require_outputs(ctx, 1, 1);
  const TensorInfo& a = kern::input(ctx, 0, "A", {DType::f32});
  const TensorInfo& b = kern::input(ctx, 1, "B", {DType::f32});
  if (a.dims.empty() || b.dims.empty()) kern::fail(ctx, "inputs must have rank >= 1");
  const bool trans_b = fused && ctx.node.attr_int("transB", 0) != 0;
  if (trans_b && b.dims.size() < 2)
    kern::fail(ctx, "transB needs input 'B' of rank >= 2, got " + dims_string(b.dims));
  // numpy: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; both unit dims
  // are dropped from the output.
  const Dims a2 = a.dims.size() == 1 ? Dims{1, a.dims[0]} : a.dims;
  Dims b2 = b.dims.size() == 1 ? Dims{b.dims[0], 1} : b.dims;
  if (trans_b) std::swap(b2[b2.size() - 1], b2[b2.size() - 2]);
  const int64_t m = a2[a2.size() - 2], k = a2.back(), n = b2.back();
  if (b2[b2.size() - 2] != k)
    kern::fail(ctx, "inner dimensions of A " + dims_string(a.dims) + " and B " + dims_string(b.dims) + " differ" +
                        (trans_b ? " (transB=1)" : ""));
  const Dims a_batch(a2.begin(), a2.end() - 2), b_batch(b2.begin(), b2.end() - 2);
  const Dims batch = kern::broadcast_dims(ctx, a_batch, b_batch);
  Dims out_dims = batch;
  if (a.dims.size() > 1) out_dims.push_back(m);
  if (b.dims.size() > 1) out_dims.push_back(n);
  outputs[0] = TensorInfo{DType::f32, out_dims};

  WeightedSetup s;
  const bool shared_b = kern::count_of(ctx, b_batch) == 1;
  std::size_t rank = 2;
  if (shared_b) {
    // One B for every batch (a Linear layer): fold A's batch into M, a
    // single 2-D product that oneDNN blocks best.
    const int64_t rows = kern::checked_mul(ctx, kern::count_of(ctx, a_batch), m);
    s.src = plain_desc({rows, k});
    s.weight_dims = {k, n};
    s.dst = plain_desc({rows, n});
  } else {
    rank = batch.size() + 2;
    if (rank > DNNL_MAX_NDIMS) kern::fail(ctx, "rank " + std::to_string(rank) + " is not supported");
    s.src = plain_desc(left_pad(a2, rank));
    s.weight_dims = left_pad(b2, rank);
    Dims dst = batch;
    dst.push_back(m);
    dst.push_back(n);
    s.dst = plain_desc(dst);
  }
  if (trans_b) {
    // Row-major strides of the stored [..., N, K], with the last two swapped.
    Dims stored = s.weight_dims;
    std::swap(stored[rank - 1], stored[rank - 2]);
    Dims strides = row_major_strides(stored);
    std::swap(strides[rank - 1], strides[rank - 2]);
    s.user_weights = strided_desc(s.weight_dims, strides);
  } else {
    s.user_weights = plain_desc(s.weight_dims);
  }
  s.dst_dims = out_dims;
  if (fused && kern::has_input(ctx, 2)) {
    const TensorInfo& bias = kern::input(ctx, 2, "bias", {DType::f32});
    if (bias.dims != Dims{n} || b.dims.size() < 2)
      kern::fail(ctx, "input 'bias' " + dims_string(bias.dims) + " must be [" + std::to_string(n) + "]");
    s.bias = plain_desc(left_pad(bias.dims, rank));
    s.bias_input = 2;
  }
  if (fused) {
    const float alpha = ctx.node.attr_float("alpha", 1.0f);
    if (!std::isfinite(alpha)) kern::fail(ctx, "attribute 'alpha' must be finite");
    if (alpha != 1.0f) s.post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, alpha, 0.0f);
    append_epilogue_post_ops(ctx, /*with_residual=*/false, s.post_ops);
  }
  if (kern::count_of(ctx, out_dims) == 0) return empty_output_kernel();
  if (k == 0) kern::fail(ctx, "inner dimension 0 is not supported");
  return build_matmul(ctx, std::move(s));
}

}  // namespace

void register_matmul(KernelRegistry& r) {
  kern::add(r, "", "Gemm", 1, 10000, create_gemm);
  kern::add(r, "", "MatMul", 1, 10000, [](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    return create_matmul(ctx, out, false);
  });
  kern::add(r, "normrt", "MatMul", 1, 10000, [](const PrepareContext& ctx, std::vector<TensorInfo>& out) {
    return create_matmul(ctx, out, true);
  });
}

}  // namespace normrt::rt::onednn
