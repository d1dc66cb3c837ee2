// `normrt`: the command-line tool. Dispatches to the command table; turns
// errors into a message on stderr and exit status 1.
#include <cstring>
#include <iostream>

#include "cli.hpp"
#include "normrt/error.hpp"

namespace normrt::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"info", "CPU, features and the ISA normrt picks here", kInfoUsage, &run_info},
      {"bench", "time every op on every usable ISA (--quick for a short run)", kBenchUsage,
       &run_bench},
#ifdef NORMRT_CLI_HAS_RUNTIME
      {"fold", "write a BN-folded copy of an ONNX model, checked and verified", kFoldUsage,
       &run_fold},
      {"run", "run an ONNX model on .pb or random inputs; --repeat times it", kRunUsage,
       &run_run},
      {"test-data", "run an ONNX backend test folder and compare its outputs", kTestDataUsage,
       &run_test_data},
      {"demo", "fold, fuse and run three built-in models on every ISA; check and time them",
       kDemoUsage, &run_demo},
#endif
  };
  return table;
}

namespace {

void print_help(std::ostream& os) {
  os << "usage: normrt COMMAND [OPTIONS]\n\n"
        "Fast normalization kernels for CPUs.\n\ncommands:\n";
  for (const Command& c : commands()) {
    os << "  " << c.name << std::string(10 - std::strlen(c.name), ' ') << c.summary << "\n";
  }
  os << "\n`normrt COMMAND --help` describes a command's options.\n"
        "NORMRT_ISA=scalar|avx2|avx512|neon caps the ISA (like ONEDNN_MAX_CPU_ISA).\n";
}

const Command* find_command(const std::string& name) {
  for (const Command& c : commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int run(int argc, char** argv) {
  if (argc < 2) {
    print_help(std::cerr);
    return 1;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help(std::cout);
    return 0;
  }
  const Command* cmd = find_command(name);
  if (cmd == nullptr) {
    std::cerr << "normrt: unknown command '" << name << "'\n\n";
    print_help(std::cerr);
    return 1;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (wants_help(args)) {
    std::cout << cmd->usage;
    return 0;
  }
  try {
    return cmd->run(args);
  } catch (const UsageError& e) {
    std::cerr << "normrt " << cmd->name << ": " << e.what() << "\n\n" << cmd->usage;
    return 1;
  }
}

}  // namespace
}  // namespace normrt::cli

int main(int argc, char** argv) {
  try {
    return normrt::cli::run(argc, argv);
  } catch (const normrt::Error& e) {
    std::cerr << "normrt: error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "normrt: internal error: " << e.what() << "\n";
  }
  return 1;
}
