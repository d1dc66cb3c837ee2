#include "onnx/loader.hpp"

#include <onnx/onnx_pb.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include "normrt/error.hpp"
#include "onnx/proto_tensor.hpp"
#include "onnx/safe_shape_inference.hpp"

namespace normrt::rt {

namespace {

std::string normalize_domain(const std::string& d) { return d == "ai.onnx" ? std::string() : d; }

// Declared type of a graph input/output or value_info entry.
struct DeclaredType {
  int32_t elem_type = 0;
  std::optional<std::vector<Dim>> shape;
};

class ModelReader {
 public:
  ModelReader(onnx::ModelProto& model, std::string model_dir)
      : model_(model), dir_(std::move(model_dir)) {}

  std::unique_ptr<Graph> read(const LoadOptions& options) {
    check_header();
    read_opsets();
    check_domains();
    if (options.infer_shapes) infer_shapes_safely(model_);
    const onnx::GraphProto& gp = model_.graph();
    graph_->name = gp.name();
    collect_declared_types(gp);
    read_initializers(gp);
    read_inputs(gp);
    read_nodes(gp);
    read_outputs(gp);
    graph_->topo_sort();
    return std::move(graph_);
  }

 private:
  void check_header() {
    if (!model_.has_graph())
      throw Error("no graph (is the file truncated or not an ONNX model?)");
    if (model_.ir_version() < 1 || model_.ir_version() > 100)
      throw Error("ir_version " + std::to_string(model_.ir_version()) +
                  " is not a valid ONNX IR version (is the file an ONNX model?)");
  }

  void read_opsets() {
    for (const auto& op : model_.opset_import()) {
      const std::string domain = normalize_domain(op.domain());
      if (domain.empty() && (op.version() < kMinOpset || op.version() > kMaxOpset))
        throw Error("default-domain opset " + std::to_string(op.version()) +
                    " is not supported (supported: " + std::to_string(kMinOpset) + " to " +
                    std::to_string(kMaxOpset) + ")");
      graph_->opset_imports[domain] = op.version();
    }
    // IR version 1-2 models have no opset_import: they mean opset 1.
    if (model_.opset_import_size() == 0) graph_->opset_imports[""] = 1;
  }

  // Before shape inference, whose message for this is less clear.
  void check_domains() const {
    const auto& nodes = model_.graph().node();
    for (int i = 0; i < nodes.size(); ++i) {
      const std::string domain = normalize_domain(nodes[i].domain());
      if (graph_->opset_imports.count(domain)) continue;
      Node n;
      n.name = nodes[i].name().empty() ? "#" + std::to_string(i) : nodes[i].name();
      n.op_type = nodes[i].op_type();
      n.domain = domain;
      throw Error(n.describe() + ": domain '" + domain + "' is not in the model's opset imports");
    }
  }

  static DeclaredType declared(const onnx::ValueInfoProto& vi) {
    DeclaredType t;
    if (vi.type().has_tensor_type()) {
      const auto& tt = vi.type().tensor_type();
      t.elem_type = tt.elem_type();
      if (tt.has_shape()) t.shape = dims_from_proto(tt.shape());
    }
    return t;
  }

  void collect_declared_types(const onnx::GraphProto& gp) {
    for (const auto& vi : gp.value_info()) declared_[vi.name()] = declared(vi);
    for (const auto& vi : gp.output()) declared_[vi.name()] = declared(vi);
  }

  // Sets dtype/shape from the declared type (value_info, outputs) if any.
  void apply_declared(Value* v) {
    auto it = declared_.find(v->name);
    if (it == declared_.end()) return;
    if (auto dt = dtype_from_onnx(it->second.elem_type)) v->dtype = *dt;
    if (it->second.shape) v->shape = it->second.shape;
  }

  static std::vector<Dim> concrete(const Dims& dims) {
    std::vector<Dim> out(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i) out[i].value = dims[i];
    return out;
  }

  Value* add_constant(const std::string& name, Tensor t, const std::string& what) {
    if (name.empty()) throw Error(what + ": has no name");
    if (graph_->find_value(name)) throw Error(what + ": name '" + name + "' is defined twice");
    Value* v = graph_->add_value(name);
    v->dtype = t.dtype();
    v->shape = concrete(t.dims());
    v->constant = std::move(t);
    return v;
  }

