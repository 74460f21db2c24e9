// VulkanGpu's bindings: bind group layouts, pipeline layouts and bind groups
// (descriptor set layouts, pipeline layouts and descriptor sets).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {

using namespace vk;

namespace vk {

bool same_layout(const LayoutDesc& a, const LayoutDesc& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.binding == y.binding && x.kind == y.kind && x.visibility == y.visibility;
  });
}

}  // namespace vk

namespace {

constexpr uint32_t kMaxEntries = 16;
constexpr uint32_t kMaxSets = 4;

VkDescriptorType descriptor_type(uint32_t kind) {
  return kind == abi::GpuUniformBuffer   ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER
         : kind == abi::GpuStorageBuffer ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                         : VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
}

VkShaderStageFlags stages(uint32_t visibility) {
  return ((visibility & abi::GpuVertexStage) ? VK_SHADER_STAGE_VERTEX_BIT : 0) |
         ((visibility & abi::GpuFragmentStage) ? VK_SHADER_STAGE_FRAGMENT_BIT : 0) |
         ((visibility & abi::GpuComputeStage) ? VK_SHADER_STAGE_COMPUTE_BIT : 0);
}

}  // namespace

uint64_t VulkanGpu::State::make_bind_group_layout(std::string_view module, LayoutDesc entries,
                                                  AuthorityError* error) {
  if (entries.size() > kMaxEntries)
    return fail_handle(error, Status::GpuError,
                       fmt::format("a bind group layout has at most {} entries", kMaxEntries));
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.binding < b.binding; });
  std::vector<VkDescriptorSetLayoutBinding> bindings;
  for (size_t i = 0; i < entries.size(); ++i) {
    const abi::GpuLayoutEntry& e = entries[i];
    if (i > 0 && entries[i - 1].binding == e.binding)
      return fail_handle(error, Status::GpuError,
                         fmt::format("binding {} appears twice", e.binding));
    if (e.binding >= 64 || e.kind > abi::GpuSampledTexture || e.visibility == 0 || e.visibility > 7)
      return fail_handle(error, Status::GpuError,
                         fmt::format("bad layout entry (binding {} < 64, kind {} <= 2, "
                                     "visibility {} in 1..7)",
                                     e.binding, e.kind, e.visibility));
    bindings.push_back({e.binding, descriptor_type(e.kind), 1, stages(e.visibility), nullptr});
  }
  BindGroupLayout layout;
  layout.entries = std::move(entries);
  VkDescriptorSetLayoutCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  info.bindingCount = static_cast<uint32_t>(bindings.size());
  info.pBindings = bindings.data();
  if (VkResult r = vkCreateDescriptorSetLayout(device, &info, nullptr, &layout.layout);
      r != VK_SUCCESS)
    return fail_handle(error, Status::GpuError, vk_error("vkCreateDescriptorSetLayout", r));
  return add(module, std::move(layout), error);
}

uint64_t VulkanGpu::State::make_pipeline_layout(std::string_view module,
                                                const std::vector<uint64_t>& sets,
                                                AuthorityError* error) {
  if (sets.size() > kMaxSets)
    return fail_handle(
        error, Status::GpuError,
        fmt::format("a pipeline layout has at most {} bind group layouts", kMaxSets));
  PipelineLayout layout;
  std::vector<VkDescriptorSetLayout> set_layouts;
  for (uint64_t handle : sets) {
    BindGroupLayout* set = find<BindGroupLayout>(module, handle);
    if (!set)
      return fail_handle(error, Status::InvalidHandle,
                         fmt::format("no bind group layout {}", handle));
    set_layouts.push_back(set->layout);
    layout.sets.push_back(set->entries);
  }
  layout.set_handles = sets;
  VkPipelineLayoutCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  info.setLayoutCount = static_cast<uint32_t>(set_layouts.size());
  info.pSetLayouts = set_layouts.data();
  if (VkResult r = vkCreatePipelineLayout(device, &info, nullptr, &layout.layout); r != VK_SUCCESS)
    return fail_handle(error, Status::GpuError, vk_error("vkCreatePipelineLayout", r));
  return add(module, std::move(layout), error);
}

bool VulkanGpu::State::attach_layout(std::string_view module, uint64_t layout,
                                     const LayoutDesc& derived, Pipeline* p,
                                     AuthorityError* error) {
  if (layout == 0) {
    p->derived = true;
    std::vector<uint64_t> sets;
    if (!derived.empty()) {
      uint64_t set = make_bind_group_layout(module, derived, error);
      if (!set) return false;
      sets.push_back(set);
    }
    layout = make_pipeline_layout(module, sets, error);
    if (!layout) return false;
  }
  PipelineLayout* pl = find<PipelineLayout>(module, layout);
  if (!pl) return fail(error, Status::InvalidHandle, fmt::format("no pipeline layout {}", layout));
  p->layout = pl->layout;
  p->layout_handle = layout;
  p->set_handles = pl->set_handles;
  p->sets = pl->sets;
  return true;
}

