// The graphics example: holds Gpu and Input. Every frame (`render`) it draws
// a triangle in the current colour on a dark blue background; a key press
// cycles the colour (space, or any key) and every input event is logged.
// The pipeline is built on the first frame after a (re)start: GPU handles
// belong to the running node, so they live in an ephemeral table. It uses
// the WebGPU-shaped path: an explicit bind group layout and pipeline layout,
// a bind group, and per frame a command encoder with one render pass into
// the surface's current texture, submitted and presented.
#include <interstice/sdk.h>

INTERSTICE_MODULE(graphics, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Gpu)
INTERSTICE_REQUEST_AUTHORITY(Input)

struct Scene {
  uint32_t id = 0;
  int64_t pipeline = 0;
  int64_t color_buffer = 0;
  int64_t bind_group = 0;
  INTERSTICE_TYPE(Scene, id, pipeline, color_buffer, bind_group)
};
INTERSTICE_TABLE(scene, Scene, primary_key(&Scene::id), ephemeral())

// Which colour the triangle has: logged, so it survives restarts.
struct Look {
  uint32_t id = 0;
  uint32_t color = 0;
  INTERSTICE_TYPE(Look, id, color)
};
INTERSTICE_TABLE(look, Look, primary_key(&Look::id))

namespace {

constexpr float kColors[][4] = {{1.0f, 0.5f, 0.0f, 1.0f},   // orange
                                {0.0f, 0.8f, 0.2f, 1.0f},   // green
                                {0.9f, 0.1f, 0.6f, 1.0f}};  // magenta

constexpr const char* kVertexShader = R"(#version 450
vec2 positions[3] = vec2[](vec2(0.0, -0.5), vec2(0.5, 0.5), vec2(-0.5, 0.5));
void main() { gl_Position = vec4(positions[gl_VertexIndex], 0.0, 1.0); }
)";

constexpr const char* kFragmentShader = R"(#version 450
layout(set = 0, binding = 0) uniform Color { vec4 color; };
layout(location = 0) out vec4 out_color;
void main() { out_color = color; }
)";

std::optional<Scene> build_scene(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  int64_t vs = gpu.shader(interstice::Gpu::Vertex, kVertexShader);
  int64_t fs = gpu.shader(interstice::Gpu::Fragment, kFragmentShader);
  int64_t color = gpu.buffer(16, interstice::Gpu::UniformBuffer);
  if (vs <= 0 || fs <= 0 || color <= 0) {
    ctx.log("could not create the shaders or the colour buffer (status " +
                std::to_string(-std::min({vs, fs, color})) + ")",
            interstice::abi::LogLevel::Error);
    return std::nullopt;
  }
  // One uniform buffer (the colour) at binding 0, seen by the fragment stage.
  int64_t layout = gpu.bind_group_layout(
      {{0, interstice::abi::GpuUniformBuffer, interstice::abi::GpuFragmentStage}});
  int64_t pipeline_layout =
      layout > 0 ? gpu.pipeline_layout({static_cast<uint64_t>(layout)}) : layout;
  int64_t group = layout > 0
                      ? gpu.bind_group_of_layout(layout, {{0, static_cast<uint64_t>(color), 0}})
                      : layout;
  interstice::GpuPipelineDesc desc;
  desc.vertex_shader = static_cast<uint64_t>(vs);
  desc.fragment_shader = static_cast<uint64_t>(fs);
  desc.layout = static_cast<uint64_t>(pipeline_layout);
  int64_t pipeline =
      pipeline_layout > 0 && group > 0 ? gpu.pipeline(desc) : std::min(pipeline_layout, group);
  if (pipeline <= 0) {
    ctx.log("could not create the pipeline (status " + std::to_string(-pipeline) + ")",
            interstice::abi::LogLevel::Error);
    return std::nullopt;
  }
  Scene built{0, pipeline, color, group};
  ctx.table<scene>().insert(built);
  ctx.log("pipeline ready");
  return built;
}

uint32_t current_color(interstice::ReducerContext& ctx) {
  auto row = ctx.table<look>().get(uint32_t{0});
  return row ? row->color : 0;
}

}  // namespace

void on_render(interstice::ReducerContext& ctx, uint64_t frame) {
  auto existing = ctx.table<scene>().get(uint32_t{0});
  std::optional<Scene> s = existing ? existing : build_scene(ctx);
  if (!s) return;
  interstice::Gpu gpu = ctx.gpu();
  const float* color = kColors[current_color(ctx) % 3];
  gpu.write(s->color_buffer, 0, color, sizeof(float) * 4);
  int64_t encoder = gpu.command_encoder();
  int64_t pass = gpu.begin_render_pass(encoder, gpu.current_texture(), 0.05f, 0.05f, 0.2f);
  interstice::abi::Status steps[] = {gpu.set_pipeline(pass, s->pipeline),
                                     gpu.set_bind_group(pass, 0, s->bind_group),
                                     gpu.pass_draw(pass, 3),
                                     gpu.end_pass(pass),
                                     gpu.submit({static_cast<uint64_t>(gpu.finish(encoder))}),
                                     gpu.present()};
  for (interstice::abi::Status step : steps)
    if (step != interstice::abi::Status::Ok) {
      ctx.log("frame " + std::to_string(frame) + " failed: status " +
                  std::to_string(static_cast<int>(step)),
              interstice::abi::LogLevel::Error);
      return;
    }
}
INTERSTICE_SUBSCRIBE(on_render, "render", "frame")

void on_input(interstice::ReducerContext& ctx, interstice::InputEvent event) {
  using interstice::abi::InputKind;
  switch (event.kind) {
    case InputKind::KeyDown: {
      uint32_t next = (current_color(ctx) + 1) % 3;
      if (ctx.table<look>().get(uint32_t{0}))
        ctx.table<look>().update(Look{0, next});
      else
        ctx.table<look>().insert(Look{0, next});
      ctx.log("key " + std::to_string(event.key) + " down: colour " + std::to_string(next));
      break;
    }
    case InputKind::MouseDown:
      ctx.log("mouse button " + std::to_string(event.button) + " at " + std::to_string(event.x) +
              "," + std::to_string(event.y));
      break;
    case InputKind::Resize:
      ctx.log("window resized to " + std::to_string(event.width) + "x" +
              std::to_string(event.height));
      break;
    case InputKind::Close:
      ctx.log("window closed");
      break;
    default:
      ctx.log("input event " + std::to_string(event.kind));
  }
}
INTERSTICE_SUBSCRIBE(on_input, "input", "event")
