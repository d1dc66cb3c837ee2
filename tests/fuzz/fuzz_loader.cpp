// libFuzzer target: bytes -> ONNX loader -> Session (graph passes, op check)
// -> one run on small deterministic inputs. The contract under test
// (DESIGN.md section 7): whatever the bytes, the only way out is a
// normrt::Error; any other exception, crash, leak or UB (ASan/UBSan) is a bug.
// Built with clang -fsanitize=fuzzer under NORMRT_FUZZ=ON; the same function
// is linked into a plain replay binary (replay_main.cpp) that CI runs on the
// seed corpus and the saved reproducers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "normrt/error.hpp"
#include "normrt/runtime/session.hpp"

namespace {

using normrt::rt::DType;
using normrt::rt::Tensor;

// Inputs beyond this many elements are not run (the harness would be the one
// allocating); symbolic and unknown dims become this small value.
constexpr int64_t kMaxInputElements = int64_t(1) << 20;
constexpr int64_t kSymbolicDim = 2;
// Far below libFuzzer's 2 GiB malloc limit: a plan that needs more is refused.
constexpr std::size_t kMaxTensorBytes = std::size_t(64) << 20;

bool input_dims(const normrt::TensorSpec& spec, normrt::rt::Dims& dims) {
  dims.clear();
  if (!spec.has_shape) {
    dims.push_back(kSymbolicDim);
    return true;
  }
  int64_t count = 1;
  for (int64_t d : spec.dims) {
    const int64_t v = d >= 0 ? d : kSymbolicDim;
    if (v > kMaxInputElements || count * std::max<int64_t>(v, 1) > kMaxInputElements) return false;
    count *= std::max<int64_t>(v, 1);
    dims.push_back(v);
  }
  return true;
}

// Small values: floats in [-2, 2], integers in [0, 3] (valid as most indices).
void fill(Tensor& t, std::mt19937& rng) {
  std::uniform_real_distribution<float> real(-2.0f, 2.0f);
  std::uniform_int_distribution<int> small(0, 3);
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DType::f32: t.as<float>()[i] = real(rng); break;
      case DType::f64: t.as<double>()[i] = real(rng); break;
      case DType::f16: t.as<uint16_t>()[i] = uint16_t(0x3c00 + small(rng)); break;  // ~1.0
      case DType::i64: t.as<int64_t>()[i] = small(rng); break;
      case DType::i32: t.as<int32_t>()[i] = small(rng); break;
      case DType::i8: t.as<int8_t>()[i] = int8_t(small(rng)); break;
      case DType::u8: t.as<uint8_t>()[i] = uint8_t(small(rng)); break;
      case DType::boolean: t.as<uint8_t>()[i] = uint8_t(small(rng) & 1); break;
      case DType::undefined: break;
    }
  }
}

void load_and_run(const uint8_t* data, std::size_t size) {
  normrt::SessionOptions options;
  options.threads = 1;
  options.max_tensor_bytes = kMaxTensorBytes;
  normrt::Session session = normrt::Session::from_buffer(data, size, options);
  std::seed_seq seed(data, data + std::min<std::size_t>(size, 64));
  std::mt19937 rng(seed);
  std::vector<std::pair<std::string, Tensor>> inputs;
  normrt::rt::Dims dims;
  for (const normrt::TensorSpec& spec : session.inputs()) {
    if (!input_dims(spec, dims)) return;
    Tensor t(spec.dtype, dims);  // an undefined dtype is a normrt::Error
    fill(t, rng);
    inputs.emplace_back(spec.name, std::move(t));
  }
  session.run(inputs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    load_and_run(data, size);
  } catch (const normrt::Error&) {
    // The documented failure mode.
  }
  return 0;
}
