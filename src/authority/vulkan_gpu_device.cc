// VulkanGpu's device: instance, device, queue, the surface target and the
// helpers every object uses.
#include <fmt/format.h>

#include <cstdlib>
#include <string_view>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {
namespace vk {

std::string vk_error(const char* what, VkResult r) {
  return fmt::format("{} failed (VkResult {})", what, static_cast<int>(r));
}
bool fail(AuthorityError* error, Status status, std::string message) {
  *error = AuthorityError{status, std::move(message)};
  return false;
}
uint64_t fail_handle(AuthorityError* error, Status status, std::string message) {
  *error = AuthorityError{status, std::move(message)};
  return 0;
}

}  // namespace vk

using namespace vk;

VulkanGpu::State::~State() {
  if (device) {
    vkDeviceWaitIdle(device);
    for (auto& [module, list] : objects)
      for (auto& [handle, object] : list) destroy(object);
    destroy_swapchain();
    for (VkSemaphore semaphore : {acquired, blitted})
      if (semaphore) vkDestroySemaphore(device, semaphore, nullptr);
    destroy_target();
    if (descriptors) vkDestroyDescriptorPool(device, descriptors, nullptr);
    if (bind_groups) vkDestroyDescriptorPool(device, bind_groups, nullptr);
    for (auto& by_target : passes)
      for (auto& by_load : by_target)
        for (VkRenderPass pass : by_load)
          if (pass) vkDestroyRenderPass(device, pass, nullptr);
    if (fence) vkDestroyFence(device, fence, nullptr);
    if (pool) vkDestroyCommandPool(device, pool, nullptr);
    vkDestroyDevice(device, nullptr);
  }
  if (window_surface) vkDestroySurfaceKHR(instance, window_surface, nullptr);
  if (instance) vkDestroyInstance(instance, nullptr);
  if (compiler) shaderc_compiler_release(compiler);
}

void VulkanGpu::State::destroy(const Object& object) {
  if (const Shader* s = std::get_if<Shader>(&object)) {
    vkDestroyShaderModule(device, s->module, nullptr);
  } else if (const Buffer* b = std::get_if<Buffer>(&object)) {
    if (b->buffer) vkDestroyBuffer(device, b->buffer, nullptr);
    if (b->memory) vkFreeMemory(device, b->memory, nullptr);
  } else if (const Texture* t = std::get_if<Texture>(&object)) {
    if (t->framebuffer) vkDestroyFramebuffer(device, t->framebuffer, nullptr);
    if (t->view) vkDestroyImageView(device, t->view, nullptr);
    if (t->image) vkDestroyImage(device, t->image, nullptr);
    if (t->memory) vkFreeMemory(device, t->memory, nullptr);
  } else if (const Sampler* sm = std::get_if<Sampler>(&object)) {
    vkDestroySampler(device, sm->sampler, nullptr);
  } else if (const BindGroup* g = std::get_if<BindGroup>(&object)) {
    vkFreeDescriptorSets(device, bind_groups, 1, &g->set);
  } else if (const BindGroupLayout* l = std::get_if<BindGroupLayout>(&object)) {
    if (l->layout) vkDestroyDescriptorSetLayout(device, l->layout, nullptr);
  } else if (const PipelineLayout* pl = std::get_if<PipelineLayout>(&object)) {
    if (pl->layout) vkDestroyPipelineLayout(device, pl->layout, nullptr);
  } else if (const Pipeline* p = std::get_if<Pipeline>(&object)) {
    if (p->pipeline) vkDestroyPipeline(device, p->pipeline, nullptr);
  } else if (const ComputePipeline* cp = std::get_if<ComputePipeline>(&object)) {
    if (cp->pipeline) vkDestroyPipeline(device, cp->pipeline, nullptr);
  }  // the rest (surface textures, encoders, passes, command buffers) own no Vulkan objects
}

