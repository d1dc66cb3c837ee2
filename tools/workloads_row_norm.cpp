// LayerNorm / RMSNorm workloads, with the optional fused residual, and
// LayerNorm over the channels of NCHW (dims [N, C, H, W]).
#include "aligned_buffer.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/rms_norm.hpp"
#include "workload_ops.hpp"

namespace normrt::workloads::detail {
namespace {

class RowNormInstance final : public Instance {
 public:
  explicit RowNormInstance(const Problem& p)
      : p_(p),
        x_(random_buffer(std::size_t(p.elements()), kInputSeed)),
        y_(std::size_t(p.elements())),
        gamma_(random_buffer(std::size_t(params(p)), 11, 0.5f, 1.5f)),
        beta_(random_buffer(std::size_t(params(p)), 12)) {
    if (p.skip) skip_ = random_buffer(std::size_t(p.elements()), 13);
  }

  void run(const ops::ExecOptions& exec) override {
    const float* skip = p_.skip ? skip_.data() : nullptr;
    if (over_channels(p_)) {
      ops::ChannelLayerNormArgs a;
      set_tensor_geometry(a, p_, x_.data(), y_.data());
      a.gamma = gamma_.data();
      a.beta = beta_.data();
      a.eps = p_.eps;
      ops::layer_norm_channels(a, exec);
    } else if (p_.op == OpKind::layer_norm) {
      ops::LayerNormArgs a;
      a.x = x_.data();
      a.y = y_.data();
      a.rows = p_.rows();
      a.cols = p_.cols();
      a.gamma = gamma_.data();
      a.beta = beta_.data();
      a.eps = p_.eps;
      a.skip = skip;
      ops::layer_norm(a, exec);
    } else {
      ops::RmsNormArgs a;
      a.x = x_.data();
      a.y = y_.data();
      a.rows = p_.rows();
      a.cols = p_.cols();
      a.gamma = gamma_.data();
      a.eps = p_.eps;
      a.skip = skip;
      ops::rms_norm(a, exec);
    }
  }

 private:
  static bool over_channels(const Problem& p) { return p.dims.size() > 2; }
  static int64_t params(const Problem& p) { return over_channels(p) ? p.c() : p.cols(); }

  Problem p_;
  AlignedBuffer x_, y_, gamma_, beta_, skip_;
};

}  // namespace

std::unique_ptr<Instance> prepare_row_norm(const Problem& p) {
  return std::make_unique<RowNormInstance>(p);
}

}  // namespace normrt::workloads::detail
