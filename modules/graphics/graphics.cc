// The graphics example: holds Gpu and Input. Every frame (`render`) it draws
// a triangle in the current colour on a dark blue background; a key press
// cycles the colour (space, or any key) and every input event is logged.
// The pipeline is built on the first frame after a (re)start: GPU handles
// belong to the running node, so they live in an ephemeral table.
#include <interstice/sdk.h>

INTERSTICE_MODULE(graphics, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Gpu)
INTERSTICE_REQUEST_AUTHORITY(Input)

struct Scene {
  uint32_t id = 0;
  int64_t pipeline = 0;
  int64_t color_buffer = 0;
  INTERSTICE_TYPE(Scene, id, pipeline, color_buffer)
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
  interstice::GpuPipelineDesc desc;
  desc.vertex_shader = static_cast<uint64_t>(vs);
  desc.fragment_shader = static_cast<uint64_t>(fs);
  desc.uniform_buffers = 1;
  int64_t pipeline = gpu.pipeline(desc);
  if (pipeline <= 0) {
    ctx.log("could not create the pipeline (status " + std::to_string(-pipeline) + ")",
            interstice::abi::LogLevel::Error);
    return std::nullopt;
  }
  Scene built{0, pipeline, color};
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
  gpu.begin_frame(0.05f, 0.05f, 0.2f);
  interstice::abi::Status drawn =
      gpu.draw(s->pipeline, 0, {static_cast<uint64_t>(s->color_buffer)}, 3);
  interstice::abi::Status ended = gpu.end_frame();
  if (drawn != interstice::abi::Status::Ok || ended != interstice::abi::Status::Ok)
    ctx.log("frame " + std::to_string(frame) + " failed: draw status " +
                std::to_string(static_cast<int>(drawn)) + ", end status " +
                std::to_string(static_cast<int>(ended)),
            interstice::abi::LogLevel::Error);
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