bool VulkanGpu::State::memory_type(uint32_t bits, VkMemoryPropertyFlags wanted,
                                   uint32_t* index) const {
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
bool VulkanGpu::State::make_buffer(uint64_t size, VkBufferUsageFlags usage, Buffer* out,
                                   std::string* why) {
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

base::Result<void> VulkanGpu::State::init() {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "interstice";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo instance_info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  instance_info.pApplicationInfo = &app;
  // For a window: the surface extensions this loader has (SDL picks the one
  // its video driver needs among them).
  std::vector<const char*> extensions;
  if (for_window) {
    uint32_t available = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &available, nullptr);
    std::vector<VkExtensionProperties> names(available);
    vkEnumerateInstanceExtensionProperties(nullptr, &available, names.data());
    // Only the platforms whose display is set (a Wayland surface extension
    // without a compositor complains on stderr).
    std::vector<const char*> wanted{"VK_KHR_surface"};
    if (std::getenv("DISPLAY"))
      wanted.insert(wanted.end(), {"VK_KHR_xlib_surface", "VK_KHR_xcb_surface"});
    if (std::getenv("WAYLAND_DISPLAY")) wanted.push_back("VK_KHR_wayland_surface");
    for (const char* name : wanted)
      for (const VkExtensionProperties& e : names)
        if (std::string_view(e.extensionName) == name) extensions.push_back(name);
  }
  instance_info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  instance_info.ppEnabledExtensionNames = extensions.data();
  if (VkResult r = vkCreateInstance(&instance_info, nullptr, &instance); r != VK_SUCCESS)
    return base::make_error(vk_error("vkCreateInstance", r) + ": is a Vulkan driver installed?");
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
  if (!physical) return base::make_error("no Vulkan device with a graphics queue");
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
  const char* swapchain_extension = VK_KHR_SWAPCHAIN_EXTENSION_NAME;
  if (for_window) {
    uint32_t available = 0;
    vkEnumerateDeviceExtensionProperties(physical, nullptr, &available, nullptr);
    std::vector<VkExtensionProperties> names(available);
    vkEnumerateDeviceExtensionProperties(physical, nullptr, &available, names.data());
    for (const VkExtensionProperties& e : names)
      if (std::string_view(e.extensionName) == swapchain_extension) can_present = true;
    if (can_present) {
      device_info.enabledExtensionCount = 1;
      device_info.ppEnabledExtensionNames = &swapchain_extension;
    }
  }
  if (VkResult r = vkCreateDevice(physical, &device_info, nullptr, &device); r != VK_SUCCESS)
    return base::make_error(vk_error("vkCreateDevice", r));
  vkGetDeviceQueue(device, queue_family, 0, &queue);
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = queue_family;
  if (VkResult r = vkCreateCommandPool(device, &pool_info, nullptr, &pool); r != VK_SUCCESS)
    return base::make_error(vk_error("vkCreateCommandPool", r));
  VkCommandBufferAllocateInfo cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cmd_info.commandPool = pool;
  cmd_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cmd_info.commandBufferCount = 1;
  vkAllocateCommandBuffers(device, &cmd_info, &commands);
  vkAllocateCommandBuffers(device, &cmd_info, &compute_commands);
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  vkCreateFence(device, &fence_info, nullptr, &fence);
  const VkImageLayout kSampled = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
  const VkImageLayout kCopied = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  for (bool depth : {false, true})
    for (bool texture : {false, true})
      for (bool load : {false, true})
        if (VkResult r = make_render_pass(load, texture ? kSampled : kCopied, depth,
                                          &passes[depth][texture][load]);
            r != VK_SUCCESS)
          return base::make_error(vk_error("vkCreateRenderPass", r));
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
    return base::make_error(vk_error("vkCreateDescriptorPool", r));
  if (VkResult r = vkCreateDescriptorPool(device, &dp, nullptr, &bind_groups); r != VK_SUCCESS)
    return base::make_error(vk_error("vkCreateDescriptorPool", r));
  compiler = shaderc_compiler_initialize();
  if (!compiler) return base::make_error("shaderc did not initialize");
  return {};
}

// The colour image, its render pass and framebuffer, and the readback buffer.
// An RGBA8 image of `usage` with its memory and view; empty, or why not.
std::string VulkanGpu::State::make_image(uint32_t w, uint32_t h, VkImageUsageFlags usage,
                                         Texture* out, VkFormat format) {
  out->width = w;
  out->height = h;
  VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = format;
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
  view_info.format = format;
  view_info.subresourceRange = {
      format == kDepthFormat ? VK_IMAGE_ASPECT_DEPTH_BIT : VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  if (VkResult r = vkCreateImageView(device, &view_info, nullptr, &out->view); r != VK_SUCCESS)
    return vk_error("vkCreateImageView", r);
  return {};
}

VkResult VulkanGpu::State::make_render_pass(bool load, VkImageLayout final_layout, bool depth,
                                            VkRenderPass* out) {
  VkAttachmentDescription color{};
  color.format = kColorFormat;
  color.samples = VK_SAMPLE_COUNT_1_BIT;
  color.loadOp = load ? VK_ATTACHMENT_LOAD_OP_LOAD : VK_ATTACHMENT_LOAD_OP_CLEAR;
  color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  // A loading pass finds the image where every pass leaves it.
  color.initialLayout = load ? final_layout : VK_IMAGE_LAYOUT_UNDEFINED;
  color.finalLayout = final_layout;
  VkAttachmentDescription attachments[2] = {color, {}};
  VkAttachmentDescription& depth_attachment = attachments[1];
  depth_attachment.format = kDepthFormat;
  depth_attachment.samples = VK_SAMPLE_COUNT_1_BIT;
  depth_attachment.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  depth_attachment.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  depth_attachment.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  depth_attachment.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  depth_attachment.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  depth_attachment.finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
  VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkAttachmentReference depth_ref{1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &ref;
  if (depth) subpass.pDepthStencilAttachment = &depth_ref;
  VkRenderPassCreateInfo rp{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  rp.attachmentCount = depth ? 2 : 1;
  rp.pAttachments = attachments;
  rp.subpassCount = 1;
  rp.pSubpasses = &subpass;
  return vkCreateRenderPass(device, &rp, nullptr, out);
}

base::Result<void> VulkanGpu::State::make_target() {
  Texture target;
  std::string why =
      make_image(width, height,
                 VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT, &target);
  image = target.image;
  image_memory = target.memory;
  view = target.view;
  if (!why.empty()) return base::make_error(why);
  if (VkResult r = make_framebuffer({&view, 1}, width, height, &framebuffer); r != VK_SUCCESS)
    return base::make_error(vk_error("vkCreateFramebuffer", r));
  if (!make_buffer(static_cast<uint64_t>(width) * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                   &readback, &why))
    return base::make_error(why);
  pixels.assign(static_cast<size_t>(width) * height * 4, 0);
  // Every pass leaves the surface ready to copy out; start it there too, so
  // that a first pass may load it.
  VkImage surface = image;
  VkResult r = run_once([&](VkCommandBuffer cmd) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = surface;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                         0, nullptr, 0, nullptr, 1, &barrier);
  });
  if (r != VK_SUCCESS) return base::make_error(vk_error("the surface's first transition", r));
  return {};
}

VkResult VulkanGpu::State::make_framebuffer(std::span<const VkImageView> views, uint32_t w,
                                            uint32_t h, VkFramebuffer* out) {
  VkFramebufferCreateInfo fb{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
  // Every colour render pass is compatible with the others, and every one
  // with a depth attachment with the other such passes.
  fb.renderPass = pass_for(views.size() == 2, false, false);
  fb.attachmentCount = static_cast<uint32_t>(views.size());
  fb.pAttachments = views.data();
  fb.width = w;
  fb.height = h;
  fb.layers = 1;
  return vkCreateFramebuffer(device, &fb, nullptr, out);
}

void VulkanGpu::State::destroy_target() {
  destroy(Object{readback});
  readback = Buffer{};
  if (framebuffer) vkDestroyFramebuffer(device, framebuffer, nullptr);
  if (view) vkDestroyImageView(device, view, nullptr);
  if (image) vkDestroyImage(device, image, nullptr);
  if (image_memory) vkFreeMemory(device, image_memory, nullptr);
  framebuffer = VK_NULL_HANDLE;
  view = VK_NULL_HANDLE;
  image = VK_NULL_HANDLE;
  image_memory = VK_NULL_HANDLE;
}

}  // namespace interstice::authority
