// VulkanGpu's command encoders (WebGPU's model): an encoder records render
// and compute passes and buffer copies, validated command by command; finish
// turns it into a command buffer, and submit translates command buffers into
// one Vulkan command buffer and runs it to completion. The surface's
// texture is taken per frame and shown by present.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {

using namespace vk;

namespace {

// Encoders and command buffers a module may hold unsubmitted at once.
constexpr size_t kMaxRecordings = 64;

// The open pass `handle` of `module` and its encoder, or an error.
template <typename State>
bool open_pass(State& s, std::string_view module, uint64_t handle, Pass** pass,
               CommandEncoder** encoder, AuthorityError* error) {
  *pass = s.template find<Pass>(module, handle);
  if (!*pass) return fail(error, Status::InvalidHandle, fmt::format("no open pass {}", handle));
  *encoder = s.template find<CommandEncoder>(module, (*pass)->encoder);
  return true;
}

// Encoder `handle` of `module` with no pass open, or null with the error.
template <typename State>
CommandEncoder* idle_encoder(State& s, std::string_view module, uint64_t handle,
                             AuthorityError* error) {
  CommandEncoder* encoder = s.template find<CommandEncoder>(module, handle);
  if (!encoder) {
    fail(error, Status::InvalidHandle, fmt::format("no encoder {}", handle));
  } else if (encoder->open_pass) {
    fail(error, Status::GpuError,
         fmt::format("pass {} of encoder {} is still open", encoder->open_pass, handle));
    return nullptr;
  }
  return encoder;
}

// Whether `pass` has bound what its pipeline's layout needs.
template <typename State>
bool ready_to_run(State& s, std::string_view module, uint64_t handle, const Pass& pass,
                  AuthorityError* error) {
  const Pipeline* p = pass.compute ? s.template find<ComputePipeline>(module, pass.pipeline)
                                   : s.template find<Pipeline>(module, pass.pipeline);
  if (!p) return fail(error, Status::GpuError, fmt::format("pass {} has no pipeline set", handle));
  for (uint32_t i = 0; i < p->sets.size(); ++i) {
    if (p->sets[i].empty()) continue;
    auto bound = pass.bound.find(i);
    if (bound == pass.bound.end())
      return fail(error, Status::GpuError,
                  fmt::format("pass {}: no bind group at index {}", handle, i));
    if (!same_layout(bound->second, p->sets[i]))
      return fail(error, Status::GpuError,
                  fmt::format("pass {}: the bind group at index {} does not match the pipeline's "
                              "layout",
                              handle, i));
  }
  if (!pass.compute && p->vertex_buffer && !pass.vertex_buffer)
    return fail(error, Status::GpuError, fmt::format("pass {}: no vertex buffer set", handle));
  return true;
}

}  // namespace

uint64_t VulkanGpu::create_command_encoder(std::string_view module, AuthorityError* error) {
  size_t live = 0;
  if (auto m = s_->objects.find(module); m != s_->objects.end())
    for (const auto& [handle, object] : m->second)
      live += std::holds_alternative<CommandEncoder>(object) ||
              std::holds_alternative<CommandBuffer>(object);
  if (live >= kMaxRecordings)
    return fail_handle(
        error, Status::GpuError,
        fmt::format("{} encoders and command buffers are unsubmitted already", live));
  return s_->add(module, CommandEncoder{}, error);
}

