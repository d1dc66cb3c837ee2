#pragma once
// Drives one runtime kernel without a loader or planner: a hand-built Node,
// the registered KernelDef's create with a PrepareContext, then run with a
// RunContext over freshly allocated outputs and scratch.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "kernels/builtin.hpp"
#include "normrt/error.hpp"

namespace normrt::rt::test {

template <class T>
Tensor make_tensor(DType t, const Dims& dims, const std::vector<T>& v) {
  Tensor x(t, dims);
  EXPECT_EQ(std::size_t(x.size()), v.size()) << "test data does not match " << dims_string(dims);
  if (!v.empty()) std::memcpy(x.data(), v.data(), v.size() * sizeof(T));
  return x;
}
inline Tensor f32(const Dims& dims, const std::vector<float>& v) { return make_tensor(DType::f32, dims, v); }
inline Tensor i64(const Dims& dims, const std::vector<int64_t>& v) { return make_tensor(DType::i64, dims, v); }
inline Tensor i32(const Dims& dims, const std::vector<int32_t>& v) { return make_tensor(DType::i32, dims, v); }
inline Tensor boolean(const Dims& dims, const std::vector<uint8_t>& v) {
  return make_tensor(DType::boolean, dims, v);
}

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.as<T>();
  return std::vector<T>(p, p + t.size());
}

struct KernelCase {
  KernelCase(std::string op_type, std::string op_domain = "", int op_opset = 17)
      : op(std::move(op_type)), domain(std::move(op_domain)), opset(op_opset) {}

  std::string op;
  std::string domain;
  int opset = 17;
  std::map<std::string, Attribute> attrs;
  std::vector<std::optional<Tensor>> inputs;  // nullopt: an omitted optional input
  std::vector<bool> known;                    // per input: value known at prepare (default: no)
  std::vector<bool> outputs{true};            // per output position: present?
  bool in_place = false;  // run with output 0 in input 0's buffer when the kernel allows it

  KernelCase& in(Tensor t, bool is_known = false) {
    inputs.emplace_back(std::move(t));
    known.push_back(is_known);
    return *this;
  }
  KernelCase& none() {
    inputs.emplace_back(std::nullopt);
    known.push_back(false);
    return *this;
  }
  KernelCase& attr(const std::string& name, Attribute a) {
    attrs[name] = std::move(a);
    return *this;
  }
  KernelCase& outs(std::vector<bool> present) {
    outputs = std::move(present);
    return *this;
  }
};

struct KernelResult {
  std::vector<TensorInfo> infos;
  std::vector<Tensor> outputs;  // empty Tensor for an omitted output
  int in_place_input = -1;
};

inline const KernelRegistry& test_registry() {
  static const KernelRegistry r = [] {
    KernelRegistry reg;
    register_norm_kernels(reg);
    register_tensor_kernels(reg);
    return reg;
  }();
  return r;
}

// Everything a prepared kernel refers to, kept alive together.
struct Prepared {
  Node node;
  std::vector<std::unique_ptr<Value>> values;
  std::vector<TensorInfo> infos;
  std::unique_ptr<OpKernel> kernel;
};

inline std::unique_ptr<Prepared> prepare(const KernelCase& c) {
  auto p = std::make_unique<Prepared>();
  p->node.name = "n1";
  p->node.op_type = c.op;
  p->node.domain = c.domain;
  p->node.opset = c.opset;
  p->node.attrs = c.attrs;
  for (std::size_t i = 0; i < c.outputs.size(); ++i) {
    if (!c.outputs[i]) {
      p->node.outputs.push_back(nullptr);
      continue;
    }
    p->values.push_back(std::make_unique<Value>());
    p->values.back()->name = "out" + std::to_string(i);
    p->node.outputs.push_back(p->values.back().get());
  }
  std::vector<TensorInfo> inputs;
  std::vector<const Tensor*> known;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    if (c.inputs[i]) inputs.push_back({c.inputs[i]->dtype(), c.inputs[i]->dims()});
    else inputs.push_back({});
    known.push_back(c.inputs[i] && c.known[i] ? &*c.inputs[i] : nullptr);
  }
  const KernelDef* def = test_registry().find(c.domain, c.op, c.opset);
  if (!def) throw Error("no kernel for " + c.domain + "." + c.op + "-" + std::to_string(c.opset));
  PrepareContext ctx{p->node, inputs, known, {}};
  p->kernel = def->create(ctx, p->infos);
  return p;
}

inline KernelResult run_kernel(const KernelCase& c) {
  auto p = prepare(c);
  KernelResult r;
  r.infos = p->infos;
  r.in_place_input = p->kernel->in_place_input(0);
  RunContext rc;
  std::vector<Tensor> inputs;  // private copies: in-place runs overwrite them
  for (const auto& t : c.inputs) {
    if (!t) {
      rc.inputs.push_back({});
      inputs.emplace_back();
      continue;
    }
    Tensor copy(t->dtype(), t->dims());
    if (t->bytes()) std::memcpy(copy.data(), t->data(), t->bytes());
    inputs.push_back(copy);
    rc.inputs.push_back({copy.data(), copy.dtype(), copy.dims()});
  }
  for (std::size_t i = 0; i < r.infos.size(); ++i) {
    const bool present = i < c.outputs.size() && c.outputs[i];
    r.outputs.push_back(present ? Tensor(r.infos[i].dtype, r.infos[i].dims) : Tensor());
    rc.outputs.push_back(present ? TensorView{r.outputs[i].data(), r.infos[i].dtype, r.infos[i].dims}
                                 : TensorView{});
  }
  const int alias = r.in_place_input;
  if (c.in_place && alias >= 0) {
    r.outputs[0] = inputs[std::size_t(alias)];  // shares the bytes
    rc.outputs[0].data = rc.inputs[std::size_t(alias)].data;
  }
  std::vector<char> scratch(p->kernel->scratch_bytes() + 64);
  rc.scratch = scratch.data() + (64 - reinterpret_cast<std::uintptr_t>(scratch.data()) % 64) % 64;
  p->kernel->run(rc);
  return r;
}

// The kernel must refuse the case with an Error naming node 'n1' and
// containing `needle`.
inline void expect_error(const KernelCase& c, const std::string& needle) {
  try {
    run_kernel(c);
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("node 'n1'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

}  // namespace normrt::rt::test
