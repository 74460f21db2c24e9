// VulkanGpu's internals, shared by its source files: the objects behind
// modules' handles and the device state. Not part of any interface.
#pragma once

#include <fmt/format.h>
#include <shaderc/shaderc.h>
#include <vulkan/vulkan.h>

#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "authority/vulkan_gpu.h"

namespace interstice::authority {
namespace vk {

using abi::Status;
using runtime::AuthorityError;

constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_UNORM;
constexpr VkFormat kDepthFormat = VK_FORMAT_D32_SFLOAT;
// What one module may hold: objects of any kind, and bytes of buffers and
// textures (the device's memory is the node's: lavapipe's is host memory).
constexpr size_t kMaxObjects = 100'000;
constexpr uint64_t kDefaultMemoryBudget = 512ull << 20;
constexpr uint32_t kSpirvMagic = 0x07230203;

std::string vk_error(const char* what, VkResult r);
// Sets *error and returns false / the invalid handle 0.
bool fail(AuthorityError* error, Status status, std::string message);
uint64_t fail_handle(AuthorityError* error, Status status, std::string message);
struct Shader {
  VkShaderModule module = VK_NULL_HANDLE;
  uint32_t stage = 0;
};
struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void* mapped = nullptr;
  uint64_t size = 0;
  uint32_t usage = 0;
};
// A bind group layout's bindings, sorted by binding number. Bind groups and
// pipelines are compatible when their descriptions are equal.
using LayoutDesc = std::vector<abi::GpuLayoutEntry>;
bool same_layout(const LayoutDesc& a, const LayoutDesc& b);

struct BindGroupLayout {
  VkDescriptorSetLayout layout = VK_NULL_HANDLE;
  LayoutDesc entries;
};
struct PipelineLayout {
  VkPipelineLayout layout = VK_NULL_HANDLE;
  std::vector<uint64_t> set_handles;  // its bind group layouts, by set index
  std::vector<LayoutDesc> sets;
};
struct Pipeline {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;  // owned by the PipelineLayout object
  uint64_t layout_handle = 0;
  std::vector<uint64_t> set_handles;
  std::vector<LayoutDesc> sets;
  // A derived layout: one set of uniform buffers then textures (render), or
  // of storage buffers (compute), that draw and dispatch may name directly.
  bool derived = false;
  uint32_t uniform_buffers = 0;
  uint32_t textures = 0;
  bool vertex_buffer = false;
  bool depth = false;  // tests depth: runs only in passes with a depth attachment
};
struct ComputePipeline : Pipeline {};  // uniform_buffers counts its storage buffers
struct Texture {
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;
  VkFramebuffer framebuffer = VK_NULL_HANDLE;  // made when first rendered to
  uint32_t width = 0, height = 0;
  bool depth = false;  // a depth texture: only a render pass's depth attachment
};
struct Sampler {
  VkSampler sampler = VK_NULL_HANDLE;
};
// Resources bound once (a descriptor set) and reused by draws and dispatches.
struct BindGroup {
  VkDescriptorSet set = VK_NULL_HANDLE;
  LayoutDesc layout;
  uint64_t layout_handle = 0;       // the bind group layout it was made from
  std::vector<uint64_t> resources;  // buffers, textures and samplers it binds
  std::vector<uint64_t> textures;   // sampled, so never a target in the same pass
};
// The surface's texture for one frame: stale once presented or resized.
struct SurfaceTexture {
  uint64_t generation = 0;
};

// A command of a pass, validated when recorded; the Vulkan objects it names
// live as long as the back-end (objects are never destroyed before it).
struct PassCommand {
  enum Kind {
    SetPipeline,
    SetBindGroup,
    SetVertexBuffer,
    SetIndexBuffer,  // index: 0 uint16, 1 uint32
    Draw,
    DrawIndexed,  // counts: indices, instances, first index, first instance
    Dispatch
  } kind = Draw;
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  uint32_t index = 0;
  uint32_t counts[4] = {0, 0, 0, 0};  // draw: vertices, instances, first vertex, first instance
  uint64_t object = 0;                // the pipeline, bind group or buffer it names (a handle)
  int32_t base_vertex = 0;            // DrawIndexed
};
// A render or compute pass, or a buffer copy, as an encoder recorded it.
struct RecordedPass {
  enum Kind { Render, Compute, Copy } kind = Render;
  // Render: the target texture (0: the surface, at `generation`).
  uint64_t target = 0;
  uint64_t generation = 0;
  bool load = false;  // keep the target's pixels instead of clearing them
  float clear[4] = {0, 0, 0, 1};
  uint64_t depth_target = 0;  // a depth texture, cleared to depth_clear, or 0
  float depth_clear = 1.0f;
  std::vector<PassCommand> commands;
  // Copy.
  VkBuffer source = VK_NULL_HANDLE, destination = VK_NULL_HANDLE;
  VkBufferCopy region{};
  uint64_t source_handle = 0, destination_handle = 0;
};
struct CommandEncoder {
  std::vector<RecordedPass> passes;
  uint64_t open_pass = 0;  // the pass being recorded, or 0
};
// What an open pass has bound so far, to validate its draws and dispatches.
struct Pass {
  uint64_t encoder = 0;
  bool compute = false;
  uint64_t target = 0;  // render: the target texture, or 0
  bool depth = false;   // render: with a depth attachment
  uint64_t pipeline = 0;
  std::map<uint32_t, LayoutDesc> bound;
  bool vertex_buffer = false;
  bool index_buffer = false;
};
struct CommandBuffer {
  std::vector<RecordedPass> passes;
};

using Object =
    std::variant<Shader, Buffer, BindGroupLayout, PipelineLayout, Pipeline, ComputePipeline,
                 Texture, Sampler, BindGroup, SurfaceTexture, CommandEncoder, Pass, CommandBuffer>;
}  // namespace vk

