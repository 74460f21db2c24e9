// VulkanGpu's immediate drawing: frames (begin, draw, end) and dispatches.
#include <fmt/format.h>

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
