// VulkanGpu: the Gpu authority on Vulkan. It renders offscreen into an RGBA8
// surface image (resized with the window) and reads every finished frame
// back to host memory (frame()), from where the node writes PNG frames; a
// window shows the image through a swapchain (present_to_window). On a machine without a GPU,
// Mesa's lavapipe renders on the CPU. GLSL is compiled with shaderc. Every Vulkan failure becomes
// an error for the calling module; nothing aborts the node.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "runtime/authorities.h"

namespace interstice::authority {

class VulkanGpu : public runtime::GpuBackend {
 public:
  // Fails (with the reason) when Vulkan has no usable device. `for_window`
  // enables the surface and swapchain extensions a window needs.
  [[nodiscard]] static base::Result<std::unique_ptr<VulkanGpu>> create(uint32_t width,
                                                                       uint32_t height,
                                                                       bool for_window = false);
  ~VulkanGpu() override;

  uint32_t width() const override;
  uint32_t height() const override;
  uint64_t create_shader(std::string_view module, uint32_t stage, runtime::ByteView source,
                         runtime::AuthorityError* error) override;
  uint64_t create_buffer(std::string_view module, uint64_t size, uint32_t usage,
                         runtime::AuthorityError* error) override;
  bool write_buffer(std::string_view module, uint64_t buffer, uint64_t offset,
                    runtime::ByteView data, runtime::AuthorityError* error) override;
  uint64_t create_pipeline(std::string_view module, const runtime::GpuPipelineDesc& desc,
                           runtime::AuthorityError* error) override;
  bool begin_frame(std::string_view module, const float clear[4],
                   runtime::AuthorityError* error) override;
  uint64_t create_texture(std::string_view module, uint32_t width, uint32_t height,
                          runtime::AuthorityError* error) override;
  bool write_texture(std::string_view module, uint64_t texture, runtime::ByteView rgba,
                     runtime::AuthorityError* error) override;
  uint64_t create_sampler(std::string_view module, uint32_t filter,
                          runtime::AuthorityError* error) override;
  uint64_t create_bind_group(std::string_view module, uint64_t pipeline,
                             const std::vector<uint64_t>& bindings,
                             runtime::AuthorityError* error) override;
  bool draw(std::string_view module, uint64_t pipeline, uint64_t vertex_buffer,
            const std::vector<uint64_t>& bindings, uint32_t vertex_count, uint32_t instance_count,
            runtime::AuthorityError* error) override;
  bool end_frame(std::string_view module, runtime::AuthorityError* error) override;
  void abandon_frame() override;
  uint64_t create_compute_pipeline(std::string_view module, uint64_t shader,
                                   uint32_t storage_buffers,
                                   runtime::AuthorityError* error) override;
  bool dispatch(std::string_view module, uint64_t pipeline, const std::vector<uint64_t>& buffers,
                uint32_t x, uint32_t y, uint32_t z, runtime::AuthorityError* error) override;
  bool read_buffer(std::string_view module, uint64_t buffer, uint64_t offset, uint64_t size,
                   runtime::Bytes* data, runtime::AuthorityError* error) override;
  uint64_t create_bind_group_layout(std::string_view module,
                                    const std::vector<abi::GpuLayoutEntry>& entries,
                                    runtime::AuthorityError* error) override;
  uint64_t create_pipeline_layout(std::string_view module,
                                  const std::vector<uint64_t>& bind_group_layouts,
                                  runtime::AuthorityError* error) override;
  uint64_t pipeline_bind_group_layout(std::string_view module, uint64_t pipeline, uint32_t index,
                                      runtime::AuthorityError* error) override;
  uint64_t create_bind_group_with_layout(std::string_view module, uint64_t layout,
                                         const std::vector<abi::GpuBindGroupEntry>& entries,
                                         runtime::AuthorityError* error) override;
  uint64_t create_compute_pipeline_with_layout(std::string_view module, uint64_t shader,
                                               uint64_t layout,
                                               runtime::AuthorityError* error) override;
  uint64_t create_command_encoder(std::string_view module, runtime::AuthorityError* error) override;
  uint64_t begin_render_pass(std::string_view module, uint64_t encoder, uint64_t target,
                             const float clear[4], bool load, uint64_t depth, float depth_clear,
                             runtime::AuthorityError* error) override;
  uint64_t create_depth_texture(std::string_view module, uint32_t width, uint32_t height,
                                runtime::AuthorityError* error) override;
  uint64_t begin_compute_pass(std::string_view module, uint64_t encoder,
                              runtime::AuthorityError* error) override;
  bool set_pipeline(std::string_view module, uint64_t pass, uint64_t pipeline,
                    runtime::AuthorityError* error) override;
  bool set_bind_group(std::string_view module, uint64_t pass, uint32_t index, uint64_t group,
                      runtime::AuthorityError* error) override;
  bool set_vertex_buffer(std::string_view module, uint64_t pass, uint64_t buffer,
                         runtime::AuthorityError* error) override;
  bool set_index_buffer(std::string_view module, uint64_t pass, uint64_t buffer, uint32_t format,
                        runtime::AuthorityError* error) override;
  bool pass_draw_indexed(std::string_view module, uint64_t pass, uint32_t index_count,
                         uint32_t instance_count, uint32_t first_index, int32_t base_vertex,
                         uint32_t first_instance, runtime::AuthorityError* error) override;
  bool pass_draw(std::string_view module, uint64_t pass, uint32_t vertex_count,
                 uint32_t instance_count, uint32_t first_vertex, uint32_t first_instance,
                 runtime::AuthorityError* error) override;
  bool pass_dispatch(std::string_view module, uint64_t pass, uint32_t x, uint32_t y, uint32_t z,
                     runtime::AuthorityError* error) override;
  bool end_pass(std::string_view module, uint64_t pass, runtime::AuthorityError* error) override;
  bool copy_buffer(std::string_view module, uint64_t encoder, uint64_t source,
                   uint64_t source_offset, uint64_t destination, uint64_t destination_offset,
                   uint64_t size, runtime::AuthorityError* error) override;
  uint64_t finish_encoder(std::string_view module, uint64_t encoder,
                          runtime::AuthorityError* error) override;
  bool submit(std::string_view module, const std::vector<uint64_t>& command_buffers,
              runtime::AuthorityError* error) override;
  uint64_t current_texture(std::string_view module, runtime::AuthorityError* error) override;
  bool present(std::string_view module, runtime::AuthorityError* error) override;
  bool resize(uint32_t width, uint32_t height, std::string* why) override;
  bool release(std::string_view module, uint64_t handle, runtime::AuthorityError* error) override;
  void release_all(std::string_view module) override;
  // How many objects `module` holds (tests).
  size_t live_objects(std::string_view module) const;
  // The bytes of buffers and textures each module may hold (default 512 MiB;
  // beyond it creating one is a GpuError). A module holds at most 100,000
  // objects of all kinds.
  void set_memory_budget(uint64_t bytes);

