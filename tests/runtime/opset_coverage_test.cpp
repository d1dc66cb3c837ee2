// Every op the runtime promises runs at every opset a model may import, from
// the op's first supported version up to the newest opset the loader accepts:
// an ONNX op version stays valid until a newer version of that op appears.
#include <gtest/gtest.h>

#include "kernels/kernel.hpp"

namespace normrt::rt {
namespace {

struct OpRange {
  const char* domain;
  const char* op;
  int first;
};

constexpr int kNewestOpset = 23;

TEST(OpsetCoverage, PromisedOpsRunAtEveryLaterOpset) {
  const OpRange promised[] = {
      {"", "BatchNormalization", 7}, {"", "LayerNormalization", 17},
      {"", "GroupNormalization", 18}, {"", "InstanceNormalization", 6},
      {"", "LRN", 1},                 {"", "RMSNormalization", 23},
      {"", "Conv", 1},                {"", "ConvTranspose", 1},
      {"", "Gemm", 7},                {"", "MatMul", 1},
      {"", "Relu", 6},                {"", "Softmax", 1},
      {"", "Add", 7},                 {"", "Reshape", 5},
      {"", "Transpose", 1},           {"", "Concat", 4},
      {"com.microsoft", "SkipLayerNormalization", 1},
      {"com.microsoft", "SkipSimplifiedLayerNormalization", 1},
      {"", "SimplifiedLayerNormalization", 1},
  };
  const KernelRegistry& reg = KernelRegistry::builtin();
  for (const OpRange& o : promised) {
    for (int opset = o.first; opset <= kNewestOpset; ++opset) {
      EXPECT_NE(reg.find(o.domain, o.op, opset), nullptr)
          << o.domain << "::" << o.op << " at opset " << opset;
    }
  }
}

}  // namespace
}  // namespace normrt::rt
