// Releasing a module's Gpu objects: one at a time (gpu_release), refused
// while another live object or a recorded command still uses it, or all of
// them when the module is unloaded.
#include <fmt/format.h>

#include <algorithm>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {

using namespace vk;

namespace {

bool names(const RecordedPass& pass, uint64_t handle) {
  if (pass.target == handle || pass.depth_target == handle || pass.source_handle == handle ||
      pass.destination_handle == handle)
    return true;
  return std::any_of(pass.commands.begin(), pass.commands.end(),
                     [&](const PassCommand& c) { return c.object == handle; });
}

bool contains(const std::vector<uint64_t>& handles, uint64_t handle) {
  return std::find(handles.begin(), handles.end(), handle) != handles.end();
}

}  // namespace

std::string VulkanGpu::State::in_use(std::string_view module, uint64_t handle) {
  for (const auto& [other, object] : objects.find(module)->second) {
    if (other == handle) continue;
    bool uses = false;
    if (const BindGroup* g = std::get_if<BindGroup>(&object))
      uses = contains(g->resources, handle) || g->layout_handle == handle;
    else if (const PipelineLayout* l = std::get_if<PipelineLayout>(&object))
      uses = contains(l->set_handles, handle);
    else if (const Pipeline* p = std::get_if<Pipeline>(&object))
      uses = p->layout_handle == handle || contains(p->set_handles, handle);
    else if (const ComputePipeline* cp = std::get_if<ComputePipeline>(&object))
      uses = cp->layout_handle == handle || contains(cp->set_handles, handle);
    else if (const CommandEncoder* e = std::get_if<CommandEncoder>(&object))
      uses = std::any_of(e->passes.begin(), e->passes.end(),
                         [&](const RecordedPass& pass) { return names(pass, handle); });
    else if (const CommandBuffer* b = std::get_if<CommandBuffer>(&object))
      uses = std::any_of(b->passes.begin(), b->passes.end(),
                         [&](const RecordedPass& pass) { return names(pass, handle); });
    if (uses) return fmt::format("object {} uses it: release or submit that first", other);
  }
  return {};
}

bool VulkanGpu::release(std::string_view module, uint64_t handle, AuthorityError* error) {
  auto m = s_->objects.find(module);
  auto it = m == s_->objects.end() ? decltype(m->second.end()){} : m->second.find(handle);
  if (m == s_->objects.end() || it == m->second.end())
    return fail(error, Status::InvalidHandle, fmt::format("no object {}", handle));
  if (s_->frame_module == module)
    return fail(error, Status::NoFrame, "a frame is open (its draws use objects): end it first");
  if (std::holds_alternative<Pass>(it->second))
    return fail(error, Status::GpuError, fmt::format("pass {} is open: end it", handle));
  if (const CommandEncoder* e = std::get_if<CommandEncoder>(&it->second); e && e->open_pass)
    m->second.erase(e->open_pass);  // dropping an encoder drops its open pass too
  if (std::string why = s_->in_use(module, handle); !why.empty())
    return fail(error, Status::GpuError, fmt::format("object {} is in use: {}", handle, why));
  if (auto current = s_->surface_textures.find(module);
      current != s_->surface_textures.end() && current->second == handle)
    s_->surface_textures.erase(current);
  // Submits wait for the device, so no work in flight still uses it.
  s_->memory_used[std::string(module)] -= State::footprint(it->second);
  s_->destroy(it->second);
  m->second.erase(it);
  return true;
}

void VulkanGpu::release_all(std::string_view module) {
  if (s_->frame_module == module) abandon_frame();
  auto m = s_->objects.find(module);
  if (m == s_->objects.end()) return;
  vkDeviceWaitIdle(s_->device);
  for (const auto& [handle, object] : m->second) s_->destroy(object);
  s_->objects.erase(m);
  s_->memory_used.erase(std::string(module));
  if (auto current = s_->surface_textures.find(module); current != s_->surface_textures.end())
    s_->surface_textures.erase(current);
}

void VulkanGpu::set_memory_budget(uint64_t bytes) {
  s_->memory_budget = bytes;
}

size_t VulkanGpu::live_objects(std::string_view module) const {
  auto m = s_->objects.find(module);
  return m == s_->objects.end() ? 0 : m->second.size();
}

}  // namespace interstice::authority
