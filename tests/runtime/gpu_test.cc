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

class GpuTest : public testing::RuntimeTest {
 protected:
  // A runtime granting Gpu on a real width x height VulkanGpu, with `module`
  // loaded; skips the test (check IsSkipped()) where Vulkan is unavailable.
  void start(uint32_t width, uint32_t height, const std::string& module) {
    auto created = authority::VulkanGpu::create(width, height);
    if (!created) GTEST_SKIP() << "Vulkan is unavailable: " << created.error().message;
    gpu_ = std::move(created).value();
    RuntimeOptions options;
    options.grantable = {abi::Authority::Gpu};
    options.gpu = gpu_;
    rt_ = make_runtime(options);
    load(*rt_, module);
  }
  // The surface pixel at (x, y) of the last frame, as RGB.
  std::array<int, 3> at(uint32_t x, uint32_t y) const {
    const uint8_t* p = gpu_->frame().data() + (y * gpu_->width() + x) * 4;
    return {p[0], p[1], p[2]};
  }

  std::shared_ptr<authority::VulkanGpu> gpu_;
  std::unique_ptr<Runtime> rt_;
};

// A compute shader through the Gpu host calls, on the real Vulkan back-end
// (lavapipe where there is no GPU); skipped only without any Vulkan device.
TEST_F(GpuTest, AComputeShaderDoublesNumbersOnTheGpu) {
  start(64, 64, "compute_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "compute_user", "double_all"), "sum 4032");
}

// The same through the Rust SDK's Gpu calls (modules/rust/compute_user).
TEST_F(GpuTest, AComputeShaderFromARustModuleDoublesNumbersToo) {
  start(64, 64, "rust_compute_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "compute_user", "double_all"), "sum 4032");
}

// A sampled texture: each quarter of the 64x64 surface shows one texel.
TEST_F(GpuTest, ATextureIsSampledOntoTheSurface) {
  start(64, 64, "texture_user");
  if (IsSkipped()) return;
  for (bool grouped : {false, true}) {
    uint64_t frames = gpu_->frames();
    EXPECT_EQ(logged(*rt_, "texture_user", "paint", grouped),
              "format 0, pipeline 1, texture 0, draw 0, end 0")
        << (grouped ? "with a bind group" : "with the resources");
    ASSERT_EQ(gpu_->frames(), frames + 1);  // the pixels below are this call's
    // Vulkan's y points down: texel row 0 (red, green) is the top half.
    EXPECT_EQ(at(16, 16), (std::array<int, 3>{255, 0, 0}));
    EXPECT_EQ(at(48, 16), (std::array<int, 3>{0, 255, 0}));
    EXPECT_EQ(at(16, 48), (std::array<int, 3>{0, 0, 255}));
    EXPECT_EQ(at(48, 48), (std::array<int, 3>{255, 255, 255}));
  }
}

// Explicit layouts and a command encoder with two render passes: the first
// clears a texture to blue, the second samples it onto the left half of the
// surface (cleared red), and present shows the result.
TEST_F(GpuTest, AnEncoderRendersIntoATextureThenSamplesItOntoTheSurface) {
  start(64, 64, "encoder_user");
  if (IsSkipped()) return;
  uint64_t frames = gpu_->frames();
  EXPECT_EQ(logged(*rt_, "encoder_user", "two_passes"),
            "pipeline 1, group 1, passes 1, steps 0 0 0 0 0, submit 0, present 0");
  ASSERT_EQ(gpu_->frames(), frames + 1);
  EXPECT_EQ(at(8, 8), (std::array<int, 3>{0, 0, 255}));
  EXPECT_EQ(at(24, 56), (std::array<int, 3>{0, 0, 255}));
  EXPECT_EQ(at(40, 8), (std::array<int, 3>{255, 0, 0}));
  EXPECT_EQ(at(60, 60), (std::array<int, 3>{255, 0, 0}));
}

// An index buffer: a quad of four vertices drawn with six indices.
TEST_F(GpuTest, AnIndexedDrawFillsTheQuad) {
  start(32, 32, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "indexed_quad"),
            "pipeline 1, without indices 20, bad format 20, not an index buffer 18, drawn 0, "
            "submit 0, present 0");
  for (auto [x, y] : {std::pair{17u, 1u}, {30u, 30u}, {24u, 16u}})
    EXPECT_EQ(at(x, y), (std::array<int, 3>{0, 255, 0})) << x << "," << y;
  for (auto [x, y] : {std::pair{1u, 1u}, {14u, 30u}})
    EXPECT_EQ(at(x, y), (std::array<int, 3>{255, 0, 0})) << x << "," << y;
}

// Pipeline state: a triangle strip alpha-blended over the clear colour, and
// a line list; an unknown topology is refused.
TEST_F(GpuTest, StripsLinesAndAlphaBlending) {
  start(32, 32, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "blended_lines"),
            "pipelines 1, unknown topology 20, quad 0, line 0, submit 0, present 0");
  auto near = [](std::array<int, 3> got, std::array<int, 3> want) {
    for (int i = 0; i < 3; ++i)
      if (std::abs(got[i] - want[i]) > 2) return false;
    return true;
  };
  for (auto [x, y] : {std::pair{1u, 1u}, {30u, 30u}, {8u, 10u}})
    EXPECT_TRUE(near(at(x, y), {128, 0, 128}))
        << x << "," << y << ": " << at(x, y)[0] << " " << at(x, y)[1] << " " << at(x, y)[2];
  for (uint32_t x : {1u, 16u, 30u}) EXPECT_EQ(at(x, 16), (std::array<int, 3>{0, 255, 0})) << x;
}

