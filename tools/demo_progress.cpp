#include "demo_progress.hpp"

#include <unistd.h>

#include <iostream>

namespace normrt::cli::demo {

Progress::Progress(int total_steps) : total_(total_steps), terminal_(isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() {
  if (terminal_ && last_width_ > 0) std::cerr << "\r" << std::string(last_width_, ' ') << "\r" << std::flush;
}

void Progress::step(const std::string& what) {
  ++done_;
  const std::string line =
      "normrt demo: [" + std::to_string(done_) + "/" + std::to_string(total_) + "] " + what;
  if (!terminal_) {
    std::cerr << line << "\n";
    return;
  }
  // Pad over the previous, possibly longer, line.
  std::cerr << "\r" << line << std::string(last_width_ > line.size() ? last_width_ - line.size() : 0, ' ')
            << std::flush;
  last_width_ = line.size();
}

}  // namespace normrt::cli::demo
