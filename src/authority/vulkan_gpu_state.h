// VulkanGpu's internals, shared by its source files: the objects behind
// modules' handles and the device state. Not part of any interface.
#pragma once

#include <shaderc/shaderc.h>
#include <vulkan/vulkan.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "authority/vulkan_gpu.h"

namespace interstice::authority {
namespace vk {

using abi::Status;
using runtime::AuthorityError;

constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_UNORM;
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
struct Pipeline {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  uint32_t uniform_buffers = 0;
  uint32_t textures = 0;
  bool vertex_buffer = false;
};
struct ComputePipeline : Pipeline {};  // uniform_buffers counts its storage buffers
struct Texture {
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;
  uint32_t width = 0, height = 0;
};
struct Sampler {
  VkSampler sampler = VK_NULL_HANDLE;
};
// A render pipeline's resources, bound once and reused by draws.
struct BindGroup {
  VkDescriptorSet set = VK_NULL_HANDLE;
  uint64_t pipeline = 0;
};
using Object = std::variant<Shader, Buffer, Pipeline, ComputePipeline, Texture, Sampler, BindGroup>;
}  // namespace vk

struct VulkanGpu::State {
  using Object = vk::Object;
  using Buffer = vk::Buffer;
  using Texture = vk::Texture;
  using Pipeline = vk::Pipeline;
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
  VkRenderPass render_pass = VK_NULL_HANDLE;
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

  ~State();
  void destroy(const Object& object);
  bool memory_type(uint32_t bits, VkMemoryPropertyFlags wanted, uint32_t* index) const;
  // A host-visible, coherent, mapped buffer.
  bool make_buffer(uint64_t size, VkBufferUsageFlags usage, Buffer* out, std::string* why);
  engine::Result<void> init();
  // The colour image, its render pass and framebuffer, and the readback buffer.
  // An RGBA8 image of `usage` with its memory and view; empty, or why not.
  std::string make_image(uint32_t w, uint32_t h, VkImageUsageFlags usage, Texture* out);
  // The colour image, its render pass and framebuffer, and the readback buffer.
  engine::Result<void> make_target();
  // The descriptor set layout (set 0) and pipeline layout of a pipeline.
  VkResult make_layout(const std::vector<VkDescriptorSetLayoutBinding>& bindings, Pipeline* p);
  // A descriptor set of `layout`: infos[i] at binding i, then images[j] at
  // binding infos.size() + j.
  VkResult buffer_set(VkDescriptorSetLayout layout, VkDescriptorType type,
                      const std::vector<VkDescriptorBufferInfo>& infos, VkDescriptorSet* set,
                      const std::vector<VkDescriptorImageInfo>& images = {},
                      VkDescriptorPool pool = VK_NULL_HANDLE);

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

  uint64_t add(std::string_view module, Object object) {
    uint64_t handle = next_handle++;
    auto m = objects.find(module);
    if (m == objects.end())
      m = objects.emplace(std::string(module), std::map<uint64_t, Object>{}).first;
    m->second.emplace(handle, std::move(object));
    return handle;
  }
};

}  // namespace interstice::authority
