// BatchNorm inference workloads: the statistics are folded once at prepare
// time (as a runtime does), then batch_norm_apply is what gets timed.
#include "aligned_buffer.hpp"
#include "normrt/ops/batch_norm.hpp"
#include "workload_ops.hpp"

namespace normrt::workloads::detail {
namespace {

class BatchNormInstance final : public Instance {
 public:
  explicit BatchNormInstance(const Problem& p)
      : p_(p),
        x_(random_buffer(std::size_t(p.elements()), kInputSeed)),
        y_(std::size_t(p.elements())) {
    const auto c = std::size_t(p.c());
    const AlignedBuffer gamma = random_buffer(c, 11, 0.5f, 1.5f);
    const AlignedBuffer beta = random_buffer(c, 12);
    const AlignedBuffer mean = random_buffer(c, 13);
    const AlignedBuffer var = random_buffer(c, 14, 0.5f, 2.0f);
    ops::BatchNormParams params;
    params.channels = p.c();
    params.gamma = gamma.data();
    params.beta = beta.data();
    params.mean = mean.data();
    params.var = var.data();
    params.eps = p.eps;
    const ops::ChannelAffine affine = ops::fold_batch_norm(params);
    scale_ = affine.scale_f32();
    shift_ = affine.shift_f32();
  }

  void run(const ops::ExecOptions& exec) override {
    ops::BatchNormArgs a;
    set_tensor_geometry(a, p_, x_.data(), y_.data());
    a.scale = scale_.data();
    a.shift = shift_.data();
    a.act = p_.act;
    ops::batch_norm_apply(a, exec);
  }

 private:
  Problem p_;
  AlignedBuffer x_, y_;
  std::vector<float> scale_, shift_;
};

}  // namespace

std::unique_ptr<Instance> prepare_batch_norm(const Problem& p) {
  return std::make_unique<BatchNormInstance>(p);
}

}  // namespace normrt::workloads::detail
