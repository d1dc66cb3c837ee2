#pragma once
// Builds small ONNX models in memory with the protobuf API: tests (no model
// files checked in) and `normrt demo`. Header-only; the caller links
// onnx_proto (normrt_runtime does, publicly).
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace normrt::rt {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 17, int64_t ir_version = 8) {
    model_.set_ir_version(ir_version);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  // dims: >= 0 concrete, -1 unknown; symbols[i] non-empty names dim i.
  OnnxBuilder& input(const std::string& name, std::vector<int64_t> dims,
                     int32_t elem = onnx::TensorProto::FLOAT, std::vector<std::string> symbols = {}) {
    describe(model_.mutable_graph()->add_input(), name, dims, elem, symbols);
    return *this;
  }
  OnnxBuilder& output(const std::string& name, std::vector<int64_t> dims = {},
                      int32_t elem = onnx::TensorProto::FLOAT, bool with_shape = false) {
    auto* vi = model_.mutable_graph()->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
    if (with_shape) describe(vi, name, dims, elem, {});
    return *this;
  }
  OnnxBuilder& initializer(const std::string& name, std::vector<int64_t> dims,
                           std::vector<float> values) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return *this;
  }
  OnnxBuilder& initializer_i64(const std::string& name, std::vector<int64_t> dims,
                               std::vector<int64_t> values) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(int64_t));
    return *this;
  }
  // Returns the node so a test can add attributes.
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& name = "",
                        const std::string& domain = "") {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->set_domain(domain);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  static void attr_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr_float(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

  onnx::ModelProto& model() { return model_; }
  std::string bytes() const {
    std::string s;
    model_.SerializeToString(&s);
    return s;
  }

 private:
  static void describe(onnx::ValueInfoProto* vi, const std::string& name,
                       const std::vector<int64_t>& dims, int32_t elem,
                       const std::vector<std::string>& symbols) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* shape = tt->mutable_shape();
    for (std::size_t i = 0; i < dims.size(); ++i) {
      auto* d = shape->add_dim();
      if (i < symbols.size() && !symbols[i].empty()) d->set_dim_param(symbols[i]);
      else if (dims[i] >= 0) d->set_dim_value(dims[i]);
    }
  }

  onnx::ModelProto model_;
};

}  // namespace normrt::rt
