// ONNX conformance: the backend node tests and pytorch-converted tests from
// libonnx-testdata, run like ONNX Runtime's test runner (every
// test_data_set_*, every output, rtol 1e-4 / atol 1e-5). One test per folder;
// a folder whose ops normrt lacks fails with the loader's or session's error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "normrt/runtime/session.hpp"
#include "onnx/tensor_file.hpp"

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

// Elementwise |got - want| <= atol + rtol * |want| (NaN matches NaN), as
// ONNX Runtime's onnx_test_runner compares float outputs.
std::string compare(const Tensor& got, const Tensor& want, const std::string& what) {
  constexpr double rtol = 1e-4, atol = 1e-5;
  if (got.dtype() != want.dtype())
    return what + ": dtype " + dtype_name(got.dtype()) + ", want " + dtype_name(want.dtype());
  if (got.dims() != want.dims())
    return what + ": shape " + dims_string(got.dims()) + ", want " + dims_string(want.dims());
  auto value = [](const Tensor& t, int64_t i) -> double {
    switch (t.dtype()) {
      case DType::f32: return t.as<float>()[i];
      case DType::f64: return t.as<double>()[i];
      case DType::i64: return double(t.as<int64_t>()[i]);
      case DType::i32: return t.as<int32_t>()[i];
      case DType::u8: case DType::boolean: return t.as<uint8_t>()[i];
      case DType::i8: return t.as<int8_t>()[i];
      default: return std::nan("");
    }
  };
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < got.size(); ++i) {
    const double g = value(got, i), w = value(want, i);
    if (std::isnan(g) && std::isnan(w)) continue;
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return "";
  return what + ": " + std::to_string(bad) + " of " + std::to_string(got.size()) +
         " elements differ; first at " + std::to_string(first) + ": got " +
         std::to_string(value(got, first)) + ", want " + std::to_string(value(want, first));
}

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) files.push_back(e.path());
  // input_10 after input_9: order by the number.
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) {
      return std::stoi(p.stem().string().substr(prefix.size()));
    };
    return num(a) < num(b);
  });
  return files;
}

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, MatchesReferenceOutputs) {
  const fs::path dir = GetParam().dir;
  Session session = Session::load((dir / "model.onnx").string());
  int sets = 0;
  for (const auto& set : fs::directory_iterator(dir)) {
    if (!set.is_directory() || set.path().filename().string().rfind("test_data_set_", 0) != 0)
      continue;
    ++sets;
    std::vector<std::pair<std::string, Tensor>> inputs;
    const auto names = session.input_names();
    const auto input_files = sorted_files(set.path(), "input_");
    ASSERT_EQ(input_files.size(), names.size()) << set.path();
    for (std::size_t i = 0; i < input_files.size(); ++i) {
      NamedTensor t = read_tensor_file(input_files[i].string());
      // By name when it names an input, else by position (old test data).
      const bool named = std::find(names.begin(), names.end(), t.name) != names.end();
      inputs.emplace_back(named ? t.name : names[i], std::move(t.tensor));
    }
    const std::vector<Tensor> outputs = session.run(inputs);
    const auto output_files = sorted_files(set.path(), "output_");
    ASSERT_EQ(output_files.size(), outputs.size()) << set.path();
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      const NamedTensor want = read_tensor_file(output_files[o].string());
      const std::string diff = compare(outputs[o], want.tensor,
                                       set.path().filename().string() + " output " +
                                           session.output_names()[o]);
      EXPECT_TRUE(diff.empty()) << diff;
    }
  }
  EXPECT_GT(sets, 0) << "no test_data_set_* in " << dir;
}

INSTANTIATE_TEST_SUITE_P(Onnx, Conformance, ::testing::ValuesIn(find_cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

// The list above must find the data: an empty suite would pass vacuously.
TEST(ConformanceData, IsInstalled) {
  EXPECT_GE(find_cases().size(), 100u) << "libonnx-testdata not found under " NORMRT_ONNX_TESTDATA;
}

}  // namespace
}  // namespace normrt::rt
