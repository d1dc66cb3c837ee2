// Real exported models (tests/models/export_models.py: ResNet, MobileNetV2,
// transformer encoder at opsets 17 and 14, GroupNorm UNet block, LLaMA-style
// RMSNorm block) against PyTorch's outputs: with the graph passes on and
// off, on every ISA, after `normrt fold`, and with another batch size where
// the batch dimension is symbolic. The pass checks prove that every
// BatchNorm was folded and every decomposed norm fused, counted against the
// norm modules of the PyTorch model.
//
// Tolerance: rtol 1e-4, atol 1e-5, like ONNX Runtime's test runner. PyTorch
// and normrt/oneDNN sum the same fp32 products in different orders (conv and
// GEMM blocking, norm statistics in double) and folding rounds scale * W once
// more; measured max |diff| over all models and ISAs is 2e-6 on outputs up to
// ~10, so this leaves a 5x margin while a real error (a wrong eps, a missed
// mean, a swapped channel) shows at >= 1e-3.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "exported_model.hpp"
#include "ir/graph.hpp"
#include "normrt/runtime/session.hpp"
#include "passes/fold_model.hpp"

namespace normrt::models {
namespace {

constexpr double kRtol = 1e-4, kAtol = 1e-5;

// Runs `model_path` on the PyTorch inputs of `m` and compares every output.
void expect_matches_pytorch(const ExportedModel& m, const std::string& model_path,
                            const SessionOptions& options, const std::string& what) {
  const Session s = Session::load(model_path, options);
  const rt::TestDataSet ref = m.reference(s.input_names());
  const std::vector<rt::Tensor> got = s.run(ref.inputs);
  ASSERT_EQ(got.size(), ref.expected.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(rt::compare_tensors(got[i], ref.expected[i], what + " output " + s.output_names()[i],
                                  kRtol, kAtol),
              "");
}

int count_ops(const rt::Graph& g, const std::vector<std::string>& op_types) {
  int n = 0;
  for (const auto& node : g.nodes())
    for (const std::string& op : op_types) n += node->op_type == op;
  return n;
}

// --- per model and ISA -----------------------------------------------------

class ModelOnIsa : public ::testing::TestWithParam<std::tuple<std::string, Isa>> {
 protected:
  void SetUp() override {
    const std::string why = isa_unavailable_reason(isa());
    if (!why.empty()) GTEST_SKIP() << isa_name(isa()) << ": " << why;
    bool allowed = false;
    for (Isa s : supported_isas()) allowed = allowed || s == isa();
    if (!allowed) GTEST_SKIP() << isa_name(isa()) << " is above the NORMRT_ISA cap";
  }
  const std::string& name() const { return std::get<0>(GetParam()); }
  Isa isa() const { return std::get<1>(GetParam()); }
  SessionOptions options(bool optimize, int threads) const {
    SessionOptions o;
    o.isa = isa();
    o.optimize = optimize;
    o.threads = threads;
    return o;
  }
};

TEST_P(ModelOnIsa, OptimizedMatchesPyTorch) {
  const ExportedModel m = load_exported_model(name());
  // Two threads: the split reductions and parallel kernels take part.
  expect_matches_pytorch(m, m.model_path, options(true, 2), name() + " optimized, 2 threads");
}

TEST_P(ModelOnIsa, UnoptimizedMatchesPyTorch) {
  const ExportedModel m = load_exported_model(name());
  expect_matches_pytorch(m, m.model_path, options(false, 1), name() + " unoptimized");
}

// Names end in the ISA (".../avx2") like every ISA-parameterized test, so
// scripts/test.sh counts them per ISA; the prefix names the model.
#define NORMRT_MODEL_ISA_TESTS(model)                                                         \
  INSTANTIATE_TEST_SUITE_P(model, ModelOnIsa,                                                \
                           ::testing::Combine(::testing::Values(std::string(#model)),        \
                                              ::testing::ValuesIn(compiled_isas())),         \
                           [](const auto& p) { return isa_name(std::get<1>(p.param)); })
NORMRT_MODEL_ISA_TESTS(resnet);
NORMRT_MODEL_ISA_TESTS(mobilenet_v2);
NORMRT_MODEL_ISA_TESTS(transformer_opset17);
NORMRT_MODEL_ISA_TESTS(transformer_opset14);
NORMRT_MODEL_ISA_TESTS(unet_block);
NORMRT_MODEL_ISA_TESTS(rmsnorm_block);

// The instantiations above spell the model names out: every model must have one.
TEST(ExportedModels, EveryModelHasIsaTests) {
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (const std::string& name : model_names()) {
    bool found = false;
    for (int i = 0; i < unit.total_test_suite_count(); ++i)
      found = found || unit.GetTestSuite(i)->name() == name + "/ModelOnIsa";
    EXPECT_TRUE(found) << "no NORMRT_MODEL_ISA_TESTS(" << name << ")";
  }
}

// --- per model -------------------------------------------------------------

class Model : public ::testing::TestWithParam<std::string> {};

// Session's passes: every BN folded into its conv, every decomposed norm
// fused into one op, every GroupNorm + SiLU into one op with an epilogue.
TEST_P(Model, PassesFoldAndFuseEveryNorm) {
  const ExportedModel m = load_exported_model(GetParam());
  const Session s = Session::load(m.model_path);
  const std::string report = s.pass_report();
  const rt::Graph& g = s.graph();
  SCOPED_TRACE(report);

  const int bns = m.expected("batch_norms");
  EXPECT_EQ(report_count(report, "bn-fold"), bns);
  EXPECT_EQ(report_count(report, "bn-left"), 0);
  EXPECT_EQ(count_ops(g, {"BatchNormalization", "ChannelAffine"}), 0);

  const int lns = m.expected("layer_norms");
  EXPECT_EQ(count_ops(g, {"LayerNormalization", "SkipLayerNormalization"}), lns);
  // Below opset 17 LayerNorm only exists decomposed: each one had to be fused.
  if (m.opset < 17) {
    EXPECT_EQ(report_count(report, "layer-norm-fusion"), lns);
  }

  const int rms = m.expected("rms_norms");
  EXPECT_EQ(report_count(report, "rms-norm-fusion"), rms);
  EXPECT_EQ(count_ops(g, {"RMSNormalization", "SimplifiedLayerNormalization",
                          "SkipSimplifiedLayerNormalization"}),
            rms);

  const int gns = m.expected("group_norms");
  EXPECT_EQ(report_count(report, "group-norm-fusion"), gns);
  EXPECT_EQ(count_ops(g, {"GroupNormalization"}), gns);
  int gn_silu = 0;
  for (const auto& node : g.nodes())
    gn_silu += node->op_type == "GroupNormalization" && node->attr_string("activation", "") == "silu";
  EXPECT_EQ(gn_silu, m.expected("group_norms_silu"));

  // Nothing of a decomposed norm is left over.
  if (lns + rms + gns > 0) {
    EXPECT_EQ(count_ops(g, {"ReduceMean", "Pow", "Sqrt", "InstanceNormalization"}), 0);
  }
  if (gns > 0) {
    EXPECT_EQ(count_ops(g, {"Sigmoid"}), 0);
  }
}

// `normrt fold`: the checker passes (fold_model runs it), every BN is folded
// and gone from the written model, which matches PyTorch with and without
// normrt's own passes.
TEST_P(Model, FoldedModelMatchesPyTorch) {
  const ExportedModel m = load_exported_model(GetParam());
  const std::string out = std::string(NORMRT_MODELS_DIR) + "/" + m.name + ".folded.onnx";
  const rt::FoldModelResult r = rt::fold_model(m.model_path, out);
  SCOPED_TRACE(r.report.str());
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(int(r.report.count("bn-fold")), m.expected("batch_norms"));
  EXPECT_EQ(r.report.count("bn-left"), 0u);
  EXPECT_EQ(r.nodes_before - r.nodes_after >= std::size_t(m.expected("batch_norms")), true);

  SessionOptions plain;
  plain.optimize = false;
  const Session folded = Session::load(out, plain);
  EXPECT_EQ(count_ops(folded.graph(), {"BatchNormalization"}), 0);
  expect_matches_pytorch(m, out, plain, m.name + " folded, unoptimized");
  expect_matches_pytorch(m, out, {}, m.name + " folded, optimized");
  std::filesystem::remove(out);
}

INSTANTIATE_TEST_SUITE_P(Models, Model, ::testing::ValuesIn(model_names()),
                         [](const auto& p) { return p.param; });

// --- symbolic batch --------------------------------------------------------

// The first sample of a batch-major tensor.
rt::Tensor first_sample(const rt::Tensor& t) {
  rt::Dims dims = t.dims();
  dims[0] = 1;
  rt::Tensor s(t.dtype(), dims);
  std::memcpy(s.data(), t.data(), s.bytes());
  return s;
}

// Models exported with a symbolic batch run at batch 1 too (a second
// execution plan) and give the first sample of PyTorch's batch-2 outputs:
// every model here treats samples independently.
TEST(ExportedModels, SymbolicBatchRunsAnotherBatchSize) {
  int symbolic = 0;
  for (const std::string& name : model_names()) {
    const ExportedModel m = load_exported_model(name);
    const Session s = Session::load(m.model_path);
    if (s.inputs()[0].symbols.empty() || s.inputs()[0].symbols[0] != "batch") continue;
    ++symbolic;
    const rt::TestDataSet ref = m.reference(s.input_names());
    const auto batch2 = s.run(ref.inputs);  // plan for batch 2 first, then batch 1
    const auto batch1 = s.run({{ref.inputs[0].first, first_sample(ref.inputs[0].second)}});
    ASSERT_EQ(batch1.size(), ref.expected.size());
    for (std::size_t i = 0; i < batch1.size(); ++i) {
      EXPECT_EQ(batch1[i].dims()[0], 1) << name;
      EXPECT_EQ(rt::compare_tensors(batch2[i], ref.expected[i], name + " batch 2", kRtol, kAtol), "");
      EXPECT_EQ(rt::compare_tensors(batch1[i], first_sample(ref.expected[i]), name + " batch 1",
                                    kRtol, kAtol),
                "");
    }
  }
  EXPECT_GE(symbolic, 2) << "export_models.py gives resnet and transformer_opset17 a symbolic batch";
}

// A legal edit of the exported transformer (its first Gather on a Shape takes
// index -1 instead of 0) made ONNX 1.12's data propagation segfault while
// loading; only Shape propagates now. Loading must end in a Session or a
// normrt::Error, never a crash.
TEST(ExportedModels, NegativeGatherIndexOnShapeDoesNotCrashTheLoader) {
  const ExportedModel m = load_exported_model("transformer_opset17");
  std::ifstream in(m.model_path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(bytes.str()));
  int edited = 0;
  for (auto& node : *model.mutable_graph()->mutable_node()) {
    if (node.name() != "/layers.0/self_attn/Constant") continue;
    onnx::TensorProto* t = node.mutable_attribute(0)->mutable_t();
    ASSERT_EQ(t->data_type(), onnx::TensorProto::INT64);
    const int64_t minus_one = -1;
    t->clear_int64_data();
    t->set_raw_data(&minus_one, sizeof minus_one);
    ++edited;
  }
  ASSERT_EQ(edited, 1) << "the exporter's node names changed";
  const std::string edited_bytes = model.SerializeAsString();
  try {
    const Session s = Session::from_buffer(edited_bytes.data(), edited_bytes.size());
    const rt::TestDataSet ref = m.reference(s.input_names());
    s.run(ref.inputs);
  } catch (const Error&) {
    // fine: a clear error
  }
}

}  // namespace
}  // namespace normrt::models