  void read_initializers(const onnx::GraphProto& gp) {
    for (const auto& init : gp.initializer()) {
      const std::string what = "initializer '" + init.name() + "'";
      add_constant(init.name(), tensor_from_proto(init, what, dir_), what);
    }
    if (gp.sparse_initializer_size() > 0)
      throw Error("initializer '" + gp.sparse_initializer(0).values().name() +
                  "': sparse initializers are not supported");
  }

  void read_inputs(const onnx::GraphProto& gp) {
    for (const auto& in : gp.input()) {
      const std::string what = "graph input '" + in.name() + "'";
      // IR < 4 lists initializers as inputs too: those stay constants.
      if (Value* existing = graph_->find_value(in.name())) {
        if (existing->constant) continue;
        throw Error(what + ": declared twice");
      }
      if (in.name().empty()) throw Error("graph input #" + std::to_string(graph_->inputs.size()) +
                                         ": has no name");
      if (!in.type().has_tensor_type())
        throw Error(what + ": only tensor inputs are supported");
      const DeclaredType t = declared(in);
      const auto dt = dtype_from_onnx(t.elem_type);
      if (!dt) throw Error(what + ": element type " + onnx_type_name(t.elem_type) +
                           " is not supported");
      Value* v = graph_->add_value(in.name());
      v->dtype = *dt;
      v->shape = t.shape;
      v->is_graph_input = true;
      graph_->inputs.push_back(v);
    }
  }

  Attribute read_attribute(const onnx::AttributeProto& a, const Node& node) {
    using A = onnx::AttributeProto;
    const std::string what = node.describe() + ": attribute '" + a.name() + "'";
    auto type = a.type();
    if (type == A::UNDEFINED) {  // old exporters leave the type out: infer it
      if (a.has_f()) type = A::FLOAT;
      else if (a.has_i()) type = A::INT;
      else if (a.has_s()) type = A::STRING;
      else if (a.has_t()) type = A::TENSOR;
      else if (a.floats_size()) type = A::FLOATS;
      else if (a.ints_size()) type = A::INTS;
      else if (a.strings_size()) type = A::STRINGS;
    }
    switch (type) {
      case A::FLOAT: return a.f();
      case A::INT: return a.i();
      case A::STRING: return a.s();
      case A::TENSOR: return tensor_from_proto(a.t(), what, dir_);
      case A::FLOATS: return std::vector<float>(a.floats().begin(), a.floats().end());
      case A::INTS: return std::vector<int64_t>(a.ints().begin(), a.ints().end());
      case A::STRINGS: return std::vector<std::string>(a.strings().begin(), a.strings().end());
      case A::GRAPH: case A::GRAPHS:
        throw Error(what + ": subgraph attributes (control flow) are not supported");
      default:
        throw Error(what + ": attribute type " + std::to_string(int(type)) + " is not supported");
    }
  }

  // A Constant node becomes a constant value (no node).
  void read_constant_node(const onnx::NodeProto& np, const Node& node) {
    if (np.output_size() != 1 || np.output(0).empty())
      throw Error(node.describe() + ": Constant must have exactly one output");
    if (np.attribute_size() != 1)
      throw Error(node.describe() + ": Constant must have exactly one value attribute");
    const auto& a = np.attribute(0);
    const std::string what = node.describe() + ": value";
    Tensor t;
    if (a.name() == "value") {
      t = tensor_from_proto(a.t(), what, dir_);
    } else if (a.name() == "value_float") {
      t = Tensor(DType::f32, {});
      *t.as<float>() = a.f();
    } else if (a.name() == "value_int") {
      t = Tensor(DType::i64, {});
      *t.as<int64_t>() = a.i();
    } else if (a.name() == "value_floats") {
      t = Tensor(DType::f32, {int64_t(a.floats_size())});
      std::copy(a.floats().begin(), a.floats().end(), t.as<float>());
    } else if (a.name() == "value_ints") {
      t = Tensor(DType::i64, {int64_t(a.ints_size())});
      std::copy(a.ints().begin(), a.ints().end(), t.as<int64_t>());
    } else {
      throw Error(node.describe() + ": Constant attribute '" + a.name() + "' is not supported");
    }
    add_constant(np.output(0), std::move(t), node.describe() + ": output '" + np.output(0) + "'");
  }

