// VulkanGpu's immediate drawing: frames (begin, draw, end) and dispatches.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {

using namespace vk;

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
  pass.renderPass = s_->pass_for(false, false, false);
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

// A derived pipeline's resources named directly (uniform buffers, then
// (texture, sampler) pairs; or storage buffers) as bind group entries.
bool derived_entries(uint64_t handle, const Pipeline& p, const std::vector<uint64_t>& bindings,
                     std::vector<abi::GpuBindGroupEntry>* entries, AuthorityError* error) {
  if (!p.derived)
    return fail(error, Status::GpuError,
                fmt::format("pipeline {} has an explicit layout: bind its bind groups", handle));
  if (bindings.size() != p.uniform_buffers + 2 * p.textures)
    return fail(error, Status::GpuError,
                fmt::format("pipeline {} takes {} buffers and {} (texture, sampler) pairs: {} "
                            "handles, not {}",
                            handle, p.uniform_buffers, p.textures,
                            p.uniform_buffers + 2 * p.textures, bindings.size()));
  for (uint32_t i = 0; i < p.uniform_buffers; ++i) entries->push_back({i, bindings[i], 0});
  for (uint32_t j = 0; j < p.textures; ++j)
    entries->push_back({p.uniform_buffers + j, bindings[p.uniform_buffers + 2 * j],
                        bindings[p.uniform_buffers + 2 * j + 1]});
  return true;
}

}  // namespace

// The descriptor sets to bind for `p`: `bindings` is one bind group per set
// of its layout, or (for a derived layout) the resources themselves, bound
// through a set from the per-frame pool.
bool VulkanGpu::State::sets_for(std::string_view module, uint64_t handle, const Pipeline& p,
                                const std::vector<uint64_t>& bindings,
                                std::vector<VkDescriptorSet>* sets, AuthorityError* error) {
  bool groups = !bindings.empty() && bindings.size() == p.sets.size() &&
                std::all_of(bindings.begin(), bindings.end(),
                            [&](uint64_t b) { return find<BindGroup>(module, b) != nullptr; });
  if (groups) {
    for (size_t i = 0; i < bindings.size(); ++i) {
      BindGroup* group = find<BindGroup>(module, bindings[i]);
      if (!same_layout(group->layout, p.sets[i]))
        return fail(error, Status::GpuError,
                    fmt::format("bind group {} does not match set {} of pipeline {}'s layout",
                                bindings[i], i, handle));
      sets->push_back(group->set);
    }
    return true;
  }
  std::vector<abi::GpuBindGroupEntry> entries;
  if (!derived_entries(handle, p, bindings, &entries, error)) return false;
  if (p.sets.empty()) return true;
  BindGroupLayout* layout = find<BindGroupLayout>(module, p.set_handles[0]);
  BindGroup transient;
  if (!write_set(module, layout->layout, p.sets[0], entries, descriptors, &transient, error))
    return false;
  sets->push_back(transient.set);
  return true;
}

uint64_t VulkanGpu::create_bind_group(std::string_view module, uint64_t pipeline_handle,
                                      const std::vector<uint64_t>& bindings,
                                      AuthorityError* error) {
  Pipeline* p = s_->find<Pipeline>(module, pipeline_handle);
  if (!p)
    return fail_handle(error, Status::InvalidHandle,
                       fmt::format("no pipeline {}", pipeline_handle));
  std::vector<abi::GpuBindGroupEntry> entries;
  if (!derived_entries(pipeline_handle, *p, bindings, &entries, error)) return 0;
  if (p->sets.empty())
    return fail_handle(error, Status::GpuError,
                       fmt::format("pipeline {} binds no resources", pipeline_handle));
  return s_->make_bind_group(module, p->set_handles[0], entries, error);
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
  std::vector<VkDescriptorSet> sets;
  if (!s_->sets_for(module, pipeline_handle, *p, bindings, &sets, error)) return false;
  vkCmdBindPipeline(s_->commands, VK_PIPELINE_BIND_POINT_GRAPHICS, p->pipeline);
  if (!sets.empty())
    vkCmdBindDescriptorSets(s_->commands, VK_PIPELINE_BIND_POINT_GRAPHICS, p->layout, 0,
                            static_cast<uint32_t>(sets.size()), sets.data(), 0, nullptr);
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

bool VulkanGpu::dispatch(std::string_view module, uint64_t pipeline,
                         const std::vector<uint64_t>& buffers, uint32_t x, uint32_t y, uint32_t z,
                         AuthorityError* error) {
  ComputePipeline* p = s_->find<ComputePipeline>(module, pipeline);
  if (!p)
    return fail(error, Status::InvalidHandle, fmt::format("no compute pipeline {}", pipeline));
  if (x > 65535 || y > 65535 || z > 65535)
    return fail(error, Status::GpuError, "at most 65535 workgroups per dimension");
  // A frame's transient sets come from the same pool; dispatches inside a
  // frame must not reset it.
  std::vector<VkDescriptorSet> sets;
  if (!s_->sets_for(module, pipeline, *p, buffers, &sets, error)) return false;
  VkResult r = s_->run_once([&](VkCommandBuffer cmd) {
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
    if (!sets.empty())
      vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0,
                              static_cast<uint32_t>(sets.size()), sets.data(), 0, nullptr);
    vkCmdDispatch(cmd, x, y, z);
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
                         1, &barrier, 0, nullptr, 0, nullptr);
  });
  if (s_->frame_module.empty()) vkResetDescriptorPool(s_->device, s_->descriptors, 0);
  if (r != VK_SUCCESS) return fail(error, Status::GpuError, vk_error("the dispatch", r));
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
