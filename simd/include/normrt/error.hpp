#pragma once
// The one exception type of normrt. Messages name the argument, tensor or node
// at fault so that a caller can act on them without a debugger.
#include <stdexcept>
#include <string>

namespace normrt {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace normrt
