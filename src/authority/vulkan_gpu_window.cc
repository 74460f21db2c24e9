// VulkanGpu's window: a VkSwapchainKHR on the window's surface. Each shown
// frame blits the surface's current image (RGBA8, the size the modules
// render at) into the next swapchain image, scaled to the window, and
// presents it. A swapchain the window outgrew is remade before the next
// frame.
#include <fmt/format.h>

#include <algorithm>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {

using namespace vk;

namespace {

const char* mode_name(VkPresentModeKHR mode) {
  switch (mode) {
    case VK_PRESENT_MODE_MAILBOX_KHR:
      return "mailbox";
    case VK_PRESENT_MODE_IMMEDIATE_KHR:
      return "immediate";
    default:
      return "fifo";
  }
}

}  // namespace

void VulkanGpu::State::destroy_swapchain() {
  if (swapchain) {
    vkDeviceWaitIdle(device);
    vkDestroySwapchainKHR(device, swapchain, nullptr);
  }
  swapchain = VK_NULL_HANDLE;
  swapchain_images.clear();
}

uintptr_t VulkanGpu::instance_handle() const {
  return reinterpret_cast<uintptr_t>(s_->instance);
}

namespace {

// A swapchain for `surface` of about `width` x `height`, replacing `old`.
base::Result<void> make_swapchain(VkPhysicalDevice physical, VkDevice device, VkSurfaceKHR surface,
                                  uint32_t width, uint32_t height, VkSwapchainKHR* swapchain,
                                  std::vector<VkImage>* images, VkExtent2D* extent,
                                  std::string* description) {
  VkSurfaceCapabilitiesKHR caps;
  if (VkResult r = vkGetPhysicalDeviceSurfaceCapabilitiesKHR(physical, surface, &caps);
      r != VK_SUCCESS)
    return base::make_error(vk_error("vkGetPhysicalDeviceSurfaceCapabilitiesKHR", r));
  if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT))
    return base::make_error("the window's images cannot be blitted to");
  uint32_t count = 0;
  vkGetPhysicalDeviceSurfaceFormatsKHR(physical, surface, &count, nullptr);
  std::vector<VkSurfaceFormatKHR> formats(count);
  vkGetPhysicalDeviceSurfaceFormatsKHR(physical, surface, &count, formats.data());
  if (formats.empty()) return base::make_error("the window offers no image format");
  VkSurfaceFormatKHR format = formats[0];
  for (const VkSurfaceFormatKHR& f : formats)
    if (f.format == VK_FORMAT_B8G8R8A8_UNORM || f.format == VK_FORMAT_R8G8B8A8_UNORM) format = f;
  VkFormatProperties props;
  vkGetPhysicalDeviceFormatProperties(physical, format.format, &props);
  if (!(props.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_DST_BIT))
    return base::make_error("the window's image format cannot be blitted to");
  vkGetPhysicalDeviceSurfacePresentModesKHR(physical, surface, &count, nullptr);
  std::vector<VkPresentModeKHR> modes(count);
  vkGetPhysicalDeviceSurfacePresentModesKHR(physical, surface, &count, modes.data());
  // Never wait for the display inside the node's lock when we need not.
  VkPresentModeKHR mode = VK_PRESENT_MODE_FIFO_KHR;
  for (VkPresentModeKHR m : {VK_PRESENT_MODE_IMMEDIATE_KHR, VK_PRESENT_MODE_MAILBOX_KHR})
    if (std::find(modes.begin(), modes.end(), m) != modes.end()) mode = m;
  *extent = caps.currentExtent;
  if (extent->width == UINT32_MAX)
    *extent = {std::clamp(width, caps.minImageExtent.width, caps.maxImageExtent.width),
               std::clamp(height, caps.minImageExtent.height, caps.maxImageExtent.height)};
  if (extent->width == 0 || extent->height == 0)
    return base::make_error("the window has no area (minimized)");
  VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
  info.surface = surface;
  info.minImageCount = caps.maxImageCount ? std::min(caps.minImageCount + 1, caps.maxImageCount)
                                          : caps.minImageCount + 1;
  info.imageFormat = format.format;
  info.imageColorSpace = format.colorSpace;
  info.imageExtent = *extent;
  info.imageArrayLayers = 1;
  info.imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
  info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.preTransform = caps.currentTransform;
  info.compositeAlpha = (caps.supportedCompositeAlpha & VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR)
                            ? VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR
                            : static_cast<VkCompositeAlphaFlagBitsKHR>(
                                  caps.supportedCompositeAlpha & -caps.supportedCompositeAlpha);
  info.presentMode = mode;
  info.clipped = VK_TRUE;
  info.oldSwapchain = *swapchain;
  VkSwapchainKHR made = VK_NULL_HANDLE;
  VkResult r = vkCreateSwapchainKHR(device, &info, nullptr, &made);
  if (*swapchain) vkDestroySwapchainKHR(device, *swapchain, nullptr);
  *swapchain = made;
  if (r != VK_SUCCESS) return base::make_error(vk_error("vkCreateSwapchainKHR", r));
  vkGetSwapchainImagesKHR(device, made, &count, nullptr);
  images->resize(count);
  vkGetSwapchainImagesKHR(device, made, &count, images->data());
  *description =
      fmt::format("{} images, {}x{}, {}", count, extent->width, extent->height, mode_name(mode));
  return {};
}

}  // namespace