// A depth attachment: the nearer quad wins where two overlap, whatever the
// order they were drawn in; depth textures are only ever depth attachments.
TEST_F(GpuTest, TheDepthTestKeepsTheNearerFragment) {
  start(32, 32, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "depth_quads"),
            "pipelines 1, flat in a depth pass 20, red 0, green 0, submit 0, present 0, depth as "
            "colour 18, depth sampled 18, other size 20");
  EXPECT_EQ(at(4, 16), (std::array<int, 3>{255, 0, 0}));   // red only
  EXPECT_EQ(at(16, 16), (std::array<int, 3>{255, 0, 0}));  // both: red is nearer
  EXPECT_EQ(at(28, 16), (std::array<int, 3>{0, 255, 0}));  // green only
}

// A compute pass over an explicit layout, then a buffer copy, in one submit.
TEST_F(GpuTest, AComputePassAndABufferCopyRunInOneSubmit) {
  start(16, 16, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "compute_and_copy"),
            "pipeline 1, dispatch 0, copy 0, submit 0, sum 4032");
}

// Every mistake gets its status (GpuError 20, InvalidHandle 18, NoFrame 17,
// SurfaceOutdated 21) and none of them reaches Vulkan or harms the node.
TEST_F(GpuTest, EncoderMistakesGetTheirStatuses) {
  start(16, 16, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "misuse"),
            "no pipeline 20, no group 20, wrong layout 20, dispatch in render 20, nested pass 20, "
            "finish while open 20, ended twice 18, sample own target 20, submit 0, resubmit 18, "
            "bad layout 20, missing entry 20, present 0, present again 17, stale texture 21, "
            "not a target 18");
  // The node's Gpu still works afterwards.
  EXPECT_EQ(logged(*rt_, "encoder_user", "two_passes"),
            "pipeline 1, group 1, passes 1, steps 0 0 0 0 0, submit 0, present 0");
}

// gpu_release destroys an object once nothing uses it; unloading a module
// destroys all of its objects.
TEST_F(GpuTest, ObjectsAreReleasedWhenUnusedAndAllGoWithTheirModule) {
  start(16, 16, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "lifecycle"),
            "buffer in a group 20, group 0, buffer 0, buffer again 18, set layout in a layout 20, "
            "open pass 20, recorded pipeline 20, encoder 0, pipeline 0, layout 0, set layout 0, "
            "in a frame 17");
  EXPECT_EQ(logged(*rt_, "encoder_user", "two_passes"),
            "pipeline 1, group 1, passes 1, steps 0 0 0 0 0, submit 0, present 0");
  EXPECT_GT(gpu_->live_objects("encoder_user"), 10u);
  ASSERT_TRUE(rt_->unload("encoder_user").ok());
  EXPECT_EQ(gpu_->live_objects("encoder_user"), 0u);
}

// Each module's buffers and textures stay within its Gpu memory budget.
TEST_F(GpuTest, AModulesGpuMemoryHasABudget) {
  start(16, 16, "encoder_user");
  if (IsSkipped()) return;
  gpu_->set_memory_budget(1 << 20);
  EXPECT_EQ(logged(*rt_, "encoder_user", "hoard"),
            "kept 4, then 20, texture 20, after a release 1");
  EXPECT_NE(messages("encoder_user", "hoard").front().find("past its budget of 1048576 bytes"),
            std::string::npos)
      << messages("encoder_user", "hoard").front();
}

