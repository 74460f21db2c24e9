// VulkanGpu's resources: shaders, buffers, textures, samplers and pipelines.
#include "authority/vulkan_gpu.h"

#include <fmt/format.h>

#include <cstring>

#include "authority/vulkan_gpu_state.h"

namespace interstice::authority {

using namespace vk;

base::Result<std::unique_ptr<VulkanGpu>> VulkanGpu::create(uint32_t width, uint32_t height,
                                                           bool for_window) {
  if (width == 0 || height == 0 || width > 8192 || height > 8192)
    return base::make_error(fmt::format("a {}x{} surface is not supported", width, height));
  auto state = std::make_unique<State>();
  state->width = width;
  state->height = height;
  state->for_window = for_window;
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
  return s_->add(module, shader, error);
}

uint64_t VulkanGpu::create_buffer(std::string_view module, uint64_t size, uint32_t usage,
                                  AuthorityError* error) {
  if (size == 0 || size > (64u << 20) || usage == 0 || usage > 15)
    return fail_handle(error, Status::GpuError,
                       fmt::format("buffer of {} bytes with usage {} refused", size, usage));
  if (std::string why = s_->fits(module, size); !why.empty())
    return fail_handle(error, Status::GpuError, why);
  Buffer buffer;
  buffer.usage = usage;
  VkBufferUsageFlags flags = ((usage & 1) ? VK_BUFFER_USAGE_VERTEX_BUFFER_BIT : 0) |
                             ((usage & 2) ? VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT : 0) |
                             ((usage & 4) ? VK_BUFFER_USAGE_STORAGE_BUFFER_BIT : 0) |
                             ((usage & 8) ? VK_BUFFER_USAGE_INDEX_BUFFER_BIT : 0) |
                             VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  std::string why;
  if (!s_->make_buffer(size, flags, &buffer, &why)) {
    s_->destroy(Object{buffer});
    return fail_handle(error, Status::GpuError, why);
  }
  std::memset(buffer.mapped, 0, size);
  return s_->add(module, buffer, error);
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
  if (desc.depth > abi::GpuDepthLessEqual)
    return fail_handle(error, Status::GpuError,
                       fmt::format("depth {} is unknown (0-2)", desc.depth));
  if (desc.topology > abi::GpuPointList || desc.blend > abi::GpuBlendAdd)
    return fail_handle(
        error, Status::GpuError,
        fmt::format("topology {} (0-4) or blend {} (0-2) is unknown", desc.topology, desc.blend));
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
  if (desc.textures > 8) return fail_handle(error, Status::GpuError, "at most 8 textures");
  Pipeline p;
  p.uniform_buffers = desc.uniform_buffers;
  p.textures = desc.textures;
  p.vertex_buffer = desc.vertex_stride > 0;
  LayoutDesc derived;
  for (uint32_t i = 0; i < desc.uniform_buffers; ++i)
    derived.push_back({i, abi::GpuUniformBuffer, abi::GpuVertexStage | abi::GpuFragmentStage});
  for (uint32_t i = 0; i < desc.textures; ++i)
    derived.push_back({desc.uniform_buffers + i, abi::GpuSampledTexture, abi::GpuFragmentStage});
  if (desc.layout != 0 && !derived.empty())
    return fail_handle(error, Status::GpuError,
                       "a pipeline with a layout takes its resources from the layout, not from "
                       "uniform_buffers and textures");
  if (!s_->attach_layout(module, desc.layout, derived, &p, error)) return 0;

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
  static constexpr VkPrimitiveTopology kTopologies[] = {
      VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST, VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP,
      VK_PRIMITIVE_TOPOLOGY_LINE_LIST, VK_PRIMITIVE_TOPOLOGY_LINE_STRIP,
      VK_PRIMITIVE_TOPOLOGY_POINT_LIST};
  assembly.topology = kTopologies[desc.topology];
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
  if (desc.blend != abi::GpuBlendReplace) {
    bool alpha = desc.blend == abi::GpuBlendAlpha;
    blend_attachment.blendEnable = VK_TRUE;
    blend_attachment.srcColorBlendFactor = alpha ? VK_BLEND_FACTOR_SRC_ALPHA : VK_BLEND_FACTOR_ONE;
    blend_attachment.dstColorBlendFactor =
        alpha ? VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA : VK_BLEND_FACTOR_ONE;
    blend_attachment.colorBlendOp = VK_BLEND_OP_ADD;
    blend_attachment.srcAlphaBlendFactor = VK_BLEND_FACTOR_ONE;
    blend_attachment.dstAlphaBlendFactor =
        alpha ? VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA : VK_BLEND_FACTOR_ONE;
    blend_attachment.alphaBlendOp = VK_BLEND_OP_ADD;
  }
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
  VkPipelineDepthStencilStateCreateInfo depth{
      VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
  depth.depthTestEnable = VK_TRUE;
  depth.depthWriteEnable = VK_TRUE;
  depth.depthCompareOp =
      desc.depth == abi::GpuDepthLess ? VK_COMPARE_OP_LESS : VK_COMPARE_OP_LESS_OR_EQUAL;
  p.depth = desc.depth != abi::GpuDepthNone;
  if (p.depth) info.pDepthStencilState = &depth;
  info.layout = p.layout;
  // Compatible with every render pass of its kind (with or without depth).
  info.renderPass = s_->pass_for(p.depth, false, false);
  if (VkResult r =
          vkCreateGraphicsPipelines(s_->device, VK_NULL_HANDLE, 1, &info, nullptr, &p.pipeline);
      r != VK_SUCCESS) {
    s_->destroy(Object{p});
    return fail_handle(error, Status::GpuError, vk_error("vkCreateGraphicsPipelines", r));
  }
  return s_->add(module, p, error);
}

uint64_t VulkanGpu::create_texture(std::string_view module, uint32_t width, uint32_t height,
                                   AuthorityError* error) {
  if (width == 0 || height == 0 || width > 4096 || height > 4096)
    return fail_handle(
        error, Status::GpuError,
        fmt::format("a {}x{} texture is refused (at most 4096x4096)", width, height));
  if (std::string why = s_->fits(module, static_cast<uint64_t>(width) * height * 4); !why.empty())
    return fail_handle(error, Status::GpuError, why);
  Texture t;
  if (std::string why =
          s_->make_image(width, height,
                         VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                             VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
                         &t);
      !why.empty()) {
    s_->destroy(Object{t});
    return fail_handle(error, Status::GpuError, why);
  }
  uint64_t handle = s_->add(module, t, error);
  // A new texture is transparent black, ready to sample.
  std::vector<uint8_t> zeros(static_cast<size_t>(width) * height * 4, 0);
  if (!write_texture(module, handle, zeros, error)) return 0;
  return handle;
}

uint64_t VulkanGpu::create_depth_texture(std::string_view module, uint32_t width, uint32_t height,
                                         AuthorityError* error) {
  if (width == 0 || height == 0 || width > 4096 || height > 4096)
    return fail_handle(
        error, Status::GpuError,
        fmt::format("a {}x{} depth texture is refused (at most 4096x4096)", width, height));
  if (std::string why = s_->fits(module, static_cast<uint64_t>(width) * height * 4); !why.empty())
    return fail_handle(error, Status::GpuError, why);
  Texture t;
  t.depth = true;
  if (std::string why = s_->make_image(width, height, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                       &t, kDepthFormat);
      !why.empty()) {
    s_->destroy(Object{t});
    return fail_handle(error, Status::GpuError, why);
  }
  return s_->add(module, t, error);
}

bool VulkanGpu::write_texture(std::string_view module, uint64_t handle, runtime::ByteView rgba,
                              AuthorityError* error) {
  Texture* t = s_->find<Texture>(module, handle);
  if (!t || t->depth)
    return fail(error, Status::InvalidHandle, fmt::format("no colour texture {}", handle));
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
  return s_->add(module, sampler, error);
}

uint64_t VulkanGpu::create_compute_pipeline(std::string_view module, uint64_t shader,
                                            uint32_t storage_buffers, AuthorityError* error) {
  if (storage_buffers > 8) return fail_handle(error, Status::GpuError, "at most 8 storage buffers");
  LayoutDesc derived;
  for (uint32_t i = 0; i < storage_buffers; ++i)
    derived.push_back({i, abi::GpuStorageBuffer, abi::GpuComputeStage});
  return make_compute_pipeline(module, shader, 0, derived, error);
}

uint64_t VulkanGpu::create_compute_pipeline_with_layout(std::string_view module, uint64_t shader,
                                                        uint64_t layout, AuthorityError* error) {
  if (layout == 0) return fail_handle(error, Status::InvalidHandle, "no pipeline layout 0");
  return make_compute_pipeline(module, shader, layout, {}, error);
}

uint64_t VulkanGpu::make_compute_pipeline(std::string_view module, uint64_t shader, uint64_t layout,
                                          const std::vector<abi::GpuLayoutEntry>& derived,
                                          AuthorityError* error) {
  Shader* cs = s_->find<Shader>(module, shader);
  if (!cs || cs->stage != 2)
    return fail_handle(error, Status::InvalidHandle, "a compute pipeline needs a compute shader");
  ComputePipeline p;
  p.uniform_buffers = static_cast<uint32_t>(derived.size());
  if (!s_->attach_layout(module, layout, derived, &p, error)) return 0;
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
  return s_->add(module, p, error);
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

}  // namespace interstice::authority
