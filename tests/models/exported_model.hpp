#pragma once
// One PyTorch-exported test model (tests/models/export_models.py): its folder
// holds model.onnx, test_data_set_0/ with PyTorch's inputs and outputs, and
// expect.txt, which counts the norm modules the PyTorch model has.
#include <map>
#include <string>
#include <vector>

#include "onnx/test_data.hpp"

namespace normrt::models {

// The models export_models.py writes, by folder name.
const std::vector<std::string>& model_names();

struct ExportedModel {
  std::string name;
  std::string dir;
  std::string model_path;  // dir/model.onnx
  int opset = 0;
  std::map<std::string, int> expect;  // "batch_norms" -> 20, ...

  int expected(const std::string& key) const;  // 0 when absent
  // PyTorch's inputs (bound to `input_names`) and outputs.
  rt::TestDataSet reference(const std::vector<std::string>& input_names) const;
};

// Throws normrt::Error, with how to generate the data, when a file is missing.
ExportedModel load_exported_model(const std::string& name);

// Occurrences of "[pass] " at the start of a line of a PassReport::str().
int report_count(const std::string& report, const std::string& pass);

}  // namespace normrt::models
