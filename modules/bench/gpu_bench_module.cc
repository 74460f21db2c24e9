// Benchmark module for bench/gpu_bench: `frame(n, v)` draws v vertices n times
// in one immediate frame through the Gpu host calls, and `encoded_frame(n, v)`
// does the same through a command encoder's render pass, submit and present
// (the pipeline and its bind group are built on first use).
#include <interstice/sdk.h>

INTERSTICE_MODULE(gpu_bench, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Gpu)

namespace {
int64_t pipeline = 0, color = 0, group = 0;

bool ready(interstice::ReducerContext& ctx) {
  if (pipeline > 0) return true;
  interstice::Gpu gpu = ctx.gpu();
  interstice::GpuPipelineDesc desc;
  desc.vertex_shader = static_cast<uint64_t>(gpu.shader(interstice::Gpu::Vertex, R"(#version 450
vec2 p[3] = vec2[](vec2(0.0, -0.5), vec2(0.5, 0.5), vec2(-0.5, 0.5));
void main() { gl_Position = vec4(p[gl_VertexIndex], 0.0, 1.0); })"));
  desc.fragment_shader = static_cast<uint64_t>(gpu.shader(interstice::Gpu::Fragment, R"(#version 450
layout(set = 0, binding = 0) uniform Color { vec4 color; };
layout(location = 0) out vec4 out_color;
void main() { out_color = color; })"));
  desc.uniform_buffers = 1;
  color = gpu.buffer(16, interstice::Gpu::UniformBuffer);
  pipeline = gpu.pipeline(desc);
  group = gpu.bind_group(pipeline, {static_cast<uint64_t>(color)});
  return pipeline > 0 && color > 0 && group > 0;
}
}  // namespace

void frame(interstice::ReducerContext& ctx, uint32_t draws, uint32_t vertices) {
  if (!ready(ctx)) ctx.fail("no pipeline");
  interstice::Gpu gpu = ctx.gpu();
  std::vector<uint64_t> uniforms{static_cast<uint64_t>(color)};
  gpu.begin_frame(0, 0, 0);
  for (uint32_t i = 0; i < draws; ++i) gpu.draw(pipeline, 0, uniforms, vertices);
  if (gpu.end_frame() != interstice::abi::Status::Ok) ctx.fail("end_frame failed");
}
INTERSTICE_REDUCER(frame, "draws", "vertices")

namespace {

// An encoder with one render pass into the surface that draws `draws` times.
int64_t record_pass(interstice::Gpu& gpu, uint32_t draws, uint32_t vertices) {
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, gpu.current_texture(), 0, 0, 0);
  gpu.set_pipeline(pass, pipeline);
  gpu.set_bind_group(pass, 0, group);
  for (uint32_t i = 0; i < draws; ++i) gpu.pass_draw(pass, vertices);
  gpu.end_pass(pass);
  return encoder;
}

}  // namespace

void encoded_frame(interstice::ReducerContext& ctx, uint32_t draws, uint32_t vertices) {
  if (!ready(ctx)) ctx.fail("no pipeline");
  interstice::Gpu gpu = ctx.gpu();
  int64_t encoder = record_pass(gpu, draws, vertices);
  if (gpu.submit({static_cast<uint64_t>(gpu.finish(encoder))}) != interstice::abi::Status::Ok ||
      gpu.present() != interstice::abi::Status::Ok)
    ctx.fail("submit or present failed");
}
INTERSTICE_REDUCER(encoded_frame, "draws", "vertices")

// Records `draws` empty draws into a render pass and drops the encoder: the
// host-call cost of recording, without any GPU work.
void record_only(interstice::ReducerContext& ctx, uint32_t draws, uint32_t vertices) {
  if (!ready(ctx)) ctx.fail("no pipeline");
  interstice::Gpu gpu = ctx.gpu();
  if (gpu.release(record_pass(gpu, draws, vertices)) != interstice::abi::Status::Ok)
    ctx.fail("release failed");
}
INTERSTICE_REDUCER(record_only, "draws", "vertices")