struct VulkanGpu::State {
  using Object = vk::Object;
  using Buffer = vk::Buffer;
  using Texture = vk::Texture;
  using Pipeline = vk::Pipeline;
  using BindGroup = vk::BindGroup;
  using LayoutDesc = vk::LayoutDesc;
  using AuthorityError = runtime::AuthorityError;
  uint32_t width = 0, height = 0;
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkCommandBuffer compute_commands = VK_NULL_HANDLE;  // dispatches, outside frames
  VkFence fence = VK_NULL_HANDLE;
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory image_memory = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;
  // Render passes, by [with a depth attachment][into a texture][loading]:
  // into the surface (left ready to copy out) or into a texture (left ready
  // to sample), clearing or loading the colour; the depth attachment is
  // always cleared. Those of each depth row are compatible with each other.
  VkRenderPass passes[2][2][2] = {};
  VkRenderPass pass_for(bool depth, bool texture, bool load) const {
    return passes[depth][texture][load];
  }
  VkFramebuffer framebuffer = VK_NULL_HANDLE;
  Buffer readback;
  VkDescriptorPool descriptors = VK_NULL_HANDLE;  // per frame, reset by end_frame
  VkDescriptorPool bind_groups = VK_NULL_HANDLE;  // for BindGroup objects
  shaderc_compiler_t compiler = nullptr;
  std::string device_name;
  // Objects by module, then by handle (1, 2, ...; never reused).
  std::map<std::string, std::map<uint64_t, Object>, std::less<>> objects;
  uint64_t next_handle = 1;
  std::string frame_module;  // the module whose frame is open, or empty
  std::vector<uint8_t> pixels;
  uint64_t finished = 0;
  uint64_t surface_generation = 1;  // bumped by present and resize
  // The window's swapchain (vulkan_gpu_window.cc), when there is one.
  bool for_window = false;   // surface extensions enabled on the instance
  bool can_present = false;  // the device has VK_KHR_swapchain
  VkSurfaceKHR window_surface = VK_NULL_HANDLE;
  VkSwapchainKHR swapchain = VK_NULL_HANDLE;
  std::vector<VkImage> swapchain_images;
  VkExtent2D swapchain_extent{};
  bool swapchain_stale = false;  // out of date or suboptimal: remade before the next present
  std::string swapchain_description;
  VkSemaphore acquired = VK_NULL_HANDLE, blitted = VK_NULL_HANDLE;
  void destroy_swapchain();
  // Each module's Gpu memory (buffers and textures) and its budget.
  std::map<std::string, uint64_t, std::less<>> memory_used;
  uint64_t memory_budget = vk::kDefaultMemoryBudget;
  // Each module's surface texture of this frame (a SurfaceTexture handle).
  std::map<std::string, uint64_t, std::less<>> surface_textures;

