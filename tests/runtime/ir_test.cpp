// The IR: values, use lists, topological order, rewrites, attribute access.
#include <gtest/gtest.h>

#include "ir/graph.hpp"
#include "normrt/error.hpp"

namespace normrt::rt {
namespace {

Node* add(Graph& g, const std::string& name, const std::string& op,
          std::vector<Value*> in, std::vector<Value*> out) {
  auto n = std::make_unique<Node>();
  n->name = name;
  n->op_type = op;
  n->inputs = std::move(in);
  n->outputs = std::move(out);
  return g.add_node(std::move(n));
}

TEST(Tensor, ElementCountChecksOverflowAndNegativeDims) {
  EXPECT_EQ(element_count({2, 3, 4}, "x"), 24);
  EXPECT_EQ(element_count({}, "x"), 1);
  EXPECT_EQ(element_count({0, 7}, "x"), 0);
  EXPECT_THROW(element_count({int64_t(1) << 40, int64_t(1) << 40}, "x"), Error);
  EXPECT_THROW(element_count({-1, 3}, "x"), Error);
}

TEST(Tensor, IsAlignedZeroFilledAndShared) {
  Tensor t(DType::f32, {3, 5});
  EXPECT_EQ(t.size(), 15);
  EXPECT_EQ(t.bytes(), 60u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(t.as<float>()[i], 0.0f);
  Tensor alias = t;
  alias.as<float>()[3] = 2.0f;
  EXPECT_EQ(t.as<float>()[3], 2.0f);
  EXPECT_THROW(Tensor(DType::f32, {int64_t(1) << 62}), Error);
}

TEST(Graph, TopoSortOrdersAndDetectsCycles) {
  Graph g;
  Value* x = g.add_value("x");
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  x->is_graph_input = true;
  add(g, "second", "Relu", {a}, {b});
  add(g, "first", "Relu", {x}, {a});
  g.topo_sort();
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0]->name, "first");
  EXPECT_EQ(g.nodes()[1]->name, "second");
  EXPECT_EQ(a->consumers.size(), 1u);
  EXPECT_EQ(a->producer, g.nodes()[0].get());

  Graph cyc;
  Value* p = cyc.add_value("p");
  Value* q = cyc.add_value("q");
  add(cyc, "n1", "Relu", {q}, {p});
  add(cyc, "n2", "Relu", {p}, {q});
  try {
    cyc.topo_sort();
    FAIL() << "cycle not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("node 'n"), std::string::npos) << e.what();
  }
}

TEST(Graph, DuplicateValuesAndProducersAreErrors) {
  Graph g;
  Value* x = g.add_value("x");
  EXPECT_THROW(g.add_value("x"), Error);
  Value* y = g.add_value("y");
  add(g, "a", "Relu", {x}, {y});
  EXPECT_THROW(add(g, "b", "Relu", {x}, {y}), Error);
}

TEST(Graph, ReplaceUsesKeepsGraphOutputName) {
  Graph g;
  Value* x = g.add_value("x");
  x->is_graph_input = true;
  g.inputs.push_back(x);
  Value* y = g.add_value("y");
  Value* z = g.add_value("z");
  Node* id = add(g, "id", "Identity", {x}, {y});
  add(g, "relu", "Relu", {x}, {z});
  y->is_graph_output = true;
  g.outputs.push_back(y);
  g.replace_uses(y, z);
  g.remove_node(id);
  g.remove_dead_values();
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0], z);
  EXPECT_EQ(z->name, "y");
  EXPECT_EQ(g.find_value("y"), z);
  EXPECT_TRUE(z->is_graph_output);
  EXPECT_EQ(x->consumers.size(), 1u);  // only relu remains
  EXPECT_EQ(g.find_value("z"), nullptr);
}

TEST(Node, AttributesAreTypedAndNamed) {
  Node n;
  n.name = "bn";
  n.op_type = "BatchNormalization";
  n.attrs["epsilon"] = 1e-3f;
  n.attrs["axes"] = std::vector<int64_t>{1, 2};
  n.attrs["mode"] = std::string("x");
  EXPECT_FLOAT_EQ(n.attr_float("epsilon", 1e-5f), 1e-3f);
  EXPECT_FLOAT_EQ(n.attr_float("momentum", 0.9f), 0.9f);
  EXPECT_EQ(n.attr_ints("axes"), (std::vector<int64_t>{1, 2}));
  try {
    n.attr_int("mode", 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'bn' (BatchNormalization)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'mode'"), std::string::npos);
  }
  Node unnamed;
  unnamed.op_type = "Conv";
  EXPECT_EQ(unnamed.describe(), "unnamed node (Conv)");
}

}  // namespace
}  // namespace normrt::rt
