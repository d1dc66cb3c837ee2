#pragma once
// The progress line of `normrt demo` on stderr: "[3/18] resnet: avx2 optimized".
// On a terminal it rewrites one line in place; otherwise (logs, CI) it
// prints one line per step so the log shows where a slow or failing run was.
#include <string>

namespace normrt::cli::demo {

class Progress {
 public:
  explicit Progress(int total_steps);
  ~Progress();  // clears the line on a terminal
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void step(const std::string& what);

 private:
  int total_;
  int done_ = 0;
  bool terminal_;
  std::size_t last_width_ = 0;
};

}  // namespace normrt::cli::demo
