// The Gpu authority on the real Vulkan back-end (lavapipe where there is no
// GPU), through modules' host calls: a compute shader and a sampled texture.
// Skipped only where no Vulkan device exists. This is its own test binary
// because Mesa's driver leaks internal allocations that LeakSanitizer cannot
// attribute (the Vulkan loader unloads the driver before exit); leak
// checking is off for it alone (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <array>

#include "authority/vulkan_gpu.h"
#include "support/runtime_fixture.h"

namespace interstice::runtime {
namespace {

class GpuTest : public testing::RuntimeTest {};

}  // namespace
}  // namespace interstice::runtime

namespace interstice::runtime {
namespace {

// A compute shader through the Gpu host calls, on the real Vulkan back-end
// (lavapipe where there is no GPU); skipped only without any Vulkan device.
TEST_F(GpuTest, AComputeShaderDoublesNumbersOnTheGpu) {
  auto gpu = authority::VulkanGpu::create(64, 64);
  if (!gpu) GTEST_SKIP() << "Vulkan is unavailable: " << gpu.error().message;
  RuntimeOptions options;
  options.grantable = {abi::Authority::Gpu};
  options.gpu = std::move(gpu).value();
  auto rt = make_runtime(options);
  load(*rt, "compute_user");
  EXPECT_EQ(logged(*rt, "compute_user", "double_all"), "sum 4032");
}

// A sampled texture: each quarter of the 64x64 surface shows one texel.
TEST_F(GpuTest, ATextureIsSampledOntoTheSurface) {
  auto created = authority::VulkanGpu::create(64, 64);
  if (!created) GTEST_SKIP() << "Vulkan is unavailable: " << created.error().message;
  std::shared_ptr<authority::VulkanGpu> gpu = std::move(created).value();
  RuntimeOptions options;
  options.grantable = {abi::Authority::Gpu};
  options.gpu = gpu;
  auto rt = make_runtime(options);
  load(*rt, "texture_user");
  for (bool grouped : {false, true}) {
    uint64_t frames = gpu->frames();
    EXPECT_EQ(logged(*rt, "texture_user", "paint", grouped),
              "format 0, pipeline 1, texture 0, draw 0, end 0")
        << (grouped ? "with a bind group" : "with the resources");
    ASSERT_EQ(gpu->frames(), frames + 1);  // the pixels below are this call's
    auto at = [&](int x, int y) {
      const uint8_t* p = gpu->frame().data() + (y * 64 + x) * 4;
      return std::array<int, 3>{p[0], p[1], p[2]};
    };
    // Vulkan's y points down: texel row 0 (red, green) is the top half.
    EXPECT_EQ(at(16, 16), (std::array<int, 3>{255, 0, 0}));
    EXPECT_EQ(at(48, 16), (std::array<int, 3>{0, 255, 0}));
    EXPECT_EQ(at(16, 48), (std::array<int, 3>{0, 0, 255}));
    EXPECT_EQ(at(48, 48), (std::array<int, 3>{255, 255, 255}));
  }
}

}  // namespace
}  // namespace interstice::runtime