  ~State();
  void destroy(const Object& object);
  bool memory_type(uint32_t bits, VkMemoryPropertyFlags wanted, uint32_t* index) const;
  // A host-visible, coherent, mapped buffer.
  bool make_buffer(uint64_t size, VkBufferUsageFlags usage, Buffer* out, std::string* why);
  base::Result<void> init();
  // An RGBA8 image of `usage` with its memory and view; empty, or why not.
  std::string make_image(uint32_t w, uint32_t h, VkImageUsageFlags usage, Texture* out,
                         VkFormat format = vk::kColorFormat);
  // A colour render pass: clearing or loading, ending in `final_layout`; with
  // `depth`, also a depth attachment, cleared.
  VkResult make_render_pass(bool load, VkImageLayout final_layout, bool depth, VkRenderPass* out);
  // A framebuffer of a colour view, or of a colour and a depth view.
  VkResult make_framebuffer(std::span<const VkImageView> views, uint32_t w, uint32_t h,
                            VkFramebuffer* out);
  // The surface: its image (left ready to copy out), framebuffer and readback buffer.
  base::Result<void> make_target();
  void destroy_target();
  // A bind group layout (sorted, validated) as an object of `module`.
  uint64_t make_bind_group_layout(std::string_view module, LayoutDesc entries,
                                  AuthorityError* error);
  // A pipeline layout over bind group layouts (by handle), as an object.
  uint64_t make_pipeline_layout(std::string_view module, const std::vector<uint64_t>& sets,
                                AuthorityError* error);
  // Points `p` at a pipeline layout: `layout`, or one derived from
  // `derived` (a single set) when `layout` is 0.
  bool attach_layout(std::string_view module, uint64_t layout, const LayoutDesc& derived,
                     Pipeline* p, AuthorityError* error);
  // Fills a descriptor set of `layout` (described by `desc`) from a pool with
  // the module's resources; the set and what it samples go to `out`.
  bool write_set(std::string_view module, VkDescriptorSetLayout layout, const LayoutDesc& desc,
                 const std::vector<abi::GpuBindGroupEntry>& entries, VkDescriptorPool pool,
                 BindGroup* out, AuthorityError* error);
  // The descriptor sets an immediate draw or dispatch of `p` binds.
  bool sets_for(std::string_view module, uint64_t handle, const Pipeline& p,
                const std::vector<uint64_t>& bindings, std::vector<VkDescriptorSet>* sets,
                AuthorityError* error);
  // A bind group of `layout` from its entries, as an object.
  uint64_t make_bind_group(std::string_view module, uint64_t layout,
                           const std::vector<abi::GpuBindGroupEntry>& entries,
                           AuthorityError* error);
  // Why the module's object `handle` cannot be released yet (another live
  // object or a recorded command uses it), or empty.
  std::string in_use(std::string_view module, uint64_t handle);
  // A render pass's framebuffer and size: the surface's, or a texture's.
  bool target_of(std::string_view module, uint64_t target, VkFramebuffer* framebuffer, uint32_t* w,
                 uint32_t* h, AuthorityError* error);

  // Records `record` into the one-off command buffer, submits it and waits.
  template <typename Record>
  VkResult run_once(Record record) {
    VkCommandBuffer cmd = compute_commands;
    vkResetCommandBuffer(cmd, 0);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vkBeginCommandBuffer(cmd, &begin);
    record(cmd);
    vkEndCommandBuffer(cmd);
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    vkResetFences(device, 1, &fence);
    VkResult r = vkQueueSubmit(queue, 1, &submit, fence);
    if (r == VK_SUCCESS) r = vkWaitForFences(device, 1, &fence, VK_TRUE, 10'000'000'000ull);
    return r;
  }

  template <typename T>
  T* find(std::string_view module, uint64_t handle) {
    auto m = objects.find(module);
    if (m == objects.end()) return nullptr;
    auto it = m->second.find(handle);
    return it == m->second.end() ? nullptr : std::get_if<T>(&it->second);
  }

  // The module's new object's handle; or 0 (the object destroyed, the error
  // set) when the module already holds kMaxObjects objects or the object's
  // memory would take it over its budget.
  uint64_t add(std::string_view module, Object object, AuthorityError* error) {
    auto m = objects.find(module);
    if (m == objects.end())
      m = objects.emplace(std::string(module), std::map<uint64_t, Object>{}).first;
    uint64_t bytes = footprint(object);
    std::string why = m->second.size() >= vk::kMaxObjects
                          ? fmt::format("module holds {} Gpu objects already", vk::kMaxObjects)
                          : fits(module, bytes);
    if (!why.empty()) {
      destroy(object);
      error->status = abi::Status::GpuError;
      error->message = why;
      return 0;
    }
    memory_used[std::string(module)] += bytes;
    uint64_t handle = next_handle++;
    m->second.emplace(handle, std::move(object));
    return handle;
  }
  // Empty if `bytes` more of Gpu memory keep the module within its budget;
  // else why not.
  std::string fits(std::string_view module, uint64_t bytes) const {
    auto used = memory_used.find(module);
    uint64_t now = used == memory_used.end() ? 0 : used->second;
    if (bytes <= memory_budget && now <= memory_budget - bytes) return {};
    return fmt::format(
        "{} bytes more would take the module's Gpu memory from {} past its budget "
        "of {} bytes",
        bytes, now, memory_budget);
  }
  // The Gpu memory an object holds (buffers and textures), for the budget.
  static uint64_t footprint(const Object& object) {
    if (const Buffer* b = std::get_if<Buffer>(&object)) return b->size;
    if (const Texture* t = std::get_if<Texture>(&object))
      return static_cast<uint64_t>(t->width) * t->height * 4;
    return 0;
  }
};

}  // namespace interstice::authority
