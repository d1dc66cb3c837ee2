#pragma once
// ONNX backend test folders (model.onnx + test_data_set_*/input_*.pb,
// output_*.pb): reading them and comparing outputs the way ONNX Runtime's
// test runner does. Shared by `normrt test-data` and the conformance tests.
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.hpp"

namespace normrt::rt {

struct TestDataSet {
  std::string dir;
  std::vector<std::pair<std::string, Tensor>> inputs;  // bound to graph input names
  std::vector<Tensor> expected;                        // in graph output order
};

// The test_data_set_* folders of `test_dir`, sorted. Inputs bind by the
// tensor's name when it names a graph input, else by position.
std::vector<std::string> test_data_set_dirs(const std::string& test_dir);
TestDataSet read_test_data_set(const std::string& set_dir,
                               const std::vector<std::string>& input_names);

// Empty when |got - want| <= atol + rtol * |want| everywhere (NaN matches
// NaN; integer and bool outputs compare the same way, i.e. exactly for small
// values); else a message naming `what`, the count and the first mismatch.
std::string compare_tensors(const Tensor& got, const Tensor& want, const std::string& what,
                            double rtol = 1e-4, double atol = 1e-5);

}  // namespace normrt::rt
