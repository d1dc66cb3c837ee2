#pragma once
// The `normrt` command line: a table of commands, one source file each
// (cmd_<name>.cpp). To add a command, write its file and add one row to
// commands() in normrt.cpp.
#include <stdexcept>
#include <string>
#include <vector>

namespace normrt::cli {

// A mistake in the command line: printed with the command's usage, exit 1.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

struct Command {
  const char* name;
  const char* summary;  // one line for `normrt --help`
  const char* usage;    // full help of the command (`normrt NAME --help`)
  // Arguments after the command name; returns the exit status. Throws
  // UsageError for a bad command line, normrt::Error for anything else.
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

// Commands (one file each).
int run_info(const std::vector<std::string>& args);
int run_bench(const std::vector<std::string>& args);
extern const char* const kInfoUsage;
extern const char* const kBenchUsage;
// Runtime commands (built when the graph runtime is: NORMRT_CLI_HAS_RUNTIME).
int run_fold(const std::vector<std::string>& args);
extern const char* const kFoldUsage;
int run_run(const std::vector<std::string>& args);
extern const char* const kRunUsage;
int run_test_data(const std::vector<std::string>& args);
extern const char* const kTestDataUsage;
int run_demo(const std::vector<std::string>& args);
extern const char* const kDemoUsage;

// Shared argument helpers.
// "a,b,c" -> {"a", "b", "c"}; empty items are a UsageError naming `option`.
std::vector<std::string> split_list(const std::string& text, const char* option);
// The value after `option` at args[i], advancing i; UsageError when missing.
const std::string& option_value(const std::vector<std::string>& args, std::size_t& i);
bool wants_help(const std::vector<std::string>& args);

}  // namespace normrt::cli