uint64_t VulkanGpu::begin_render_pass(std::string_view module, uint64_t encoder, uint64_t target,
                                      const float clear[4], bool load, uint64_t depth,
                                      float depth_clear, AuthorityError* error) {
  CommandEncoder* enc = idle_encoder(*s_, module, encoder, error);
  if (!enc) return 0;
  RecordedPass pass;
  pass.kind = RecordedPass::Render;
  pass.load = load;
  std::memcpy(pass.clear, clear, sizeof pass.clear);
  if (SurfaceTexture* surface = s_->find<SurfaceTexture>(module, target)) {
    if (surface->generation != s_->surface_generation)
      return fail_handle(error, Status::SurfaceOutdated,
                         "the surface texture was presented or resized: take the current one");
    pass.generation = surface->generation;
  } else if (Texture* t = s_->find<Texture>(module, target); t && !t->depth) {
    pass.target = target;
  } else {
    return fail_handle(error, Status::InvalidHandle,
                       fmt::format("no colour texture {} to render to", target));
  }
  if (depth) {
    Texture* d = s_->find<Texture>(module, depth);
    if (!d || !d->depth)
      return fail_handle(error, Status::InvalidHandle, fmt::format("no depth texture {}", depth));
    if (!(depth_clear >= 0.0f && depth_clear <= 1.0f))
      return fail_handle(error, Status::GpuError, "the depth clear value must be in [0, 1]");
    pass.depth_target = depth;
    pass.depth_clear = depth_clear;
  }
  enc->passes.push_back(std::move(pass));
  Pass open{encoder, false, enc->passes.back().target};
  open.depth = depth != 0;
  enc->open_pass = s_->add(module, std::move(open), error);
  return enc->open_pass;
}

uint64_t VulkanGpu::begin_compute_pass(std::string_view module, uint64_t encoder,
                                       AuthorityError* error) {
  CommandEncoder* enc = idle_encoder(*s_, module, encoder, error);
  if (!enc) return 0;
  RecordedPass pass;
  pass.kind = RecordedPass::Compute;
  enc->passes.push_back(std::move(pass));
  enc->open_pass = s_->add(module, Pass{encoder, true}, error);
  return enc->open_pass;
}

bool VulkanGpu::set_pipeline(std::string_view module, uint64_t pass_handle, uint64_t pipeline,
                             AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  const Pipeline* p = pass->compute ? s_->find<ComputePipeline>(module, pipeline)
                                    : s_->find<Pipeline>(module, pipeline);
  if (!p)
    return fail(error, Status::InvalidHandle,
                fmt::format("no {} pipeline {}", pass->compute ? "compute" : "render", pipeline));
  if (!pass->compute && p->depth != pass->depth)
    return fail(
        error, Status::GpuError,
        fmt::format("pipeline {} {} a depth test but pass {} {} a depth attachment", pipeline,
                    p->depth ? "has" : "has no", pass_handle, pass->depth ? "has" : "has no"));
  pass->pipeline = pipeline;
  PassCommand command{PassCommand::SetPipeline, p->pipeline, p->layout};
  command.index = static_cast<uint32_t>(p->sets.size());
  command.object = pipeline;
  enc->passes.back().commands.push_back(command);
  return true;
}

bool VulkanGpu::set_bind_group(std::string_view module, uint64_t pass_handle, uint32_t index,
                               uint64_t group, AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  BindGroup* g = s_->find<BindGroup>(module, group);
  if (!g) return fail(error, Status::InvalidHandle, fmt::format("no bind group {}", group));
  if (index >= 4) return fail(error, Status::GpuError, "bind group index must be 0 to 3");
  if (pass->target && std::count(g->textures.begin(), g->textures.end(), pass->target))
    return fail(error, Status::GpuError,
                fmt::format("bind group {} samples texture {}, which this pass renders to", group,
                            pass->target));
  pass->bound[index] = g->layout;
  PassCommand command{PassCommand::SetBindGroup};
  command.set = g->set;
  command.index = index;
  command.object = group;
  enc->passes.back().commands.push_back(command);
  return true;
}

bool VulkanGpu::set_vertex_buffer(std::string_view module, uint64_t pass_handle, uint64_t buffer,
                                  AuthorityError* error) {
  return bind_buffer(module, pass_handle, buffer, false, 0, error);
}

