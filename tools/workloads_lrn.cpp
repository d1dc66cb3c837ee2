// LRN across channels workloads.
#include "aligned_buffer.hpp"
#include "normrt/ops/lrn.hpp"
#include "workload_ops.hpp"

namespace normrt::workloads::detail {
namespace {

class LrnInstance final : public Instance {
 public:
  explicit LrnInstance(const Problem& p)
      : p_(p),
        x_(random_buffer(std::size_t(p.elements()), kInputSeed)),
        y_(std::size_t(p.elements())) {}

  void run(const ops::ExecOptions& exec) override {
    ops::LrnArgs a;
    set_tensor_geometry(a, p_, x_.data(), y_.data());
    a.size = p_.lrn_size;
    a.alpha = p_.lrn_alpha;
    a.beta = p_.lrn_beta;
    a.bias = p_.lrn_bias;
    ops::lrn(a, exec);
  }

 private:
  Problem p_;
  AlignedBuffer x_, y_;
};

}  // namespace

std::unique_ptr<Instance> prepare_lrn(const Problem& p) { return std::make_unique<LrnInstance>(p); }

}  // namespace normrt::workloads::detail
