// Test fixture: samples a 2x2 texture (red, green / blue, white) with a
// nearest sampler over the whole surface, one frame per `paint` call; with
// `grouped`, through a bind group instead of the resources themselves.
#include <interstice/sdk.h>

INTERSTICE_MODULE(texture_user, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Gpu)

void paint(interstice::ReducerContext& ctx, bool grouped) {
  interstice::Gpu gpu = ctx.gpu();
  interstice::GpuPipelineDesc desc;
  desc.vertex_shader = static_cast<uint64_t>(gpu.shader(interstice::Gpu::Vertex, R"(#version 450
layout(location = 0) out vec2 uv;
vec2 corners[6] = vec2[](vec2(0, 0), vec2(1, 0), vec2(0, 1), vec2(1, 0), vec2(1, 1), vec2(0, 1));
void main() {
  uv = corners[gl_VertexIndex];
  gl_Position = vec4(uv * 2.0 - 1.0, 0.0, 1.0);
})"));
  desc.fragment_shader = static_cast<uint64_t>(gpu.shader(interstice::Gpu::Fragment, R"(#version 450
layout(set = 0, binding = 0) uniform sampler2D image;
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
void main() { color = texture(image, uv); })"));
  desc.textures = 1;
  int64_t pipeline = gpu.pipeline(desc);
  int64_t texture = gpu.texture(2, 2);
  int64_t sampler = gpu.sampler(interstice::Gpu::Nearest);
  const uint8_t pixels[16] = {255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255};
  interstice::abi::Status written = gpu.write_texture(texture, pixels, sizeof pixels);
  std::vector<uint64_t> resources = {static_cast<uint64_t>(texture),
                                     static_cast<uint64_t>(sampler)};
  if (grouped) resources = {static_cast<uint64_t>(gpu.bind_group(pipeline, resources))};
  gpu.begin_frame(0, 0, 0);
  interstice::abi::Status drawn = gpu.draw(pipeline, 0, resources, 6);
  interstice::abi::Status ended = gpu.end_frame();
  ctx.log("format " + std::to_string(gpu.surface_format()) + ", pipeline " +
          std::to_string(pipeline > 0) + ", texture " + std::to_string(static_cast<int>(written)) +
          ", draw " + std::to_string(static_cast<int>(drawn)) + ", end " +
          std::to_string(static_cast<int>(ended)));
}
INTERSTICE_REDUCER(paint, "grouped")