bool VulkanGpu::set_index_buffer(std::string_view module, uint64_t pass_handle, uint64_t buffer,
                                 uint32_t format, AuthorityError* error) {
  if (format > 1) return fail(error, Status::GpuError, "index format must be 0 (u16) or 1 (u32)");
  return bind_buffer(module, pass_handle, buffer, true, format, error);
}

bool VulkanGpu::bind_buffer(std::string_view module, uint64_t pass_handle, uint64_t buffer,
                            bool index, uint32_t format, AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  Buffer* b = s_->find<Buffer>(module, buffer);
  uint32_t usage = index ? 8 : 1;
  if (pass->compute || !b || !(b->usage & usage))
    return fail(
        error, Status::InvalidHandle,
        fmt::format("no {} buffer {} (or not a render pass)", index ? "index" : "vertex", buffer));
  (index ? pass->index_buffer : pass->vertex_buffer) = true;
  PassCommand command{index ? PassCommand::SetIndexBuffer : PassCommand::SetVertexBuffer};
  command.buffer = b->buffer;
  command.object = buffer;
  command.index = format;
  enc->passes.back().commands.push_back(command);
  return true;
}

bool VulkanGpu::pass_draw_indexed(std::string_view module, uint64_t pass_handle,
                                  uint32_t index_count, uint32_t instance_count,
                                  uint32_t first_index, int32_t base_vertex,
                                  uint32_t first_instance, AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  if (pass->compute)
    return fail(error, Status::GpuError, fmt::format("pass {} is a compute pass", pass_handle));
  if (!pass->index_buffer)
    return fail(error, Status::GpuError, fmt::format("pass {}: no index buffer set", pass_handle));
  if (!ready_to_run(*s_, module, pass_handle, *pass, error)) return false;
  PassCommand command{PassCommand::DrawIndexed};
  command.counts[0] = index_count;
  command.counts[1] = instance_count;
  command.counts[2] = first_index;
  command.counts[3] = first_instance;
  command.base_vertex = base_vertex;
  enc->passes.back().commands.push_back(command);
  return true;
}

bool VulkanGpu::pass_draw(std::string_view module, uint64_t pass_handle, uint32_t vertex_count,
                          uint32_t instance_count, uint32_t first_vertex, uint32_t first_instance,
                          AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  if (pass->compute)
    return fail(error, Status::GpuError, fmt::format("pass {} is a compute pass", pass_handle));
  if (!ready_to_run(*s_, module, pass_handle, *pass, error)) return false;
  PassCommand command{PassCommand::Draw};
  command.counts[0] = vertex_count;
  command.counts[1] = instance_count;
  command.counts[2] = first_vertex;
  command.counts[3] = first_instance;
  enc->passes.back().commands.push_back(command);
  return true;
}

bool VulkanGpu::pass_dispatch(std::string_view module, uint64_t pass_handle, uint32_t x, uint32_t y,
                              uint32_t z, AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  if (!pass->compute)
    return fail(error, Status::GpuError, fmt::format("pass {} is a render pass", pass_handle));
  if (x > 65535 || y > 65535 || z > 65535)
    return fail(error, Status::GpuError, "at most 65535 workgroups per dimension");
  if (!ready_to_run(*s_, module, pass_handle, *pass, error)) return false;
  PassCommand command{PassCommand::Dispatch};
  command.counts[0] = x;
  command.counts[1] = y;
  command.counts[2] = z;
  enc->passes.back().commands.push_back(command);
  return true;
}

bool VulkanGpu::end_pass(std::string_view module, uint64_t pass_handle, AuthorityError* error) {
  Pass* pass;
  CommandEncoder* enc;
  if (!open_pass(*s_, module, pass_handle, &pass, &enc, error)) return false;
  if (enc) enc->open_pass = 0;
  s_->objects.find(module)->second.erase(pass_handle);
  return true;
}

