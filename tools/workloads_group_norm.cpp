// GroupNorm (per-channel affine, opset 21) and InstanceNorm workloads.
#include "aligned_buffer.hpp"
#include "normrt/ops/group_norm.hpp"
#include "workload_ops.hpp"

namespace normrt::workloads::detail {
namespace {

class GroupNormInstance final : public Instance {
 public:
  explicit GroupNormInstance(const Problem& p)
      : p_(p),
        x_(random_buffer(std::size_t(p.elements()), kInputSeed)),
        y_(std::size_t(p.elements())),
        gamma_(random_buffer(std::size_t(p.c()), 11, 0.5f, 1.5f)),
        beta_(random_buffer(std::size_t(p.c()), 12)) {}

  void run(const ops::ExecOptions& exec) override {
    if (p_.op == OpKind::group_norm) {
      ops::GroupNormArgs a;
      fill_common(a);
      a.groups = p_.groups;
      a.affine = ops::GroupAffine::per_channel;
      ops::group_norm(a, exec);
    } else {
      ops::InstanceNormArgs a;
      fill_common(a);
      ops::instance_norm(a, exec);
    }
  }

 private:
  template <class Args>
  void fill_common(Args& a) {
    set_tensor_geometry(a, p_, x_.data(), y_.data());
    a.gamma = gamma_.data();
    a.beta = beta_.data();
    a.eps = p_.eps;
    a.act = p_.act;
  }

  Problem p_;
  AlignedBuffer x_, y_, gamma_, beta_;
};

}  // namespace

std::unique_ptr<Instance> prepare_group_norm(const Problem& p) {
  return std::make_unique<GroupNormInstance>(p);
}

}  // namespace normrt::workloads::detail
