// Test fixture: the Gpu's WebGPU-shaped path. `two_passes` renders into a
// texture, then samples it onto the left half of the surface and presents;
// `compute_and_copy` doubles numbers in a compute pass and copies them to a
// second buffer; `misuse` logs the status of each mistake it makes;
// `take_texture` / `use_texture` keep a surface texture across calls (so a
// test can resize the surface in between).
#include <interstice/sdk.h>

#include <cstring>

INTERSTICE_MODULE(encoder_user, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Gpu)

namespace {

using interstice::abi::Status;

uint64_t u(int64_t handle) {
  return static_cast<uint64_t>(handle);
}
int s(Status status) {
  return static_cast<int>(status);
}

constexpr const char* kFullQuad = R"(#version 450
layout(location = 0) out vec2 uv;
vec2 corners[6] = vec2[](vec2(0, 0), vec2(1, 0), vec2(0, 1), vec2(1, 0), vec2(1, 1), vec2(0, 1));
void main() {
  uv = corners[gl_VertexIndex];
  gl_Position = vec4(uv.x - 1.0, uv.y * 2.0 - 1.0, 0.0, 1.0);  // the left half
})";
constexpr const char* kSample = R"(#version 450
layout(set = 0, binding = 3) uniform sampler2D image;
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
void main() { color = texture(image, uv); })";

// A pipeline drawing kFullQuad sampled from a texture at set 0, binding 3,
// through an explicit layout; *layout gets the bind group layout.
int64_t sampling_pipeline(interstice::Gpu& gpu, int64_t* layout) {
  *layout = gpu.bind_group_layout(
      {{3, interstice::abi::GpuSampledTexture, interstice::abi::GpuFragmentStage}});
  interstice::GpuPipelineDesc desc;
  desc.vertex_shader = u(gpu.shader(interstice::Gpu::Vertex, kFullQuad));
  desc.fragment_shader = u(gpu.shader(interstice::Gpu::Fragment, kSample));
  desc.layout = u(gpu.pipeline_layout({u(*layout)}));
  return gpu.pipeline(desc);
}

int64_t kept_texture = 0;

}  // namespace

void two_passes(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  int64_t layout = 0;
  int64_t pipeline = sampling_pipeline(gpu, &layout);
  int64_t target = gpu.texture(4, 4);
  int64_t group =
      gpu.bind_group_of_layout(layout, {{3, u(target), u(gpu.sampler(interstice::Gpu::Nearest))}});
  int64_t encoder = gpu.command_encoder();
  // Pass 1 clears the texture to blue; pass 2 clears the surface to red and
  // draws the texture over its left half.
  int64_t first = gpu.begin_render_pass(encoder, target, 0, 0, 1);
  Status ended_first = gpu.end_pass(first);
  int64_t second = gpu.begin_render_pass(encoder, gpu.current_texture(), 1, 0, 0);
  Status steps[] = {gpu.set_bind_group(second, 0, group), gpu.set_pipeline(second, pipeline),
                    gpu.pass_draw(second, 6), gpu.end_pass(second)};
  int64_t commands = gpu.finish(encoder);
  Status submitted = gpu.submit({u(commands)});
  Status presented = gpu.present();
  std::string log = "pipeline " + std::to_string(pipeline > 0) + ", group " +
                    std::to_string(group > 0) + ", passes " +
                    std::to_string(first > 0 && second > 0) + ", steps";
  for (Status step : {ended_first, steps[0], steps[1], steps[2], steps[3]})
    log += " " + std::to_string(s(step));
  ctx.log(log + ", submit " + std::to_string(s(submitted)) + ", present " +
          std::to_string(s(presented)));
}
INTERSTICE_REDUCER(two_passes)

