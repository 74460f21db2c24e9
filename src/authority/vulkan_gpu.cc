#include "authority/vulkan_gpu.h"

#include <fmt/format.h>
#include <shaderc/shaderc.h>
#include <vulkan/vulkan.h>

#include <cstring>
#include <map>
#include <variant>

namespace interstice::authority {
namespace {

using abi::Status;
using runtime::AuthorityError;

constexpr VkFormat kColorFormat = VK_FORMAT_R8G8B8A8_UNORM;
constexpr uint32_t kSpirvMagic = 0x07230203;

std::string vk_error(const char* what, VkResult r) {
  return fmt::format("{} failed (VkResult {})", what, static_cast<int>(r));
}

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

}  // namespace

struct VulkanGpu::State {
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

  ~State() {
    if (device) {
      vkDeviceWaitIdle(device);
      for (auto& [module, list] : objects)
        for (auto& [handle, object] : list) destroy(object);
      destroy(Object{readback});
      if (descriptors) vkDestroyDescriptorPool(device, descriptors, nullptr);
      if (bind_groups) vkDestroyDescriptorPool(device, bind_groups, nullptr);
      if (framebuffer) vkDestroyFramebuffer(device, framebuffer, nullptr);
      if (render_pass) vkDestroyRenderPass(device, render_pass, nullptr);
      if (view) vkDestroyImageView(device, view, nullptr);
      if (image) vkDestroyImage(device, image, nullptr);
      if (image_memory) vkFreeMemory(device, image_memory, nullptr);
      if (fence) vkDestroyFence(device, fence, nullptr);
      if (pool) vkDestroyCommandPool(device, pool, nullptr);
      vkDestroyDevice(device, nullptr);
    }
    if (instance) vkDestroyInstance(instance, nullptr);
    if (compiler) shaderc_compiler_release(compiler);
  }

  void destroy(const Object& object) {
    if (const Shader* s = std::get_if<Shader>(&object)) {
      vkDestroyShaderModule(device, s->module, nullptr);
    } else if (const Buffer* b = std::get_if<Buffer>(&object)) {
      if (b->buffer) vkDestroyBuffer(device, b->buffer, nullptr);
      if (b->memory) vkFreeMemory(device, b->memory, nullptr);
    } else if (const Texture* t = std::get_if<Texture>(&object)) {
      if (t->view) vkDestroyImageView(device, t->view, nullptr);
      if (t->image) vkDestroyImage(device, t->image, nullptr);
      if (t->memory) vkFreeMemory(device, t->memory, nullptr);
    } else if (const Sampler* sm = std::get_if<Sampler>(&object)) {
      vkDestroySampler(device, sm->sampler, nullptr);
    } else if (const BindGroup* g = std::get_if<BindGroup>(&object)) {
      vkFreeDescriptorSets(device, bind_groups, 1, &g->set);
    } else {
      const Pipeline* p = std::get_if<Pipeline>(&object);
      if (!p) p = std::get_if<ComputePipeline>(&object);
      if (p->pipeline) vkDestroyPipeline(device, p->pipeline, nullptr);
      if (p->layout) vkDestroyPipelineLayout(device, p->layout, nullptr);
      if (p->set_layout) vkDestroyDescriptorSetLayout(device, p->set_layout, nullptr);
    }
  }

  bool memory_type(uint32_t bits, VkMemoryPropertyFlags wanted, uint32_t* index) const {
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(physical, &props);
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i)
      if ((bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & wanted) == wanted) {
        *index = i;
        return true;
      }
    return false;
  }