bool VulkanGpu::copy_buffer(std::string_view module, uint64_t encoder, uint64_t source,
                            uint64_t source_offset, uint64_t destination,
                            uint64_t destination_offset, uint64_t size, AuthorityError* error) {
  CommandEncoder* enc = idle_encoder(*s_, module, encoder, error);
  if (!enc) return false;
  Buffer* from = s_->find<Buffer>(module, source);
  Buffer* to = s_->find<Buffer>(module, destination);
  if (!from || !to)
    return fail(error, Status::InvalidHandle,
                fmt::format("no buffer {} or {}", source, destination));
  auto fits = [&](const Buffer& b, uint64_t offset) {
    return offset <= b.size && size <= b.size - offset;
  };
  if (size == 0 || !fits(*from, source_offset) || !fits(*to, destination_offset) ||
      (source == destination && source_offset < destination_offset + size &&
       destination_offset < source_offset + size))
    return fail(error, Status::GpuError,
                fmt::format("copying {} bytes from {}@{} to {}@{} is out of range or overlaps",
                            size, source, source_offset, destination, destination_offset));
  RecordedPass copy;
  copy.kind = RecordedPass::Copy;
  copy.source = from->buffer;
  copy.destination = to->buffer;
  copy.region = {source_offset, destination_offset, size};
  copy.source_handle = source;
  copy.destination_handle = destination;
  enc->passes.push_back(std::move(copy));
  return true;
}

uint64_t VulkanGpu::finish_encoder(std::string_view module, uint64_t encoder,
                                   AuthorityError* error) {
  CommandEncoder* enc = idle_encoder(*s_, module, encoder, error);
  if (!enc) return 0;
  CommandBuffer buffer{std::move(enc->passes)};
  s_->objects.find(module)->second.erase(encoder);
  return s_->add(module, std::move(buffer), error);
}

bool VulkanGpu::State::target_of(std::string_view module, uint64_t target,
                                 VkFramebuffer* framebuffer_out, uint32_t* w, uint32_t* h,
                                 AuthorityError* error) {
  if (target == 0) {
    *framebuffer_out = framebuffer;
    *w = width;
    *h = height;
    return true;
  }
  Texture* t = find<Texture>(module, target);
  if (!t->framebuffer) {
    if (VkResult r = make_framebuffer({&t->view, 1}, t->width, t->height, &t->framebuffer);
        r != VK_SUCCESS)
      return fail(error, Status::GpuError, vk_error("vkCreateFramebuffer", r));
  }
  *framebuffer_out = t->framebuffer;
  *w = t->width;
  *h = t->height;
  return true;
}

namespace {

// Makes everything written so far visible to everything after (passes are
// few and large, so one full barrier between them costs little).
void full_barrier(VkCommandBuffer cmd, VkPipelineStageFlags to, VkAccessFlags access) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
  barrier.dstAccessMask = access;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, to, 0, 1, &barrier, 0, nullptr, 0,
                       nullptr);
}

// Records a pass's commands; sets are bound at each draw or dispatch with
// the pipeline's layout, so bind groups may be set before the pipeline.
void record_commands(VkCommandBuffer cmd, VkPipelineBindPoint point,
                     const std::vector<PassCommand>& commands) {
  VkPipelineLayout layout = VK_NULL_HANDLE;
  uint32_t set_count = 0;
  std::map<uint32_t, VkDescriptorSet> sets;
  for (const PassCommand& c : commands) {
    switch (c.kind) {
      case PassCommand::SetPipeline:
        vkCmdBindPipeline(cmd, point, c.pipeline);
        layout = c.layout;
        set_count = c.index;
        break;
      case PassCommand::SetBindGroup:
        sets[c.index] = c.set;
        break;
      case PassCommand::SetVertexBuffer: {
        VkDeviceSize offset = 0;
        vkCmdBindVertexBuffers(cmd, 0, 1, &c.buffer, &offset);
        break;
      }
      case PassCommand::SetIndexBuffer:
        vkCmdBindIndexBuffer(cmd, c.buffer, 0,
                             c.index ? VK_INDEX_TYPE_UINT32 : VK_INDEX_TYPE_UINT16);
        break;
      case PassCommand::Draw:
      case PassCommand::DrawIndexed:
      case PassCommand::Dispatch:
        for (auto [index, set] : sets)
          if (index < set_count)
            vkCmdBindDescriptorSets(cmd, point, layout, index, 1, &set, 0, nullptr);
        if (c.kind == PassCommand::Draw)
          vkCmdDraw(cmd, c.counts[0], c.counts[1], c.counts[2], c.counts[3]);
        else if (c.kind == PassCommand::DrawIndexed)
          vkCmdDrawIndexed(cmd, c.counts[0], c.counts[1], c.counts[2], c.base_vertex, c.counts[3]);
        else
          vkCmdDispatch(cmd, c.counts[0], c.counts[1], c.counts[2]);
        break;
    }
  }
}

}  // namespace

