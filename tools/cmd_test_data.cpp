// `normrt test-data DIR`: runs an ONNX backend test folder (model.onnx +
// test_data_set_*) and compares every output like ONNX Runtime's test runner.
#include <filesystem>
#include <iostream>

#include "cli.hpp"
#include "normrt/runtime/session.hpp"
#include "onnx/test_data.hpp"

namespace normrt::cli {

const char* const kTestDataUsage =
    "usage: normrt test-data DIR [--threads N] [--isa ISA]\n\n"
    "Runs DIR/model.onnx on every DIR/test_data_set_*/input_*.pb and compares\n"
    "each output with output_*.pb (rtol 1e-4, atol 1e-5). Exit status 1 on any\n"
    "mismatch or error.\n";

int run_test_data(const std::vector<std::string>& args) {
  std::string dir;
  SessionOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--threads") {
      const std::string& v = option_value(args, i);
      try {
        options.threads = std::stoi(v);
      } catch (const std::exception&) {
        options.threads = -1;
      }
      if (options.threads < 1) throw UsageError("--threads needs a positive integer, got '" + v + "'");
    } else if (args[i] == "--isa") {
      options.isa = parse_isa(option_value(args, i), "--isa");
    } else if (!args[i].empty() && args[i][0] == '-') {
      throw UsageError("unknown option '" + args[i] + "'");
    } else if (dir.empty()) {
      dir = args[i];
    } else {
      throw UsageError("unexpected argument '" + args[i] + "'");
    }
  }
  if (dir.empty()) throw UsageError("expected DIR");

  const Session session = Session::load((std::filesystem::path(dir) / "model.onnx").string(), options);
  const auto sets = rt::test_data_set_dirs(dir);
  if (sets.empty()) throw Error("'" + dir + "' has no test_data_set_* folders");
  int failures = 0, compared = 0;
  for (const std::string& set_dir : sets) {
    const rt::TestDataSet set = rt::read_test_data_set(set_dir, session.input_names());
    const auto outputs = session.run(set.inputs);
    const std::string set_name = std::filesystem::path(set_dir).filename().string();
    if (set.expected.size() != outputs.size()) {
      std::cout << set_name << ": FAIL: " << set.expected.size() << " expected outputs, the model has "
                << outputs.size() << "\n";
      ++failures;
      continue;
    }
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      const std::string what = set_name + " output '" + session.output_names()[o] + "'";
      const std::string diff = rt::compare_tensors(outputs[o], set.expected[o], what);
      ++compared;
      if (diff.empty()) {
        std::cout << what << ": ok\n";
      } else {
        std::cout << "FAIL: " << diff << "\n";
        ++failures;
      }
    }
  }
  std::cout << (failures ? "FAILED: " : "passed: ") << compared - failures << " of " << compared
            << " outputs match in " << sets.size() << " data sets\n";
  return failures ? 1 : 0;
}

}  // namespace normrt::cli