void compute_and_copy(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  int64_t layout = gpu.bind_group_layout(
      {{0, interstice::abi::GpuStorageBuffer, interstice::abi::GpuComputeStage}});
  int64_t shader = gpu.shader(interstice::Gpu::Compute, R"(#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) buffer Numbers { uint values[]; };
void main() { values[gl_GlobalInvocationID.x] *= 2u; })");
  int64_t pipeline = gpu.compute_pipeline_with_layout(shader, gpu.pipeline_layout({u(layout)}));
  int64_t numbers = gpu.buffer(64 * 4, interstice::Gpu::StorageBuffer);
  int64_t copy = gpu.buffer(64 * 4, interstice::Gpu::StorageBuffer);
  uint32_t values[64];
  for (uint32_t i = 0; i < 64; ++i) values[i] = i;
  gpu.write(numbers, 0, values, sizeof values);
  int64_t group = gpu.bind_group_of_layout(layout, {{0, u(numbers), 0}});
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_compute_pass(encoder);
  gpu.set_pipeline(pass, pipeline);
  gpu.set_bind_group(pass, 0, group);
  Status dispatched = gpu.pass_dispatch(pass, 1);
  gpu.end_pass(pass);
  Status copied = gpu.copy_buffer(encoder, numbers, 0, copy, 0, sizeof values);
  Status submitted = gpu.submit({u(gpu.finish(encoder))});
  auto bytes = gpu.read(copy, 0, sizeof values);
  uint32_t sum = 0;
  if (bytes) {
    std::memcpy(values, bytes->data(), sizeof values);
    for (uint32_t v : values) sum += v;
  }
  ctx.log("pipeline " + std::to_string(pipeline > 0) + ", dispatch " +
          std::to_string(s(dispatched)) + ", copy " + std::to_string(s(copied)) + ", submit " +
          std::to_string(s(submitted)) + ", sum " + std::to_string(sum));
}
INTERSTICE_REDUCER(compute_and_copy)

void misuse(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  int64_t layout = 0;
  int64_t pipeline = sampling_pipeline(gpu, &layout);
  int64_t target = gpu.texture(4, 4);
  int64_t sampler = gpu.sampler(interstice::Gpu::Nearest);
  int64_t group = gpu.bind_group_of_layout(layout, {{3, u(target), u(sampler)}});
  int64_t other_layout = gpu.bind_group_layout(
      {{0, interstice::abi::GpuSampledTexture, interstice::abi::GpuFragmentStage}});
  int64_t other_group = gpu.bind_group_of_layout(other_layout, {{0, u(target), u(sampler)}});
  std::string log;
  auto note = [&](const char* what, int64_t status) {
    log += std::string(log.empty() ? "" : ", ") + what + " " + std::to_string(status);
  };
  int64_t surface = gpu.current_texture();
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, surface, 0, 0, 0);
  note("no pipeline", s(gpu.pass_draw(pass, 3)));
  gpu.set_pipeline(pass, pipeline);
  note("no group", s(gpu.pass_draw(pass, 3)));
  gpu.set_bind_group(pass, 0, other_group);
  note("wrong layout", s(gpu.pass_draw(pass, 3)));
  note("dispatch in render", s(gpu.pass_dispatch(pass, 1)));
  note("nested pass", -gpu.begin_compute_pass(encoder));
  note("finish while open", -gpu.finish(encoder));
  gpu.end_pass(pass);
  note("ended twice", s(gpu.end_pass(pass)));
  int64_t into_target = gpu.begin_render_pass(encoder, target, 0, 0, 0);
  note("sample own target", s(gpu.set_bind_group(into_target, 0, group)));
  gpu.end_pass(into_target);
  int64_t commands = gpu.finish(encoder);
  note("submit", s(gpu.submit({u(commands)})));
  note("resubmit", s(gpu.submit({u(commands)})));
  note("bad layout", -gpu.bind_group_layout({{0, 7, interstice::abi::GpuFragmentStage}}));
  note("missing entry", -gpu.bind_group_of_layout(layout, {}));
  note("present", s(gpu.present()));
  note("present again", s(gpu.present()));
  note("stale texture", -gpu.begin_render_pass(gpu.command_encoder(), surface, 0, 0, 0));
  note("not a target", -gpu.begin_render_pass(gpu.command_encoder(), sampler, 0, 0, 0));
  ctx.log(log);
}
INTERSTICE_REDUCER(misuse)

void take_texture(interstice::ReducerContext& ctx) {
  kept_texture = ctx.gpu().current_texture();
  ctx.log("texture " + std::to_string(kept_texture > 0));
}
INTERSTICE_REDUCER(take_texture)

void use_texture(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  int64_t pass = gpu.begin_render_pass(gpu.command_encoder(), kept_texture, 0, 1, 0);
  ctx.log("pass " + std::to_string(pass > 0 ? 0 : -pass));
}
INTERSTICE_REDUCER(use_texture)