// Garbage through the raw Gpu host calls is BadArguments (11); a pointer
// outside linear memory traps the module, and the node goes on.
TEST_F(GpuTest, GarbageArgumentsAreRefusedAndWildPointersTrap) {
  start(16, 16, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "garbage"),
            "layout 11, pipeline layout 11, bind group 11, pipeline 11, submit 11, draw 11, "
            "texture 11, capture 13");
  auto trapped = rt_->call("encoder_user", "wild_pointer", abi::to_bytes(std::make_tuple()));
  ASSERT_FALSE(trapped.ok());
  EXPECT_NE(trapped.error().message.find("pointer out of bounds"), std::string::npos)
      << trapped.error().message;
  EXPECT_EQ(logged(*rt_, "encoder_user", "two_passes"),
            "pipeline 1, group 1, passes 1, steps 0 0 0 0 0, submit 0, present 0");
}

// A resize (the window changed size) makes the surface texture a module
// holds outdated; the surface then has the new size.
TEST_F(GpuTest, AResizeOutdatesTheSurfaceTexture) {
  start(32, 32, "encoder_user");
  if (IsSkipped()) return;
  EXPECT_EQ(logged(*rt_, "encoder_user", "take_texture"), "texture 1");
  EXPECT_EQ(logged(*rt_, "encoder_user", "use_texture"), "pass 0");
  std::string why;
  ASSERT_TRUE(gpu_->resize(48, 24, &why)) << why;
  EXPECT_EQ(gpu_->width(), 48u);
  EXPECT_EQ(gpu_->height(), 24u);
  EXPECT_EQ(logged(*rt_, "encoder_user", "use_texture"), "pass 21");
  EXPECT_FALSE(gpu_->resize(0, 24, &why));
  EXPECT_NE(why.find("0x24"), std::string::npos) << why;
  // Frames after the resize have the new size.
  EXPECT_EQ(logged(*rt_, "encoder_user", "two_passes"),
            "pipeline 1, group 1, passes 1, steps 0 0 0 0 0, submit 0, present 0");
  EXPECT_EQ(gpu_->frame().size(), 48u * 24 * 4);
}

// Every Gpu call's outcome is recorded with its transaction, so the
// transaction replays on a runtime without any Gpu and writes the same rows.
TEST_F(GpuTest, AGpuTransactionReplaysWithoutAGpu) {
  auto created = authority::VulkanGpu::create(16, 16);
  if (!created) GTEST_SKIP() << "Vulkan is unavailable: " << created.error().message;
  struct Recorded {
    TransactionInputs inputs;
    Bytes args;
    std::vector<Bytes> rows;
  };
  std::vector<Recorded> commits;
  RuntimeOptions options;
  options.grantable = {abi::Authority::Gpu};
  options.gpu = std::move(created).value();
  options.on_commit = [&](const CommittedTransaction& tx) -> Result<uint64_t> {
    if (tx.reducer != "double_all") return 0;
    Recorded r{tx.inputs, tx.args, {}};
    for (const TableEvent* e : tx.effects) r.rows.push_back(e->new_row);
    commits.push_back(std::move(r));
    return 0;
  };
  auto live = make_runtime(options);
  load(*live, "compute_user");
  ASSERT_EQ(logged(*live, "compute_user", "double_all"), "sum 4032");
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_GE(commits[0].inputs.host_results.size(), 6u);  // shader, buffer, pipeline, ...
  ASSERT_EQ(commits[0].rows.size(), 1u);

  RuntimeOptions offline;
  offline.grantable = {abi::Authority::Gpu};  // but no back-end: live calls would be Unavailable
  auto replay = make_runtime(offline);
  load(*replay, "compute_user");
  std::vector<TableEvent> effects;
  auto ran = replay->replay_call("compute_user", "double_all", commits[0].args, commits[0].inputs,
                                 {}, &effects);
  ASSERT_TRUE(ran.ok()) << ran.error().message;
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(effects[0].new_row, commits[0].rows[0]);

  // A record that lacks an outcome the reducer asks for fails the replay.
  TransactionInputs truncated = commits[0].inputs;
  truncated.host_results.pop_back();
  auto short_replay =
      replay->replay_call("compute_user", "double_all", commits[0].args, truncated, {}, &effects);
  ASSERT_FALSE(short_replay.ok());
  EXPECT_NE(short_replay.error().message.find("more privileged host calls than the log recorded"),
            std::string::npos)
      << short_replay.error().message;
}

}  // namespace
}  // namespace interstice::runtime