base::Result<void> VulkanGpu::attach_surface(uint64_t surface, uint32_t width, uint32_t height) {
  if (s_->window_surface) vkDestroySurfaceKHR(s_->instance, s_->window_surface, nullptr);
  s_->window_surface = reinterpret_cast<VkSurfaceKHR>(surface);
  if (!s_->can_present) return base::make_error("the device cannot present (no VK_KHR_swapchain)");
  VkBool32 supported = VK_FALSE;
  vkGetPhysicalDeviceSurfaceSupportKHR(s_->physical, s_->queue_family, s_->window_surface,
                                       &supported);
  if (!supported) return base::make_error("the device's queue cannot present to the window");
  VkFormatProperties props;
  vkGetPhysicalDeviceFormatProperties(s_->physical, kColorFormat, &props);
  if (!(props.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_SRC_BIT))
    return base::make_error("the surface's format cannot be blitted from");
  VkSemaphoreCreateInfo semaphore{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
  for (VkSemaphore* out : {&s_->acquired, &s_->blitted})
    if (!*out)
      if (VkResult r = vkCreateSemaphore(s_->device, &semaphore, nullptr, out); r != VK_SUCCESS)
        return base::make_error(vk_error("vkCreateSemaphore", r));
  std::string description;
  auto made =
      make_swapchain(s_->physical, s_->device, s_->window_surface, width, height, &s_->swapchain,
                     &s_->swapchain_images, &s_->swapchain_extent, &description);
  if (made) s_->swapchain_description = description;
  return made;
}

std::string VulkanGpu::swapchain_description() const {
  return s_->swapchain_description;
}

base::Result<void> VulkanGpu::present_to_window(uint32_t width, uint32_t height) {
  if (!s_->window_surface) return base::make_error("no window surface");
  if (!s_->swapchain || s_->swapchain_stale || s_->swapchain_extent.width != width ||
      s_->swapchain_extent.height != height) {
    vkDeviceWaitIdle(s_->device);
    std::string description;
    if (auto made = make_swapchain(s_->physical, s_->device, s_->window_surface, width, height,
                                   &s_->swapchain, &s_->swapchain_images, &s_->swapchain_extent,
                                   &description);
        !made)
      return made;
    s_->swapchain_description = description;
    s_->swapchain_stale = false;
  }
  uint32_t index = 0;
  VkResult r = vkAcquireNextImageKHR(s_->device, s_->swapchain, 1'000'000'000ull, s_->acquired,
                                     VK_NULL_HANDLE, &index);
  if (r == VK_ERROR_OUT_OF_DATE_KHR) {
    s_->swapchain_stale = true;  // remade for the next frame; this one is skipped
    return {};
  }
  if (r != VK_SUCCESS && r != VK_SUBOPTIMAL_KHR)
    return base::make_error(vk_error("vkAcquireNextImageKHR", r));
  if (r == VK_SUBOPTIMAL_KHR) s_->swapchain_stale = true;
  VkImage target = s_->swapchain_images[index];
  VkCommandBuffer cmd = s_->compute_commands;
  vkResetCommandBuffer(cmd, 0);
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd, &begin);
  VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  barrier.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
  barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.image = target;
  barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  barrier.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                       nullptr, 0, nullptr, 1, &barrier);
  VkImageBlit blit{};
  blit.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  blit.srcOffsets[1] = {static_cast<int32_t>(s_->width), static_cast<int32_t>(s_->height), 1};
  blit.dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  blit.dstOffsets[1] = {static_cast<int32_t>(s_->swapchain_extent.width),
                        static_cast<int32_t>(s_->swapchain_extent.height), 1};
  vkCmdBlitImage(cmd, s_->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, target,
                 VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &blit, VK_FILTER_LINEAR);
  barrier.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
  barrier.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = 0;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0,
                       0, nullptr, 0, nullptr, 1, &barrier);
  vkEndCommandBuffer(cmd);
  VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.waitSemaphoreCount = 1;
  submit.pWaitSemaphores = &s_->acquired;
  submit.pWaitDstStageMask = &wait_stage;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  submit.signalSemaphoreCount = 1;
  submit.pSignalSemaphores = &s_->blitted;
  vkResetFences(s_->device, 1, &s_->fence);
  if (VkResult q = vkQueueSubmit(s_->queue, 1, &submit, s_->fence); q != VK_SUCCESS)
    return base::make_error(vk_error("vkQueueSubmit (window)", q));
  VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
  present.waitSemaphoreCount = 1;
  present.pWaitSemaphores = &s_->blitted;
  present.swapchainCount = 1;
  present.pSwapchains = &s_->swapchain;
  present.pImageIndices = &index;
  VkResult shown = vkQueuePresentKHR(s_->queue, &present);
  vkWaitForFences(s_->device, 1, &s_->fence, VK_TRUE, 10'000'000'000ull);
  if (shown == VK_ERROR_OUT_OF_DATE_KHR || shown == VK_SUBOPTIMAL_KHR) {
    s_->swapchain_stale = true;
    return {};
  }
  if (shown != VK_SUCCESS) return base::make_error(vk_error("vkQueuePresentKHR", shown));
  return {};
}

}  // namespace interstice::authority