bool VulkanGpu::submit(std::string_view module, const std::vector<uint64_t>& command_buffers,
                       AuthorityError* error) {
  // Submitted command buffers are used up, whatever the outcome.
  std::vector<CommandBuffer> buffers;
  for (uint64_t handle : command_buffers) {
    CommandBuffer* cb = s_->find<CommandBuffer>(module, handle);
    if (!cb)
      return fail(error, Status::InvalidHandle,
                  fmt::format("no command buffer {} (each is submitted once)", handle));
    buffers.push_back(std::move(*cb));
    s_->objects.find(module)->second.erase(handle);
  }
  struct Target {
    VkFramebuffer framebuffer;
    uint32_t width, height;
  };
  // Passes with a depth attachment get a framebuffer of their colour and
  // depth views for this submit only.
  std::vector<VkFramebuffer> transient;
  struct DropTransient {
    VkDevice device;
    std::vector<VkFramebuffer>& list;
    ~DropTransient() {
      for (VkFramebuffer f : list) vkDestroyFramebuffer(device, f, nullptr);
    }
  } drop{s_->device, transient};
  std::vector<Target> targets;
  for (const CommandBuffer& cb : buffers)
    for (const RecordedPass& pass : cb.passes) {
      if (pass.kind != RecordedPass::Render) continue;
      if (pass.target == 0 && pass.generation != s_->surface_generation)
        return fail(error, Status::SurfaceOutdated,
                    "the surface was presented or resized since this pass was recorded");
      Target t;
      if (!s_->target_of(module, pass.target, &t.framebuffer, &t.width, &t.height, error))
        return false;
      if (pass.depth_target) {
        Texture* depth = s_->find<Texture>(module, pass.depth_target);
        if (depth->width != t.width || depth->height != t.height)
          return fail(error, Status::GpuError,
                      fmt::format("depth texture {} is {}x{}, its target {}x{}", pass.depth_target,
                                  depth->width, depth->height, t.width, t.height));
        VkImageView views[2] = {
            pass.target ? s_->find<Texture>(module, pass.target)->view : s_->view, depth->view};
        if (VkResult r = s_->make_framebuffer(views, t.width, t.height, &t.framebuffer);
            r != VK_SUCCESS)
          return fail(error, Status::GpuError, vk_error("vkCreateFramebuffer", r));
        transient.push_back(t.framebuffer);
      }
      targets.push_back(t);
    }
  if (s_->frame_module == module)
    return fail(error, Status::NoFrame, "a frame begun with begin_frame is open: end it first");
  VkResult r = s_->run_once([&](VkCommandBuffer cmd) {
    size_t next_target = 0;
    for (const CommandBuffer& cb : buffers)
      for (const RecordedPass& pass : cb.passes) {
        if (pass.kind == RecordedPass::Render) {
          const Target& t = targets[next_target++];
          VkClearValue clear[2]{};
          std::memcpy(clear[0].color.float32, pass.clear, sizeof pass.clear);
          clear[1].depthStencil = {pass.depth_clear, 0};
          VkRenderPassBeginInfo begin{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
          begin.renderPass = s_->pass_for(pass.depth_target != 0, pass.target != 0, pass.load);
          begin.framebuffer = t.framebuffer;
          begin.renderArea = {{0, 0}, {t.width, t.height}};
          begin.clearValueCount = pass.depth_target ? 2 : 1;
          begin.pClearValues = clear;
          vkCmdBeginRenderPass(cmd, &begin, VK_SUBPASS_CONTENTS_INLINE);
          VkViewport viewport{0, 0, static_cast<float>(t.width), static_cast<float>(t.height),
                              0, 1};
          VkRect2D scissor{{0, 0}, {t.width, t.height}};
          vkCmdSetViewport(cmd, 0, 1, &viewport);
          vkCmdSetScissor(cmd, 0, 1, &scissor);
          record_commands(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pass.commands);
          vkCmdEndRenderPass(cmd);
        } else if (pass.kind == RecordedPass::Compute) {
          record_commands(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pass.commands);
        } else {
          vkCmdCopyBuffer(cmd, pass.source, pass.destination, 1, &pass.region);
        }
        full_barrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                     VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT);
      }
    full_barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  });
  if (r != VK_SUCCESS) return fail(error, Status::GpuError, vk_error("the submit", r));
  return true;
}