// gpu_release: each refusal and release in turn, with its status.
void lifecycle(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  std::string log;
  auto note = [&](const char* what, Status status) {
    log += std::string(log.empty() ? "" : ", ") + what + " " + std::to_string(s(status));
  };
  int64_t uniforms = gpu.bind_group_layout(
      {{0, interstice::abi::GpuUniformBuffer, interstice::abi::GpuFragmentStage}});
  int64_t buffer = gpu.buffer(16, interstice::Gpu::UniformBuffer);
  int64_t group = gpu.bind_group_of_layout(uniforms, {{0, u(buffer), 0}});
  note("buffer in a group", gpu.release(buffer));
  note("group", gpu.release(group));
  note("buffer", gpu.release(buffer));
  note("buffer again", gpu.release(buffer));
  int64_t layout = gpu.pipeline_layout({u(uniforms)});
  note("set layout in a layout", gpu.release(uniforms));
  int64_t sampled = 0;
  int64_t pipeline = sampling_pipeline(gpu, &sampled);
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, gpu.texture(4, 4), 0, 0, 0);
  gpu.set_pipeline(pass, pipeline);
  note("open pass", gpu.release(pass));
  gpu.end_pass(pass);
  note("recorded pipeline", gpu.release(pipeline));
  note("encoder", gpu.release(encoder));
  note("pipeline", gpu.release(pipeline));
  note("layout", gpu.release(layout));
  note("set layout", gpu.release(uniforms));
  gpu.begin_frame(0, 0, 0);
  note("in a frame", gpu.release(gpu.buffer(16, interstice::Gpu::UniformBuffer)));
  gpu.end_frame();
  ctx.log(log);
}
INTERSTICE_REDUCER(lifecycle)

// An indexed quad over the right half (four corners, six u16 indices) in
// green, on a surface cleared red.
void indexed_quad(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  interstice::GpuPipelineDesc desc;
  desc.vertex_shader = u(gpu.shader(interstice::Gpu::Vertex, R"(#version 450
layout(location = 0) in vec2 position;
void main() { gl_Position = vec4(position, 0.0, 1.0); })"));
  desc.fragment_shader = u(gpu.shader(interstice::Gpu::Fragment, R"(#version 450
layout(location = 0) out vec4 color;
void main() { color = vec4(0.0, 1.0, 0.0, 1.0); })"));
  desc.vertex_stride = 8;
  desc.attributes = {{0, 1, 0}};  // location 0, float32x2, offset 0
  int64_t pipeline = gpu.pipeline(desc);
  const float corners[8] = {0, -1, 1, -1, 0, 1, 1, 1};
  const uint16_t indices[6] = {0, 1, 2, 2, 1, 3};
  int64_t vertices = gpu.buffer(sizeof corners, interstice::Gpu::VertexBuffer);
  int64_t index_buffer = gpu.buffer(sizeof indices, interstice::Gpu::IndexBuffer);
  gpu.write(vertices, 0, corners, sizeof corners);
  gpu.write(index_buffer, 0, indices, sizeof indices);
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, gpu.current_texture(), 1, 0, 0);
  gpu.set_pipeline(pass, pipeline);
  gpu.set_vertex_buffer(pass, vertices);
  Status without_indices = gpu.pass_draw_indexed(pass, 6);
  Status bad_format = gpu.set_index_buffer(pass, index_buffer, interstice::Gpu::IndexFormat(2));
  Status not_an_index_buffer = gpu.set_index_buffer(pass, vertices, interstice::Gpu::Uint16);
  gpu.set_index_buffer(pass, index_buffer, interstice::Gpu::Uint16);
  Status drawn = gpu.pass_draw_indexed(pass, 6);
  gpu.end_pass(pass);
  Status submitted = gpu.submit({u(gpu.finish(encoder))});
  ctx.log("pipeline " + std::to_string(pipeline > 0) + ", without indices " +
          std::to_string(s(without_indices)) + ", bad format " + std::to_string(s(bad_format)) +
          ", not an index buffer " + std::to_string(s(not_an_index_buffer)) + ", drawn " +
          std::to_string(s(drawn)) + ", submit " + std::to_string(s(submitted)) + ", present " +
          std::to_string(s(gpu.present())));
}
INTERSTICE_REDUCER(indexed_quad)

// Pipeline state: a full-surface triangle strip in half-transparent red,
// alpha-blended over blue, then a green line list across row 16 (of 32).
void blended_lines(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  auto pipeline = [&](const char* vertex, const char* fragment, uint32_t topology, uint32_t blend) {
    interstice::GpuPipelineDesc desc;
    desc.vertex_shader = u(gpu.shader(interstice::Gpu::Vertex, vertex));
    desc.fragment_shader = u(gpu.shader(interstice::Gpu::Fragment, fragment));
    desc.topology = topology;
    desc.blend = blend;
    return gpu.pipeline(desc);
  };
  int64_t quad = pipeline(R"(#version 450
vec2 corners[4] = vec2[](vec2(-1, -1), vec2(1, -1), vec2(-1, 1), vec2(1, 1));
void main() { gl_Position = vec4(corners[gl_VertexIndex], 0.0, 1.0); })",
                          R"(#version 450
layout(location = 0) out vec4 color;
void main() { color = vec4(1.0, 0.0, 0.0, 0.5); })",
                          interstice::abi::GpuTriangleStrip, interstice::abi::GpuBlendAlpha);
  int64_t line = pipeline(R"(#version 450
void main() { gl_Position = vec4(gl_VertexIndex == 0 ? -1.0 : 1.0, 0.03125, 0.0, 1.0); })",
                          R"(#version 450
