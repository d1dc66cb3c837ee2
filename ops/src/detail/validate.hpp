#pragma once
// Argument checks shared by every op entry point. Each throws normrt::Error
// naming the op and the argument, before any output is written.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "normrt/error.hpp"

namespace normrt::ops::detail {

[[noreturn]] inline void fail(const char* op, const std::string& msg) {
  throw Error(std::string(op) + ": " + msg);
}

inline void require_ptr(const char* op, const void* p, const char* name) {
  if (p == nullptr) fail(op, std::string(name) + " is null");
}

inline void require_positive(const char* op, int64_t v, const char* name) {
  if (v <= 0) fail(op, std::string(name) + " must be positive, got " + std::to_string(v));
}

// a * b, or an error naming `what` when it overflows int64 or exceeds the
// largest element count the kernels index (PTRDIFF_MAX / sizeof(float)).
inline int64_t checked_mul(const char* op, int64_t a, int64_t b, const char* what) {
  constexpr int64_t limit = std::numeric_limits<int64_t>::max() / int64_t(sizeof(float));
  if (a < 0 || b < 0) fail(op, std::string(what) + " is negative");
  if (a != 0 && b > limit / a) {
    fail(op, std::string(what) + " overflows (" + std::to_string(a) + " x " +
                 std::to_string(b) + ")");
  }
  return a * b;
}

inline void require_eps(const char* op, float eps, const char* name = "eps") {
  if (!(eps >= 0.0f) || !std::isfinite(eps)) {
    fail(op, std::string(name) + " must be finite and >= 0, got " + std::to_string(eps));
  }
}

// Output y of `count` floats may be x itself (in place) or lie apart from it;
// a partial overlap would read inputs the op has already overwritten.
inline void require_same_or_disjoint(const char* op, const float* x, const float* y,
                                     int64_t count, const char* y_name = "y") {
  if (x == y) return;
  const auto xb = reinterpret_cast<std::uintptr_t>(x);
  const auto yb = reinterpret_cast<std::uintptr_t>(y);
  const auto bytes = std::uintptr_t(count) * sizeof(float);
  if (xb < yb + bytes && yb < xb + bytes) {
    fail(op, std::string(y_name) + " partially overlaps x (allowed: y == x, or disjoint)");
  }
}

}  // namespace normrt::ops::detail