uint64_t VulkanGpu::current_texture(std::string_view module, AuthorityError* error) {
  auto& list = s_->objects[std::string(module)];
  uint64_t& current = s_->surface_textures[std::string(module)];
  if (auto it = list.find(current); it != list.end()) {
    if (std::get<SurfaceTexture>(it->second).generation == s_->surface_generation) return current;
    list.erase(it);
  }
  current = s_->add(module, SurfaceTexture{s_->surface_generation}, error);
  return current;
}

bool VulkanGpu::present(std::string_view module, AuthorityError* error) {
  auto current = s_->surface_textures.find(module);
  SurfaceTexture* surface = current == s_->surface_textures.end()
                                ? nullptr
                                : s_->find<SurfaceTexture>(module, current->second);
  if (!surface || surface->generation != s_->surface_generation)
    return fail(error, Status::NoFrame, "present without the current texture of this frame");
  if (s_->frame_module == module)
    return fail(error, Status::NoFrame, "a frame begun with begin_frame is open: end it first");
  // The texture stays, outdated, until the module takes the next one.
  ++s_->surface_generation;
  VkResult r = s_->run_once([&](VkCommandBuffer cmd) {
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    copy.imageExtent = {s_->width, s_->height, 1};
    vkCmdCopyImageToBuffer(cmd, s_->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           s_->readback.buffer, 1, &copy);
    full_barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  });
  if (r != VK_SUCCESS) return fail(error, Status::GpuError, vk_error("the present", r));
  std::memcpy(s_->pixels.data(), s_->readback.mapped, s_->pixels.size());
  ++s_->finished;
  return true;
}

bool VulkanGpu::resize(uint32_t width, uint32_t height, std::string* why) {
  if (width == 0 || height == 0 || width > 8192 || height > 8192) {
    *why = fmt::format("a {}x{} surface is not supported", width, height);
    return false;
  }
  if (width == s_->width && height == s_->height) return true;
  abandon_frame();
  vkDeviceWaitIdle(s_->device);
  uint32_t old_width = s_->width, old_height = s_->height;
  s_->destroy_target();
  s_->width = width;
  s_->height = height;
  ++s_->surface_generation;
  if (auto r = s_->make_target(); !r) {
    *why = r.error().message;
    s_->destroy_target();
    s_->width = old_width;
    s_->height = old_height;
    if (auto again = s_->make_target(); !again) *why += "; and the old size failed too";
    return false;
  }
  return true;
}

}  // namespace interstice::authority