  void read_nodes(const onnx::GraphProto& gp) {
    // Pass 1: every node's outputs, so nodes may come in any order.
    std::vector<std::unique_ptr<Node>> nodes;
    std::vector<const onnx::NodeProto*> protos;
    for (int i = 0; i < gp.node_size(); ++i) {
      const auto& np = gp.node(i);
      auto node = std::make_unique<Node>();
      node->name = np.name();
      node->op_type = np.op_type();
      node->domain = normalize_domain(np.domain());
      if (node->name.empty() && np.output_size() == 0)
        node->name = "#" + std::to_string(i);  // describe() needs something to name
      if (np.op_type().empty()) throw Error("node #" + std::to_string(i) + ": has no op_type");
      node->opset = int(graph_->opset_imports.at(node->domain));  // checked by check_domains
      if (node->domain.empty() && node->op_type == "Constant") {
        read_constant_node(np, *node);
        continue;
      }
      for (const auto& out : np.output()) {
        if (out.empty()) {
          node->outputs.push_back(nullptr);
          continue;
        }
        if (graph_->find_value(out))
          throw Error(node->describe() + ": output '" + out + "' is already defined elsewhere");
        Value* v = graph_->add_value(out);
        apply_declared(v);
        node->outputs.push_back(v);
      }
      nodes.push_back(std::move(node));
      protos.push_back(&np);
    }
    // Pass 2: inputs and attributes, then link.
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      Node& node = *nodes[i];
      for (const auto& in : protos[i]->input()) {
        if (in.empty()) {
          node.inputs.push_back(nullptr);
          continue;
        }
        Value* v = graph_->find_value(in);
        if (!v)
          throw Error(node.describe() + ": input '" + in +
                      "' is not produced by any node, graph input or initializer "
                      "(missing initializer?)");
        node.inputs.push_back(v);
      }
      for (const auto& a : protos[i]->attribute()) {
        if (!a.ref_attr_name().empty())
          throw Error(node.describe() + ": attribute references (functions) are not supported");
        if (!node.attrs.emplace(a.name(), read_attribute(a, node)).second)
          throw Error(node.describe() + ": attribute '" + a.name() + "' is given twice");
      }
      graph_->add_node(std::move(nodes[i]));
    }
  }

  void read_outputs(const onnx::GraphProto& gp) {
    for (const auto& out : gp.output()) {
      Value* v = graph_->find_value(out.name());
      if (!v)
        throw Error("graph output '" + out.name() +
                    "' is not produced by any node, graph input or initializer");
      if (v->is_graph_output) throw Error("graph output '" + out.name() + "' is listed twice");
      v->is_graph_output = true;
      if (!v->constant && !v->is_graph_input) apply_declared(v);
      graph_->outputs.push_back(v);
    }
  }

  onnx::ModelProto& model_;
  std::string dir_;
  std::unique_ptr<Graph> graph_ = std::make_unique<Graph>();
  std::unordered_map<std::string, DeclaredType> declared_;
};

std::unique_ptr<Graph> parse_and_read(const void* data, std::size_t size,
                                      const std::string& model_dir, const LoadOptions& options,
                                      const std::string& source) {
  if (size > std::size_t(INT_MAX))
    throw Error(source + ": larger than 2 GiB; store the weights as external data");
  onnx::ModelProto model;
  if (size == 0 || !model.ParseFromArray(data, int(size)))
    throw Error(source + ": not a valid ONNX model (truncated or corrupt protobuf)");
  try {
    return ModelReader(model, model_dir).read(options);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
}

}  // namespace

std::unique_ptr<Graph> load_model_file(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open model file '" + path + "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("cannot read model file '" + path + "'");
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return parse_and_read(bytes.data(), bytes.size(), dir, options, "model '" + path + "'");
}

std::unique_ptr<Graph> load_model_buffer(const void* data, std::size_t size,
                                         const std::string& model_dir,
                                         const LoadOptions& options) {
  return parse_and_read(data, size, model_dir, options, "model");
}

}  // namespace normrt::rt
