#include "demo_models.hpp"

namespace normrt::cli::demo {

std::vector<DemoModel> build_demo_models(uint32_t seed) {
  return {build_resnet(seed), build_transformer(seed + 1), build_unet(seed + 2)};
}

}  // namespace normrt::cli::demo