bool VulkanGpu::State::write_set(std::string_view module, VkDescriptorSetLayout layout,
                                 const LayoutDesc& desc,
                                 const std::vector<abi::GpuBindGroupEntry>& entries,
                                 VkDescriptorPool pool, BindGroup* out, AuthorityError* error) {
  if (entries.size() != desc.size())
    return fail(error, Status::GpuError,
                fmt::format("the layout has {} bindings: {} entries, not {}", desc.size(),
                            desc.size(), entries.size()));
  // Reserved first, so that the pointers below stay put.
  std::vector<VkDescriptorBufferInfo> buffers;
  std::vector<VkDescriptorImageInfo> images;
  buffers.reserve(entries.size());
  images.reserve(entries.size());
  std::vector<VkWriteDescriptorSet> writes;
  std::set<uint32_t> seen;
  for (const abi::GpuBindGroupEntry& e : entries) {
    auto slot = std::find_if(desc.begin(), desc.end(),
                             [&](const auto& d) { return d.binding == e.binding; });
    if (slot == desc.end() || !seen.insert(e.binding).second)
      return fail(error, Status::GpuError,
                  fmt::format("binding {} is not in the layout, or appears twice", e.binding));
    VkWriteDescriptorSet w{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    w.dstBinding = e.binding;
    w.descriptorCount = 1;
    w.descriptorType = descriptor_type(slot->kind);
    if (slot->kind == abi::GpuSampledTexture) {
      Texture* texture = find<Texture>(module, e.resource);
      vk::Sampler* sampler = find<vk::Sampler>(module, e.sampler);
      if (!texture || texture->depth || !sampler)
        return fail(error, Status::InvalidHandle,
                    fmt::format("binding {}: no texture {} or sampler {}", e.binding, e.resource,
                                e.sampler));
      images.push_back({sampler->sampler, texture->view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL});
      w.pImageInfo = &images.back();
      out->textures.push_back(e.resource);
      out->resources.push_back(e.sampler);
    } else {
      uint32_t usage = slot->kind == abi::GpuUniformBuffer ? 2 : 4;
      Buffer* buffer = find<Buffer>(module, e.resource);
      if (!buffer || !(buffer->usage & usage))
        return fail(error, Status::InvalidHandle,
                    fmt::format("binding {}: no {} buffer {}", e.binding,
                                usage == 2 ? "uniform" : "storage", e.resource));
      buffers.push_back({buffer->buffer, 0, buffer->size});
      w.pBufferInfo = &buffers.back();
    }
    out->resources.push_back(e.resource);
    writes.push_back(w);
  }
  VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = pool;
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &layout;
  if (VkResult r = vkAllocateDescriptorSets(device, &alloc, &out->set); r != VK_SUCCESS)
    return fail(error, Status::GpuError, vk_error("vkAllocateDescriptorSets", r));
  for (VkWriteDescriptorSet& w : writes) w.dstSet = out->set;
  vkUpdateDescriptorSets(device, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
  out->layout = desc;
  return true;
}

uint64_t VulkanGpu::State::make_bind_group(std::string_view module, uint64_t layout,
                                           const std::vector<abi::GpuBindGroupEntry>& entries,
                                           AuthorityError* error) {
  BindGroupLayout* l = find<BindGroupLayout>(module, layout);
  if (!l)
    return fail_handle(error, Status::InvalidHandle,
                       fmt::format("no bind group layout {}", layout));
  BindGroup group;
  group.layout_handle = layout;
  if (!write_set(module, l->layout, l->entries, entries, bind_groups, &group, error)) return 0;
  return add(module, std::move(group), error);
}

uint64_t VulkanGpu::create_bind_group_layout(std::string_view module,
                                             const std::vector<abi::GpuLayoutEntry>& entries,
                                             AuthorityError* error) {
  return s_->make_bind_group_layout(module, entries, error);
}

uint64_t VulkanGpu::create_pipeline_layout(std::string_view module,
                                           const std::vector<uint64_t>& bind_group_layouts,
                                           AuthorityError* error) {
  return s_->make_pipeline_layout(module, bind_group_layouts, error);
}

uint64_t VulkanGpu::pipeline_bind_group_layout(std::string_view module, uint64_t pipeline,
                                               uint32_t index, AuthorityError* error) {
  Pipeline* p = s_->find<Pipeline>(module, pipeline);
  if (!p) p = s_->find<ComputePipeline>(module, pipeline);
  if (!p) return fail_handle(error, Status::InvalidHandle, fmt::format("no pipeline {}", pipeline));
  if (index >= p->set_handles.size())
    return fail_handle(error, Status::GpuError,
                       fmt::format("pipeline {} has {} bind group layouts; no index {}", pipeline,
                                   p->set_handles.size(), index));
  return p->set_handles[index];
}

uint64_t VulkanGpu::create_bind_group_with_layout(
    std::string_view module, uint64_t layout, const std::vector<abi::GpuBindGroupEntry>& entries,
    AuthorityError* error) {
  return s_->make_bind_group(module, layout, entries, error);
}

}  // namespace interstice::authority
