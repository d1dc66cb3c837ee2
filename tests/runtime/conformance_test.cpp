// ONNX conformance: the backend node tests and pytorch-converted tests from
// libonnx-testdata, run like ONNX Runtime's test runner (every
// test_data_set_*, every output, rtol 1e-4 / atol 1e-5). One test per folder;
// a folder whose ops normrt lacks fails with the loader's or session's error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "ir/graph.hpp"
#include "normrt/runtime/session.hpp"
#include "onnx/test_data.hpp"

namespace normrt::rt {
namespace {

namespace fs = std::filesystem;

const char* const kNodeTests =
    "test_batchnorm_.*|test_instancenorm_.*|test_layer_normalization_.*|test_lrn.*|"
    "test_conv_.*|test_convtranspose.*|test_gemm_.*|test_matmul_[0-9]d|test_relu|test_softmax_.*";
const char* const kPytorchTests = "test_BatchNorm.*_eval|test_Conv.*|test_Linear.*";

struct Case {
  std::string dir;
  std::string name;  // gtest-safe
};

std::vector<Case> find_cases() {
  std::vector<Case> cases;
  const std::pair<const char*, const char*> suites[] = {{"node", kNodeTests},
                                                        {"pytorch-converted", kPytorchTests}};
  for (const auto& [sub, pattern] : suites) {
    const fs::path root = fs::path(NORMRT_ONNX_TESTDATA) / sub;
    if (!fs::is_directory(root)) continue;
    const std::regex re(pattern);
    for (const auto& entry : fs::directory_iterator(root)) {
      const std::string name = entry.path().filename().string();
      if (!std::regex_match(name, re)) continue;
      std::string safe = std::string(sub == std::string("node") ? "node_" : "pytorch_") + name;
      std::replace_if(safe.begin(), safe.end(), [](char c) { return !std::isalnum(c); }, '_');
      cases.push_back({entry.path().string(), safe});
    }
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

bool is_expanded_layer_norm(const std::string& test) {
  return std::regex_match(test, std::regex("test_layer_normalization_.*_expanded"));
}

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, MatchesReferenceOutputs) {
  const fs::path dir = GetParam().dir;
  Session session = Session::load((dir / "model.onnx").string());
  if (is_expanded_layer_norm(dir.filename().string())) {
    // ONNX's function expansion must run through pattern fusion, as one kernel.
    const auto& nodes = session.graph().nodes();
    ASSERT_EQ(nodes.size(), 1u) << session.pass_report();
    EXPECT_EQ(nodes[0]->op_type, "LayerNormalization") << session.pass_report();
  }
  const auto sets = test_data_set_dirs(dir.string());
  ASSERT_FALSE(sets.empty()) << "no test_data_set_* in " << dir;
  for (const std::string& set_dir : sets) {
    const TestDataSet set = read_test_data_set(set_dir, session.input_names());
    const std::vector<Tensor> outputs = session.run(set.inputs);
    ASSERT_EQ(set.expected.size(), outputs.size()) << set_dir;
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      // rtol 1e-4, atol 1e-5: ONNX Runtime's onnx_test_runner defaults.
      const std::string diff = compare_tensors(
          outputs[o], set.expected[o],
          fs::path(set_dir).filename().string() + " output '" + session.output_names()[o] + "'");
      EXPECT_TRUE(diff.empty()) << diff;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Onnx, Conformance, ::testing::ValuesIn(find_cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

// The comparison itself must be able to fail, or the suite proves nothing.
TEST(ConformanceCompare, DetectsMismatches) {
  Tensor want(DType::f32, {3});
  want.as<float>()[0] = 1.0f;
  want.as<float>()[1] = std::nanf("");
  Tensor got = Tensor(DType::f32, {3});
  std::copy(want.as<float>(), want.as<float>() + 3, got.as<float>());
  EXPECT_EQ(compare_tensors(got, want, "y"), "");
  got.as<float>()[0] = 1.0f + 2e-4f;  // beyond atol + rtol * 1
  EXPECT_NE(compare_tensors(got, want, "y").find("1 of 3"), std::string::npos);
  got.as<float>()[0] = 1.0f + 5e-5f;  // within
  EXPECT_EQ(compare_tensors(got, want, "y"), "");
  got.as<float>()[1] = 0.0f;  // NaN expected
  EXPECT_NE(compare_tensors(got, want, "y"), "");
  EXPECT_NE(compare_tensors(Tensor(DType::f32, {1, 3}), want, "y").find("shape"), std::string::npos);
  EXPECT_NE(compare_tensors(Tensor(DType::i64, {3}), want, "y").find("dtype"), std::string::npos);
}

// The list above must find the data: an empty suite would pass vacuously.
TEST(ConformanceData, IsInstalled) {
  EXPECT_GE(find_cases().size(), 100u) << "libonnx-testdata not found under " NORMRT_ONNX_TESTDATA;
}

}  // namespace
}  // namespace normrt::rt
