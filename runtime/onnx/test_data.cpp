#include "onnx/test_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "normrt/error.hpp"
#include "onnx/tensor_file.hpp"

namespace normrt::rt {

namespace fs = std::filesystem;

namespace {

// prefix_<n>.pb files of `dir`, ordered by n (input_10 after input_9).
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() != ".pb" || stem.rfind(prefix, 0) != 0) continue;
    const std::string num = stem.substr(prefix.size());
    if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) continue;
    files.emplace_back(std::stol(num), e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<fs::path> out;
  for (auto& f : files) out.push_back(std::move(f.second));
  return out;
}

double element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32: return t.as<float>()[i];
    case DType::f64: return t.as<double>()[i];
    case DType::i64: return double(t.as<int64_t>()[i]);
    case DType::i32: return t.as<int32_t>()[i];
    case DType::u8: case DType::boolean: return t.as<uint8_t>()[i];
    case DType::i8: return t.as<int8_t>()[i];
    default: return std::nan("");
  }
}

}  // namespace

std::vector<std::string> test_data_set_dirs(const std::string& test_dir) {
  std::error_code ec;
  if (!fs::is_directory(test_dir, ec)) throw Error("'" + test_dir + "' is not a directory");
  std::vector<std::string> sets;
  for (const auto& e : fs::directory_iterator(test_dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path().string());
  std::sort(sets.begin(), sets.end());
  return sets;
}

TestDataSet read_test_data_set(const std::string& set_dir,
                               const std::vector<std::string>& input_names) {
  TestDataSet set;
  set.dir = set_dir;
  const auto inputs = numbered_files(set_dir, "input_");
  if (inputs.size() != input_names.size())
    throw Error(set_dir + ": " + std::to_string(inputs.size()) + " input files for a model with " +
                std::to_string(input_names.size()) + " inputs");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    NamedTensor t = read_tensor_file(inputs[i].string());
    const bool named =
        std::find(input_names.begin(), input_names.end(), t.name) != input_names.end();
    set.inputs.emplace_back(named ? t.name : input_names[i], std::move(t.tensor));
  }
  for (const auto& f : numbered_files(set_dir, "output_"))
    set.expected.push_back(read_tensor_file(f.string()).tensor);
  return set;
}

std::string compare_tensors(const Tensor& got, const Tensor& want, const std::string& what,
                            double rtol, double atol) {
  if (got.dtype() != want.dtype())
    return what + ": dtype " + dtype_name(got.dtype()) + ", expected " + dtype_name(want.dtype());
  if (got.dims() != want.dims())
    return what + ": shape " + dims_string(got.dims()) + ", expected " + dims_string(want.dims());
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < got.size(); ++i) {
    const double g = element(got, i), w = element(want, i);
    if (std::isnan(g) && std::isnan(w)) continue;
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return "";
  return what + ": " + std::to_string(bad) + " of " + std::to_string(got.size()) +
         " elements differ; first at index " + std::to_string(first) + ": got " +
         std::to_string(element(got, first)) + ", expected " + std::to_string(element(want, first));
}

}  // namespace normrt::rt