  // A host-visible, coherent, mapped buffer.
  bool make_buffer(uint64_t size, VkBufferUsageFlags usage, Buffer* out, std::string* why) {
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    if (VkResult r = vkCreateBuffer(device, &info, nullptr, &out->buffer); r != VK_SUCCESS)
      return *why = vk_error("vkCreateBuffer", r), false;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, out->buffer, &req);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    if (!memory_type(req.memoryTypeBits,
                     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                     &alloc.memoryTypeIndex))
      return *why = "no host-visible memory", false;
    if (VkResult r = vkAllocateMemory(device, &alloc, nullptr, &out->memory); r != VK_SUCCESS)
      return *why = vk_error("vkAllocateMemory", r), false;
    vkBindBufferMemory(device, out->buffer, out->memory, 0);
    if (VkResult r = vkMapMemory(device, out->memory, 0, size, 0, &out->mapped); r != VK_SUCCESS)
      return *why = vk_error("vkMapMemory", r), false;
    out->size = size;
    return true;
  }

  engine::Result<void> init() {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "interstice";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo instance_info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    instance_info.pApplicationInfo = &app;
    if (VkResult r = vkCreateInstance(&instance_info, nullptr, &instance); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateInstance", r) +
                                ": is a Vulkan driver installed?");
    uint32_t count = 0;
    vkEnumeratePhysicalDevices(instance, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    vkEnumeratePhysicalDevices(instance, &count, devices.data());
    for (VkPhysicalDevice candidate : devices) {
      uint32_t families = 0;
      vkGetPhysicalDeviceQueueFamilyProperties(candidate, &families, nullptr);
      std::vector<VkQueueFamilyProperties> props(families);
      vkGetPhysicalDeviceQueueFamilyProperties(candidate, &families, props.data());
      for (uint32_t i = 0; i < families; ++i)
        if (props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
          physical = candidate;
          queue_family = i;
          break;
        }
      if (physical) break;
    }
    if (!physical) return engine::make_error("no Vulkan device with a graphics queue");
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(physical, &props);
    device_name = props.deviceName;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = queue_family;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    if (VkResult r = vkCreateDevice(physical, &device_info, nullptr, &device); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateDevice", r));
    vkGetDeviceQueue(device, queue_family, 0, &queue);
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = queue_family;
    if (VkResult r = vkCreateCommandPool(device, &pool_info, nullptr, &pool); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateCommandPool", r));
    VkCommandBufferAllocateInfo cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cmd_info.commandPool = pool;
    cmd_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmd_info.commandBufferCount = 1;
    vkAllocateCommandBuffers(device, &cmd_info, &commands);
    vkAllocateCommandBuffers(device, &cmd_info, &compute_commands);
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    vkCreateFence(device, &fence_info, nullptr, &fence);
    if (auto r = make_target(); !r) return r;
    VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 4096},
                                    {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4096},
                                    {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 4096}};
    VkDescriptorPoolCreateInfo dp{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dp.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
    dp.maxSets = 1024;
    dp.poolSizeCount = 3;
    dp.pPoolSizes = sizes;
    if (VkResult r = vkCreateDescriptorPool(device, &dp, nullptr, &descriptors); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateDescriptorPool", r));
    if (VkResult r = vkCreateDescriptorPool(device, &dp, nullptr, &bind_groups); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateDescriptorPool", r));
    compiler = shaderc_compiler_initialize();
    if (!compiler) return engine::make_error("shaderc did not initialize");
    pixels.assign(static_cast<size_t>(width) * height * 4, 0);
    return {};
  }

  // The colour image, its render pass and framebuffer, and the readback buffer.
  // An RGBA8 image of `usage` with its memory and view; empty, or why not.
  std::string make_image(uint32_t w, uint32_t h, VkImageUsageFlags usage, Texture* out) {
    out->width = w;
    out->height = h;
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = kColorFormat;
    info.extent = {w, h, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = usage;
    if (VkResult r = vkCreateImage(device, &info, nullptr, &out->image); r != VK_SUCCESS)
      return vk_error("vkCreateImage", r);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(device, out->image, &req);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    if (!memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                     &alloc.memoryTypeIndex) &&
        !memory_type(req.memoryTypeBits, 0, &alloc.memoryTypeIndex))
      return "no memory for an image";
    if (VkResult r = vkAllocateMemory(device, &alloc, nullptr, &out->memory); r != VK_SUCCESS)
      return vk_error("vkAllocateMemory", r);
    vkBindImageMemory(device, out->image, out->memory, 0);
    VkImageViewCreateInfo view_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    view_info.image = out->image;
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = kColorFormat;
    view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    if (VkResult r = vkCreateImageView(device, &view_info, nullptr, &out->view); r != VK_SUCCESS)
      return vk_error("vkCreateImageView", r);
    return {};
  }

  // The colour image, its render pass and framebuffer, and the readback buffer.
  engine::Result<void> make_target() {
    Texture target;
    std::string why =
        make_image(width, height,
                   VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT, &target);
    image = target.image;
    image_memory = target.memory;
    view = target.view;
    if (!why.empty()) return engine::make_error(why);
    VkAttachmentDescription color{};
    color.format = kColorFormat;
    color.samples = VK_SAMPLE_COUNT_1_BIT;
    color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    color.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    color.finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass{};
    subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
    subpass.colorAttachmentCount = 1;
    subpass.pColorAttachments = &ref;
    VkRenderPassCreateInfo rp{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
    rp.attachmentCount = 1;
    rp.pAttachments = &color;
    rp.subpassCount = 1;
    rp.pSubpasses = &subpass;
    if (VkResult r = vkCreateRenderPass(device, &rp, nullptr, &render_pass); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateRenderPass", r));
    VkFramebufferCreateInfo fb{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
    fb.renderPass = render_pass;
    fb.attachmentCount = 1;
    fb.pAttachments = &view;
    fb.width = width;
    fb.height = height;
    fb.layers = 1;
    if (VkResult r = vkCreateFramebuffer(device, &fb, nullptr, &framebuffer); r != VK_SUCCESS)
      return engine::make_error(vk_error("vkCreateFramebuffer", r));
    if (!make_buffer(static_cast<uint64_t>(width) * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                     &readback, &why))
      return engine::make_error(why);
    return {};
  }

  // The descriptor set layout (set 0) and pipeline layout of a pipeline.
  VkResult make_layout(const std::vector<VkDescriptorSetLayoutBinding>& bindings, Pipeline* p) {
    VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_info.bindingCount = static_cast<uint32_t>(bindings.size());
    set_info.pBindings = bindings.data();
    if (VkResult r = vkCreateDescriptorSetLayout(device, &set_info, nullptr, &p->set_layout);
        r != VK_SUCCESS)
      return r;
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &p->set_layout;
    return vkCreatePipelineLayout(device, &layout_info, nullptr, &p->layout);
  }

  // A descriptor set of `layout`: infos[i] at binding i, then images[j] at
  // binding infos.size() + j.
  VkResult buffer_set(VkDescriptorSetLayout layout, VkDescriptorType type,
                      const std::vector<VkDescriptorBufferInfo>& infos, VkDescriptorSet* set,
                      const std::vector<VkDescriptorImageInfo>& images = {},
                      VkDescriptorPool pool = VK_NULL_HANDLE) {
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = pool ? pool : descriptors;
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &layout;
    if (VkResult r = vkAllocateDescriptorSets(device, &alloc, set); r != VK_SUCCESS) return r;
    std::vector<VkWriteDescriptorSet> writes;
    for (uint32_t i = 0; i < infos.size(); ++i) {
      VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      w.dstSet = *set;
      w.dstBinding = i;
      w.descriptorCount = 1;
      w.descriptorType = type;
      w.pBufferInfo = &infos[i];
      writes.push_back(w);
    }
    for (uint32_t j = 0; j < images.size(); ++j) {
      VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      w.dstSet = *set;
      w.dstBinding = static_cast<uint32_t>(infos.size()) + j;
      w.descriptorCount = 1;
      w.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
      w.pImageInfo = &images[j];
      writes.push_back(w);
    }
    vkUpdateDescriptorSets(device, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
    return VK_SUCCESS;
  }

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

namespace {

bool fail(AuthorityError* error, Status status, std::string message) {
  *error = AuthorityError{status, std::move(message)};
  return false;
}
uint64_t fail_handle(AuthorityError* error, Status status, std::string message) {
  *error = AuthorityError{status, std::move(message)};
  return 0;
}

}  // namespace

engine::Result<std::unique_ptr<VulkanGpu>> VulkanGpu::create(uint32_t width, uint32_t height) {
  if (width == 0 || height == 0 || width > 8192 || height > 8192)
    return engine::make_error(fmt::format("a {}x{} surface is not supported", width, height));
  auto state = std::make_unique<State>();
  state->width = width;
  state->height = height;
  if (auto r = state->init(); !r) return r.take_error();
  return std::unique_ptr<VulkanGpu>(new VulkanGpu(std::move(state)));
}

VulkanGpu::VulkanGpu(std::unique_ptr<State> state) : s_(std::move(state)) {}
VulkanGpu::~VulkanGpu() = default;
uint32_t VulkanGpu::width() const {
  return s_->width;
}
uint32_t VulkanGpu::height() const {
  return s_->height;
}
const std::vector<uint8_t>& VulkanGpu::frame() const {
  return s_->pixels;
}
uint64_t VulkanGpu::frames() const {
  return s_->finished;
}
std::string VulkanGpu::device_name() const {
  return s_->device_name;
}

uint64_t VulkanGpu::create_shader(std::string_view module, uint32_t stage, runtime::ByteView source,
                                  AuthorityError* error) {
  if (stage > 2) return fail_handle(error, Status::ShaderError, "shader stage must be 0, 1 or 2");
  std::vector<uint32_t> spirv;
  uint32_t first = 0;
  if (source.size() >= 4) std::memcpy(&first, source.data(), 4);
  if (first == kSpirvMagic && source.size() % 4 == 0) {
    spirv.resize(source.size() / 4);
    std::memcpy(spirv.data(), source.data(), source.size());
  } else {
    shaderc_compilation_result_t result = shaderc_compile_into_spv(
        s_->compiler, reinterpret_cast<const char*>(source.data()), source.size(),
        stage == 0   ? shaderc_vertex_shader
        : stage == 1 ? shaderc_fragment_shader
                     : shaderc_compute_shader,
        "module.glsl", "main", nullptr);
    bool ok = shaderc_result_get_compilation_status(result) == shaderc_compilation_status_success;
    std::string messages = shaderc_result_get_error_message(result);
    if (ok) {
      spirv.resize(shaderc_result_get_length(result) / 4);
      std::memcpy(spirv.data(), shaderc_result_get_bytes(result), spirv.size() * 4);
    }
    shaderc_result_release(result);
    if (!ok) return fail_handle(error, Status::ShaderError, "shader: " + messages);
  }
  VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  info.codeSize = spirv.size() * 4;
  info.pCode = spirv.data();
  Shader shader{VK_NULL_HANDLE, stage};
  if (VkResult r = vkCreateShaderModule(s_->device, &info, nullptr, &shader.module);
      r != VK_SUCCESS)
    return fail_handle(error, Status::ShaderError, vk_error("vkCreateShaderModule", r));
  return s_->add(module, shader);
}

uint64_t VulkanGpu::create_buffer(std::string_view module, uint64_t size, uint32_t usage,
                                  AuthorityError* error) {
  if (size == 0 || size > (64u << 20) || usage == 0 || usage > 7)
    return fail_handle(error, Status::GpuError,
                       fmt::format("buffer of {} bytes with usage {} refused", size, usage));
  Buffer buffer;
  buffer.usage = usage;
  VkBufferUsageFlags flags = ((usage & 1) ? VK_BUFFER_USAGE_VERTEX_BUFFER_BIT : 0) |
                             ((usage & 2) ? VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT : 0) |
                             ((usage & 4) ? VK_BUFFER_USAGE_STORAGE_BUFFER_BIT : 0);
  std::string why;
  if (!s_->make_buffer(size, flags, &buffer, &why)) {
    s_->destroy(Object{buffer});
    return fail_handle(error, Status::GpuError, why);
  }
  std::memset(buffer.mapped, 0, size);
  return s_->add(module, buffer);
}

bool VulkanGpu::write_buffer(std::string_view module, uint64_t handle, uint64_t offset,
                             runtime::ByteView data, AuthorityError* error) {
  Buffer* buffer = s_->find<Buffer>(module, handle);
  if (!buffer) return fail(error, Status::InvalidHandle, fmt::format("no buffer {}", handle));
  if (offset > buffer->size || data.size() > buffer->size - offset)
    return fail(error, Status::GpuError,
                fmt::format("writing {} bytes at {} overflows buffer {} ({} bytes)", data.size(),
                            offset, handle, buffer->size));
  std::memcpy(static_cast<uint8_t*>(buffer->mapped) + offset, data.data(), data.size());
  return true;
}

uint64_t VulkanGpu::create_pipeline(std::string_view module, const runtime::GpuPipelineDesc& desc,
                                    AuthorityError* error) {
  Shader* vs = s_->find<Shader>(module, desc.vertex_shader);
  Shader* fs = s_->find<Shader>(module, desc.fragment_shader);
  if (!vs || vs->stage != 0 || !fs || fs->stage != 1)
    return fail_handle(error, Status::InvalidHandle,
                       "a pipeline needs a vertex shader and a fragment shader of this module");
  if (desc.uniform_buffers > 8 || desc.attributes.size() > 16)
    return fail_handle(error, Status::GpuError, "at most 8 uniform buffers and 16 attributes");
  static constexpr VkFormat kFormats[] = {VK_FORMAT_R32_SFLOAT, VK_FORMAT_R32G32_SFLOAT,
                                          VK_FORMAT_R32G32B32_SFLOAT,
                                          VK_FORMAT_R32G32B32A32_SFLOAT};
  std::vector<VkVertexInputAttributeDescription> attributes;
  for (const runtime::GpuAttribute& a : desc.attributes) {
    if (a.format > 3 || desc.vertex_stride == 0)
      return fail_handle(error, Status::GpuError, "bad vertex attribute (format 0-3, stride > 0)");
    attributes.push_back({a.location, 0, kFormats[a.format], a.offset});
  }
  Pipeline p;
  if (desc.textures > 8) return fail_handle(error, Status::GpuError, "at most 8 textures");
  p.uniform_buffers = desc.uniform_buffers;
  p.textures = desc.textures;
  p.vertex_buffer = desc.vertex_stride > 0;
  std::vector<VkDescriptorSetLayoutBinding> bindings;
  for (uint32_t i = 0; i < desc.uniform_buffers; ++i)
    bindings.push_back({i, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1,
                        VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, nullptr});
  for (uint32_t i = 0; i < desc.textures; ++i)
    bindings.push_back({desc.uniform_buffers + i, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1,
                        VK_SHADER_STAGE_FRAGMENT_BIT, nullptr});
  if (VkResult r = s_->make_layout(bindings, &p); r != VK_SUCCESS) {
    s_->destroy(Object{p});
    return fail_handle(error, Status::GpuError, vk_error("the pipeline layout", r));
  }

  VkPipelineShaderStageCreateInfo stages[2] = {
      {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_VERTEX_BIT,
       vs->module, "main", nullptr},
      {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0,
       VK_SHADER_STAGE_FRAGMENT_BIT, fs->module, "main", nullptr}};
  VkVertexInputBindingDescription binding{0, desc.vertex_stride, VK_VERTEX_INPUT_RATE_VERTEX};
  VkPipelineVertexInputStateCreateInfo vertex_input{
      VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  if (p.vertex_buffer) {
    vertex_input.vertexBindingDescriptionCount = 1;
    vertex_input.pVertexBindingDescriptions = &binding;
    vertex_input.vertexAttributeDescriptionCount = static_cast<uint32_t>(attributes.size());
    vertex_input.pVertexAttributeDescriptions = attributes.data();
  }
  VkPipelineInputAssemblyStateCreateInfo assembly{
      VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;
  VkPipelineRasterizationStateCreateInfo raster{
      VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  raster.cullMode = VK_CULL_MODE_NONE;
  raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  raster.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo multisample{
      VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
  VkPipelineColorBlendAttachmentState blend_attachment{};
  blend_attachment.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                    VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo blend{
      VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  blend.attachmentCount = 1;
  blend.pAttachments = &blend_attachment;
  VkDynamicState dynamic_states[] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
  dynamic.dynamicStateCount = 2;
  dynamic.pDynamicStates = dynamic_states;
  VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  info.stageCount = 2;
  info.pStages = stages;
  info.pVertexInputState = &vertex_input;
  info.pInputAssemblyState = &assembly;
  info.pViewportState = &viewport;
  info.pRasterizationState = &raster;
  info.pMultisampleState = &multisample;
  info.pColorBlendState = &blend;
  info.pDynamicState = &dynamic;
  info.layout = p.layout;
  info.renderPass = s_->render_pass;
  if (VkResult r =
          vkCreateGraphicsPipelines(s_->device, VK_NULL_HANDLE, 1, &info, nullptr, &p.pipeline);
      r != VK_SUCCESS) {
    s_->destroy(Object{p});
    return fail_handle(error, Status::GpuError, vk_error("vkCreateGraphicsPipelines", r));
  }
  return s_->add(module, p);
}

bool VulkanGpu::begin_frame(std::string_view module, const float clear[4], AuthorityError* error) {
  if (!s_->frame_module.empty())
    return fail(error, Status::NoFrame, "a frame is already open (end_frame first)");
  vkResetCommandBuffer(s_->commands, 0);
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  if (VkResult r = vkBeginCommandBuffer(s_->commands, &begin); r != VK_SUCCESS)
    return fail(error, Status::GpuError, vk_error("vkBeginCommandBuffer", r));
  VkClearValue clear_value{};
  std::memcpy(clear_value.color.float32, clear, sizeof(float) * 4);
  VkRenderPassBeginInfo pass{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  pass.renderPass = s_->render_pass;
  pass.framebuffer = s_->framebuffer;
  pass.renderArea = {{0, 0}, {s_->width, s_->height}};
  pass.clearValueCount = 1;
  pass.pClearValues = &clear_value;
  vkCmdBeginRenderPass(s_->commands, &pass, VK_SUBPASS_CONTENTS_INLINE);
  VkViewport viewport{0, 0, static_cast<float>(s_->width), static_cast<float>(s_->height), 0, 1};
  VkRect2D scissor{{0, 0}, {s_->width, s_->height}};
  vkCmdSetViewport(s_->commands, 0, 1, &viewport);
  vkCmdSetScissor(s_->commands, 0, 1, &scissor);
  s_->frame_module = std::string(module);
  return true;
}

namespace {

// The resources `bindings` names for pipeline `p`: its uniform buffers, then
// a (texture, sampler) pair per texture; false (with the reason) otherwise.
template <typename Find>
bool resolve(Find find, uint64_t pipeline_handle, const Pipeline& p,
             const std::vector<uint64_t>& bindings, std::vector<VkDescriptorBufferInfo>* infos,
             std::vector<VkDescriptorImageInfo>* images, AuthorityError* error) {
  if (bindings.size() != p.uniform_buffers + 2 * p.textures)
    return fail(error, Status::GpuError,
                fmt::format("pipeline {} takes {} uniform buffers and {} (texture, sampler) "
                            "pairs: {} handles, not {}",
                            pipeline_handle, p.uniform_buffers, p.textures,
                            p.uniform_buffers + 2 * p.textures, bindings.size()));
  for (uint32_t i = 0; i < p.uniform_buffers; ++i) {
    Buffer* b = find.template operator()<Buffer>(bindings[i]);
    if (!b || !(b->usage & 2))
      return fail(error, Status::InvalidHandle, fmt::format("no uniform buffer {}", bindings[i]));
    infos->push_back({b->buffer, 0, b->size});
  }
  for (uint32_t j = 0; j < p.textures; ++j) {
    uint64_t t = bindings[p.uniform_buffers + 2 * j];
    uint64_t sm = bindings[p.uniform_buffers + 2 * j + 1];
    Texture* texture = find.template operator()<Texture>(t);
    Sampler* sampler = find.template operator()<Sampler>(sm);
    if (!texture || !sampler)
      return fail(error, Status::InvalidHandle, fmt::format("no texture {} or sampler {}", t, sm));
    images->push_back({sampler->sampler, texture->view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL});
  }
  return true;
}

}  // namespace

uint64_t VulkanGpu::create_bind_group(std::string_view module, uint64_t pipeline_handle,
                                      const std::vector<uint64_t>& bindings,
                                      AuthorityError* error) {
  Pipeline* p = s_->find<Pipeline>(module, pipeline_handle);
  if (!p)
    return fail_handle(error, Status::InvalidHandle,
                       fmt::format("no pipeline {}", pipeline_handle));
  std::vector<VkDescriptorBufferInfo> infos;
  std::vector<VkDescriptorImageInfo> images;
  auto find = [&]<typename T>(uint64_t h) { return s_->find<T>(module, h); };
  if (!resolve(find, pipeline_handle, *p, bindings, &infos, &images, error)) return 0;
  BindGroup group{VK_NULL_HANDLE, pipeline_handle};
  if (VkResult r = s_->buffer_set(p->set_layout, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, infos,
                                  &group.set, images, s_->bind_groups);
      r != VK_SUCCESS)
    return fail_handle(error, Status::GpuError, vk_error("vkAllocateDescriptorSets", r));
  return s_->add(module, group);
}

bool VulkanGpu::draw(std::string_view module, uint64_t pipeline_handle, uint64_t vertex_buffer,
                     const std::vector<uint64_t>& bindings, uint32_t vertex_count,
                     uint32_t instance_count, AuthorityError* error) {
  if (s_->frame_module != module) return fail(error, Status::NoFrame, "draw outside a frame");
  Pipeline* p = s_->find<Pipeline>(module, pipeline_handle);
  if (!p) return fail(error, Status::InvalidHandle, fmt::format("no pipeline {}", pipeline_handle));
  Buffer* vertices = nullptr;
  if (p->vertex_buffer) {
    vertices = s_->find<Buffer>(module, vertex_buffer);
    if (!vertices || !(vertices->usage & 1))
      return fail(error, Status::InvalidHandle, fmt::format("no vertex buffer {}", vertex_buffer));
  }
  // One bind group made for this pipeline, or the resources themselves.
  VkDescriptorSet set = VK_NULL_HANDLE;
  BindGroup* group = bindings.size() == 1 ? s_->find<BindGroup>(module, bindings[0]) : nullptr;
  if (group && group->pipeline != pipeline_handle)
    return fail(error, Status::InvalidHandle,
                fmt::format("bind group {} was made for pipeline {}, not {}", bindings[0],
                            group->pipeline, pipeline_handle));
  if (group) {
    set = group->set;
  } else {
    std::vector<VkDescriptorBufferInfo> infos;
    std::vector<VkDescriptorImageInfo> images;
    auto find = [&]<typename T>(uint64_t h) { return s_->find<T>(module, h); };
    if (!resolve(find, pipeline_handle, *p, bindings, &infos, &images, error)) return false;
    if (!infos.empty() || !images.empty())
      if (VkResult r =
              s_->buffer_set(p->set_layout, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, infos, &set, images);
          r != VK_SUCCESS)
        return fail(error, Status::GpuError, vk_error("vkAllocateDescriptorSets", r));
  }
  vkCmdBindPipeline(s_->commands, VK_PIPELINE_BIND_POINT_GRAPHICS, p->pipeline);
  if (set)
    vkCmdBindDescriptorSets(s_->commands, VK_PIPELINE_BIND_POINT_GRAPHICS, p->layout, 0, 1, &set, 0,
                            nullptr);
  if (vertices) {
    VkDeviceSize offset = 0;
    vkCmdBindVertexBuffers(s_->commands, 0, 1, &vertices->buffer, &offset);
  }
  vkCmdDraw(s_->commands, vertex_count, instance_count, 0, 0);
  return true;
}

void VulkanGpu::abandon_frame() {
  if (s_->frame_module.empty()) return;
  s_->frame_module.clear();
  vkCmdEndRenderPass(s_->commands);
  vkEndCommandBuffer(s_->commands);
  vkResetDescriptorPool(s_->device, s_->descriptors, 0);
}

uint64_t VulkanGpu::create_texture(std::string_view module, uint32_t width, uint32_t height,
                                   AuthorityError* error) {
  if (width == 0 || height == 0 || width > 4096 || height > 4096)
    return fail_handle(
        error, Status::GpuError,
        fmt::format("a {}x{} texture is refused (at most 4096x4096)", width, height));
  Texture t;
  if (std::string why = s_->make_image(
          width, height, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT, &t);
      !why.empty()) {
    s_->destroy(Object{t});
    return fail_handle(error, Status::GpuError, why);
  }
  uint64_t handle = s_->add(module, t);
  // A new texture is transparent black, ready to sample.
  std::vector<uint8_t> zeros(static_cast<size_t>(width) * height * 4, 0);
  if (!write_texture(module, handle, zeros, error)) return 0;
  return handle;
}

bool VulkanGpu::write_texture(std::string_view module, uint64_t handle, runtime::ByteView rgba,
                              AuthorityError* error) {
  Texture* t = s_->find<Texture>(module, handle);
  if (!t) return fail(error, Status::InvalidHandle, fmt::format("no texture {}", handle));
  size_t expected = static_cast<size_t>(t->width) * t->height * 4;
  if (rgba.size() != expected)
    return fail(error, Status::GpuError,
                fmt::format("texture {} is {}x{}: {} bytes, not {}", handle, t->width, t->height,
                            expected, rgba.size()));
  Buffer staging;
  std::string why;
  if (!s_->make_buffer(rgba.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &staging, &why)) {
    s_->destroy(Object{staging});
    return fail(error, Status::GpuError, why);
  }
  std::memcpy(staging.mapped, rgba.data(), rgba.size());
  VkImage image = t->image;
  VkExtent3D extent{t->width, t->height, 1};
  VkResult r = s_->run_once([&](VkCommandBuffer cmd) {
    VkImageMemoryBarrier to_copy{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    to_copy.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_copy.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_copy.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_copy.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_copy.image = image;
    to_copy.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    to_copy.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                         0, nullptr, 0, nullptr, 1, &to_copy);
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    copy.imageExtent = extent;
    vkCmdCopyBufferToImage(cmd, staging.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                           &copy);
    VkImageMemoryBarrier to_sample = to_copy;
    to_sample.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_sample.newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    to_sample.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_sample.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                         0, 0, nullptr, 0, nullptr, 1, &to_sample);
  });
  s_->destroy(Object{staging});
  if (r != VK_SUCCESS) return fail(error, Status::GpuError, vk_error("the texture upload", r));
  return true;
}

uint64_t VulkanGpu::create_sampler(std::string_view module, uint32_t filter,
                                   AuthorityError* error) {
  if (filter > 1) return fail_handle(error, Status::GpuError, "sampler filter must be 0 or 1");
  VkSamplerCreateInfo info{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
  info.magFilter = filter ? VK_FILTER_LINEAR : VK_FILTER_NEAREST;
  info.minFilter = info.magFilter;
  info.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  info.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  info.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  Sampler sampler;
  if (VkResult r = vkCreateSampler(s_->device, &info, nullptr, &sampler.sampler); r != VK_SUCCESS)
    return fail_handle(error, Status::GpuError, vk_error("vkCreateSampler", r));
  return s_->add(module, sampler);
}

uint64_t VulkanGpu::create_compute_pipeline(std::string_view module, uint64_t shader,
                                            uint32_t storage_buffers, AuthorityError* error) {
  Shader* cs = s_->find<Shader>(module, shader);
  if (!cs || cs->stage != 2)
    return fail_handle(error, Status::InvalidHandle, "a compute pipeline needs a compute shader");
  if (storage_buffers > 8) return fail_handle(error, Status::GpuError, "at most 8 storage buffers");
  ComputePipeline p;
  p.uniform_buffers = storage_buffers;
  std::vector<VkDescriptorSetLayoutBinding> bindings;
  for (uint32_t i = 0; i < storage_buffers; ++i)
    bindings.push_back(
        {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr});
  if (VkResult r = s_->make_layout(bindings, &p); r != VK_SUCCESS) {
    s_->destroy(Object{p});
    return fail_handle(error, Status::GpuError, vk_error("the pipeline layout", r));
  }
  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                nullptr,
                0,
                VK_SHADER_STAGE_COMPUTE_BIT,
                cs->module,
                "main",
                nullptr};
  info.layout = p.layout;
  if (VkResult r =
          vkCreateComputePipelines(s_->device, VK_NULL_HANDLE, 1, &info, nullptr, &p.pipeline);
      r != VK_SUCCESS) {
    s_->destroy(Object{p});
    return fail_handle(error, Status::GpuError, vk_error("vkCreateComputePipelines", r));
  }
  return s_->add(module, p);
}

bool VulkanGpu::dispatch(std::string_view module, uint64_t pipeline,
                         const std::vector<uint64_t>& buffers, uint32_t x, uint32_t y, uint32_t z,
                         AuthorityError* error) {
  ComputePipeline* p = s_->find<ComputePipeline>(module, pipeline);
  if (!p)
    return fail(error, Status::InvalidHandle, fmt::format("no compute pipeline {}", pipeline));
  if (buffers.size() != p->uniform_buffers)
    return fail(error, Status::GpuError,
                fmt::format("compute pipeline {} takes {} storage buffers, not {}", pipeline,
                            p->uniform_buffers, buffers.size()));
  if (x > 65535 || y > 65535 || z > 65535)
    return fail(error, Status::GpuError, "at most 65535 workgroups per dimension");
  std::vector<VkDescriptorBufferInfo> infos;
  for (uint64_t b : buffers) {
    Buffer* buffer = s_->find<Buffer>(module, b);
    if (!buffer || !(buffer->usage & 4))
      return fail(error, Status::InvalidHandle, fmt::format("no storage buffer {}", b));
    infos.push_back({buffer->buffer, 0, buffer->size});
  }
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (!infos.empty()) {
    if (VkResult r = s_->buffer_set(p->set_layout, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, infos, &set);
        r != VK_SUCCESS)
      return fail(error, Status::GpuError, vk_error("vkAllocateDescriptorSets", r));
  }
  VkResult r = s_->run_once([&](VkCommandBuffer cmd) {
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
    if (set)
      vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &set, 0,
                              nullptr);
    vkCmdDispatch(cmd, x, y, z);
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
                         1, &barrier, 0, nullptr, 0, nullptr);
  });
  if (set) vkFreeDescriptorSets(s_->device, s_->descriptors, 1, &set);
  if (r != VK_SUCCESS) return fail(error, Status::GpuError, vk_error("the dispatch", r));
  return true;
}

bool VulkanGpu::read_buffer(std::string_view module, uint64_t handle, uint64_t offset,
                            uint64_t size, runtime::Bytes* data, AuthorityError* error) {
  Buffer* buffer = s_->find<Buffer>(module, handle);
  if (!buffer) return fail(error, Status::InvalidHandle, fmt::format("no buffer {}", handle));
  if (offset > buffer->size || size > buffer->size - offset)
    return fail(error, Status::GpuError,
                fmt::format("reading {} bytes at {} overflows buffer {} ({} bytes)", size, offset,
                            handle, buffer->size));
  const uint8_t* start = static_cast<const uint8_t*>(buffer->mapped) + offset;
  data->assign(start, start + size);
  return true;
}

bool VulkanGpu::end_frame(std::string_view module, AuthorityError* error) {
  if (s_->frame_module != module) return fail(error, Status::NoFrame, "end_frame without a frame");
  s_->frame_module.clear();
  vkCmdEndRenderPass(s_->commands);
  VkBufferImageCopy copy{};
  copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  copy.imageExtent = {s_->width, s_->height, 1};
  vkCmdCopyImageToBuffer(s_->commands, s_->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                         s_->readback.buffer, 1, &copy);
  if (VkResult r = vkEndCommandBuffer(s_->commands); r != VK_SUCCESS)
    return fail(error, Status::GpuError, vk_error("vkEndCommandBuffer", r));
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &s_->commands;
  vkResetFences(s_->device, 1, &s_->fence);
  if (VkResult r = vkQueueSubmit(s_->queue, 1, &submit, s_->fence); r != VK_SUCCESS)
    return fail(error, Status::GpuError, vk_error("vkQueueSubmit", r));
  if (VkResult r = vkWaitForFences(s_->device, 1, &s_->fence, VK_TRUE, 10'000'000'000ull);
      r != VK_SUCCESS)
    return fail(error, Status::GpuError, vk_error("vkWaitForFences", r));
  vkResetDescriptorPool(s_->device, s_->descriptors, 0);
  std::memcpy(s_->pixels.data(), s_->readback.mapped, s_->pixels.size());
  ++s_->finished;
  return true;
}

}  // namespace interstice::authority