  // The window (src/authority/sdl_window): the VkInstance its surface is made
  // with, as an integer; then the surface (a VkSurfaceKHR, which this takes
  // over), checked and given a swapchain. Fails (with the reason) where the
  // device cannot present to it; the window then shows frames another way.
  uintptr_t instance_handle() const;
  base::Result<void> attach_surface(uint64_t surface, uint32_t width, uint32_t height);
  // Shows the surface's current image in the window: acquire, blit (scaled
  // to the window), present. An out-of-date swapchain is remade at
  // `width` x `height` (the window's size) before the next frame.
  base::Result<void> present_to_window(uint32_t width, uint32_t height);
  // The swapchain's description, for the log ("3 images, 640x480, FIFO").
  std::string swapchain_description() const;
  const std::vector<uint8_t>& frame() const override;
  uint64_t frames() const override;
  // The device's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
  std::string device_name() const;

 private:
  struct State;
  explicit VulkanGpu(std::unique_ptr<State> state);
  bool bind_buffer(std::string_view module, uint64_t pass, uint64_t buffer, bool index,
                   uint32_t format, runtime::AuthorityError* error);
  uint64_t make_compute_pipeline(std::string_view module, uint64_t shader, uint64_t layout,
                                 const std::vector<abi::GpuLayoutEntry>& derived,
                                 runtime::AuthorityError* error);
  std::unique_ptr<State> s_;
};

}  // namespace interstice::authority
