#include "onnx/writer.hpp"

#include <fstream>
#include <type_traits>

#include "normrt/error.hpp"
#include "onnx/proto_tensor.hpp"

namespace normrt::rt {

namespace {

void write_type(const Value& v, onnx::ValueInfoProto* vi) {
  vi->set_name(v.name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(v.dtype));
  if (v.shape) dims_to_proto(*v.shape, tt->mutable_shape());
}

void write_attribute(const std::string& name, const Attribute& attr, onnx::AttributeProto* a) {
  using A = onnx::AttributeProto;
  a->set_name(name);
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a->set_type(A::INT);
          a->set_i(x);
        } else if constexpr (std::is_same_v<T, float>) {
          a->set_type(A::FLOAT);
          a->set_f(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          a->set_type(A::STRING);
          a->set_s(x);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a->set_type(A::INTS);
          for (int64_t i : x) a->add_ints(i);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          a->set_type(A::FLOATS);
          for (float f : x) a->add_floats(f);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          a->set_type(A::STRINGS);
          for (const auto& s : x) a->add_strings(s);
        } else {
          a->set_type(A::TENSOR);
          tensor_to_proto(x, "", a->mutable_t());
        }
      },
      attr);
}

void write_node(const Node& n, onnx::NodeProto* np) {
  np->set_name(n.name);
  np->set_op_type(n.op_type);
  np->set_domain(n.domain);
  for (const Value* in : n.inputs) np->add_input(in ? in->name : std::string());
  for (const Value* out : n.outputs) np->add_output(out ? out->name : std::string());
  for (const auto& [name, attr] : n.attrs) write_attribute(name, attr, np->add_attribute());
}

}  // namespace

onnx::ModelProto model_from_graph(const Graph& graph) {
  onnx::ModelProto m;
  m.set_ir_version(onnx::IR_VERSION);
  m.set_producer_name("normrt");
  for (const auto& [domain, version] : graph.opset_imports) {
    auto* op = m.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name(graph.name.empty() ? "normrt" : graph.name);
  for (const Value* v : graph.inputs) write_type(*v, g->add_input());
  for (const Value* v : graph.outputs) write_type(*v, g->add_output());
  for (const auto& [name, v] : graph.values()) {
    if (v->constant) {
      if (!v->consumers.empty() || v->is_graph_output)
        tensor_to_proto(*v->constant, name, g->add_initializer());
    } else if (v->producer && !v->is_graph_output && v->dtype != DType::undefined) {
      write_type(*v, g->add_value_info());
    }
  }
  for (const auto& n : graph.nodes()) write_node(*n, g->add_node());
  return m;
}

std::string serialize_model(const Graph& graph) {
  std::string bytes;
  if (!model_from_graph(graph).SerializeToString(&bytes))
    throw Error("cannot serialize the model (larger than 2 GiB?)");
  return bytes;
}

void save_model(const Graph& graph, const std::string& path) {
  const std::string bytes = serialize_model(graph);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) throw Error("cannot write model file '" + path + "'");
}

}  // namespace normrt::rt