layout(location = 0) out vec4 color;
void main() { color = vec4(0.0, 1.0, 0.0, 1.0); })",
                          interstice::abi::GpuLineList, interstice::abi::GpuBlendReplace);
  interstice::GpuPipelineDesc unknown;
  unknown.vertex_shader = u(gpu.shader(interstice::Gpu::Vertex, "#version 450\nvoid main() {}"));
  unknown.fragment_shader =
      u(gpu.shader(interstice::Gpu::Fragment, "#version 450\nvoid main() {}"));
  unknown.topology = 9;
  int64_t refused = gpu.pipeline(unknown);
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, gpu.current_texture(), 0, 0, 1);
  gpu.set_pipeline(pass, quad);
  Status quad_drawn = gpu.pass_draw(pass, 4);
  gpu.set_pipeline(pass, line);
  Status line_drawn = gpu.pass_draw(pass, 2);
  gpu.end_pass(pass);
  Status submitted = gpu.submit({u(gpu.finish(encoder))});
  ctx.log("pipelines " + std::to_string(quad > 0 && line > 0) + ", unknown topology " +
          std::to_string(-refused) + ", quad " + std::to_string(s(quad_drawn)) + ", line " +
          std::to_string(s(line_drawn)) + ", submit " + std::to_string(s(submitted)) +
          ", present " + std::to_string(s(gpu.present())));
}
INTERSTICE_REDUCER(blended_lines)

