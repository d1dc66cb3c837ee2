#include "exported_model.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "normrt/error.hpp"

namespace normrt::models {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {
      "resnet", "mobilenet_v2", "transformer_opset17", "transformer_opset14", "unet_block",
      "rmsnorm_block"};
  return names;
}

int ExportedModel::expected(const std::string& key) const {
  auto it = expect.find(key);
  return it == expect.end() ? 0 : it->second;
}

rt::TestDataSet ExportedModel::reference(const std::vector<std::string>& input_names) const {
  return rt::read_test_data_set(dir + "/test_data_set_0", input_names);
}

ExportedModel load_exported_model(const std::string& name) {
  namespace fs = std::filesystem;
  ExportedModel m;
  m.name = name;
  m.dir = std::string(NORMRT_MODELS_DIR) + "/" + name;
  m.model_path = m.dir + "/model.onnx";
  const std::string expect_path = m.dir + "/expect.txt";
  if (!fs::exists(m.model_path) || !fs::exists(expect_path))
    throw Error("'" + m.model_path + "' or its expect.txt is missing: build the target " +
                "normrt_models_data (it needs python3-torch: run scripts/setup.sh)");
  std::ifstream in(expect_path);
  std::string key;
  int value = 0;
  while (in >> key >> value) m.expect[key] = value;
  if (!in.eof()) throw Error("'" + expect_path + "': expected 'key count' lines");
  m.opset = m.expected("opset");
  return m;
}

int report_count(const std::string& report, const std::string& pass) {
  std::istringstream lines(report);
  const std::string prefix = "[" + pass + "] ";
  int n = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.compare(0, prefix.size(), prefix) == 0) ++n;
  return n;
}

}  // namespace normrt::models