// The depth test: a near red quad over the left two thirds, then a far
// green quad over the right two thirds; where they overlap the nearer red
// stays, though green was drawn later.
void depth_quads(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  auto pipeline = [&](float x0, float x1, float z, const char* rgb, uint32_t depth) {
    std::string vertex = "#version 450\nvec2 c[4] = vec2[](vec2(" + std::to_string(x0) +
                         ", -1), vec2(" + std::to_string(x1) + ", -1), vec2(" + std::to_string(x0) +
                         ", 1), vec2(" + std::to_string(x1) +
                         ", 1));\nvoid main() { gl_Position = vec4(c[gl_VertexIndex], " +
                         std::to_string(z) + ", 1.0); }";
    std::string fragment =
        std::string(
            "#version 450\nlayout(location = 0) out vec4 color;\nvoid main() { color = "
            "vec4(") +
        rgb + ", 1.0); }";
    interstice::GpuPipelineDesc desc;
    desc.vertex_shader = u(gpu.shader(interstice::Gpu::Vertex, vertex));
    desc.fragment_shader = u(gpu.shader(interstice::Gpu::Fragment, fragment));
    desc.topology = interstice::abi::GpuTriangleStrip;
    desc.depth = depth;
    return gpu.pipeline(desc);
  };
  int64_t near_red = pipeline(-1.0f, 0.34f, 0.2f, "1, 0, 0", interstice::abi::GpuDepthLess);
  int64_t far_green = pipeline(-0.34f, 1.0f, 0.8f, "0, 1, 0", interstice::abi::GpuDepthLess);
  int64_t flat = pipeline(-1.0f, 1.0f, 0.5f, "0, 0, 1", interstice::abi::GpuDepthNone);
  int64_t depth = gpu.depth_texture(32, 32);
  int64_t small_depth = gpu.depth_texture(8, 8);
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, gpu.current_texture(), 0, 0, 0, 1, false, depth);
  Status flat_in_depth_pass = gpu.set_pipeline(pass, flat);
  gpu.set_pipeline(pass, near_red);
  Status red = gpu.pass_draw(pass, 4);
  gpu.set_pipeline(pass, far_green);
  Status green = gpu.pass_draw(pass, 4);
  gpu.end_pass(pass);
  Status submitted = gpu.submit({u(gpu.finish(encoder))});
  Status presented = gpu.present();
  // Mistakes: a depth texture as the colour target, sampled, or of another size.
  int64_t as_color = gpu.begin_render_pass(gpu.command_encoder(), depth, 0, 0, 0);
  int64_t sampled = gpu.bind_group_of_layout(
      gpu.bind_group_layout(
          {{0, interstice::abi::GpuSampledTexture, interstice::abi::GpuFragmentStage}}),
      {{0, u(depth), u(gpu.sampler(interstice::Gpu::Nearest))}});
  int64_t other = gpu.command_encoder();
  int64_t mismatched =
      gpu.begin_render_pass(other, gpu.current_texture(), 0, 0, 0, 1, false, small_depth);
  gpu.end_pass(mismatched);
  Status mismatch = gpu.submit({u(gpu.finish(other))});
  ctx.log("pipelines " + std::to_string(near_red > 0 && far_green > 0 && flat > 0) +
          ", flat in a depth pass " + std::to_string(s(flat_in_depth_pass)) + ", red " +
          std::to_string(s(red)) + ", green " + std::to_string(s(green)) + ", submit " +
          std::to_string(s(submitted)) + ", present " + std::to_string(s(presented)) +
          ", depth as colour " + std::to_string(-as_color) + ", depth sampled " +
          std::to_string(-sampled) + ", other size " + std::to_string(s(mismatch)));
}
INTERSTICE_REDUCER(depth_quads)

// The Gpu memory budget: 256 KiB buffers until one is refused, then one
// more after a release.
void hoard(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  std::vector<int64_t> kept;
  int64_t last = 0;
  while (kept.size() < 100 && (last = gpu.buffer(256 << 10, interstice::Gpu::StorageBuffer)) > 0)
    kept.push_back(last);
  int64_t texture = gpu.texture(256, 256);  // 256 KiB too
  gpu.release(kept.back());
  int64_t again = gpu.buffer(256 << 10, interstice::Gpu::StorageBuffer);
  ctx.log("kept " + std::to_string(kept.size()) + ", then " + std::to_string(-last) + ", texture " +
          std::to_string(-texture) + ", after a release " + std::to_string(again > 0));
}
INTERSTICE_REDUCER(hoard)

// Bad input through the raw host calls: undecodable descriptors and
// negative counts are BadArguments (11), never a crash.
void garbage(interstice::ReducerContext& ctx) {
  namespace host = interstice::sdk::host;
  const uint8_t junk[5] = {0xff, 0xff, 0xff, 0xff, 0x01};
  std::string log =
      "layout " + std::to_string(-host::ihost_gpu_create_bind_group_layout(junk, 5)) +
      ", pipeline layout " + std::to_string(-host::ihost_gpu_create_pipeline_layout(junk, 5)) +
      ", bind group " + std::to_string(-host::ihost_gpu_create_bind_group_with_layout(1, junk, 5)) +
      ", pipeline " + std::to_string(-host::ihost_gpu_create_pipeline(junk, 5)) + ", submit " +
      std::to_string(host::ihost_gpu_queue_submit(junk, 5)) + ", draw " +
      std::to_string(host::ihost_gpu_pass_draw(1, -1, 1, 0, 0)) + ", texture " +
      std::to_string(-host::ihost_gpu_create_texture(-4, 4)) + ", capture " +
      std::to_string(-host::ihost_audio_capture_read(-1));
  ctx.log(log);
}
INTERSTICE_REDUCER(garbage)

// A pointer outside linear memory traps the module (the call fails).
void wild_pointer(interstice::ReducerContext&) {
  interstice::sdk::host::ihost_gpu_queue_submit(reinterpret_cast<const void*>(0x7ffffff0), 64);
}
INTERSTICE_REDUCER(wild_pointer)
