// Gpu authority figures, headless (offscreen Vulkan; lavapipe where there is
// no GPU): triangle frames/s straight on the back-end and through a module's
// host calls, and the host-call overhead per draw call (a frame of N empty
// draws from the module minus the same frame on the back-end, over N).
//
//   gpu_bench [--width W --height H]
#include <fmt/format.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "abi/serialize.h"
#include "authority/vulkan_gpu.h"
#include "runtime/runtime.h"

using namespace interstice;
using clock_type = std::chrono::steady_clock;

namespace {

// Calls `frame()` for about `seconds`; frames per second.
template <typename F>
double rate(F frame, double seconds = 1.5) {
  for (int i = 0; i < 5; ++i) frame();  // warm up
  auto start = clock_type::now();
  int frames = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    frame();
    ++frames;
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  }
  return frames / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t width = 640, height = 480;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--width") width = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    if (std::string(argv[i]) == "--height") height = static_cast<uint32_t>(std::atoi(argv[i + 1]));
  }
  auto created = authority::VulkanGpu::create(width, height);
  if (!created) {
    fmt::print("gpu_bench: no Vulkan device: {}\n", created.error().message);
    return 0;
  }
  std::shared_ptr<authority::VulkanGpu> gpu = std::move(created).value();

  // Direct: the same triangle on the back-end.
  runtime::AuthorityError error;
  const char* vs = R"(#version 450
vec2 p[3] = vec2[](vec2(0.0, -0.5), vec2(0.5, 0.5), vec2(-0.5, 0.5));
void main() { gl_Position = vec4(p[gl_VertexIndex], 0.0, 1.0); })";
  const char* fs = R"(#version 450
layout(set = 0, binding = 0) uniform Color { vec4 color; };
layout(location = 0) out vec4 out_color;
void main() { out_color = color; })";
  auto text = [](const char* s) {
    return runtime::ByteView(reinterpret_cast<const uint8_t*>(s), std::strlen(s));
  };
  abi::GpuPipelineDesc desc;
  desc.vertex_shader = gpu->create_shader("direct", 0, text(vs), &error);
  desc.fragment_shader = gpu->create_shader("direct", 1, text(fs), &error);
  desc.uniform_buffers = 1;
  uint64_t color = gpu->create_buffer("direct", 16, 2, &error);
  uint64_t pipeline = gpu->create_pipeline("direct", desc, &error);
  const float clear[4] = {0, 0, 0, 1};
  auto direct_frame = [&](uint32_t draws, uint32_t vertices) {
    gpu->begin_frame("direct", clear, &error);
    for (uint32_t i = 0; i < draws; ++i)
      gpu->draw("direct", pipeline, 0, {color}, vertices, 1, &error);
    gpu->end_frame("direct", &error);
  };
  uint64_t group = gpu->create_bind_group("direct", pipeline, {color}, &error);
  // An encoder with one render pass into the surface, `draws` draws in it.
  auto direct_pass = [&](uint32_t draws, uint32_t vertices) {
    uint64_t encoder = gpu->create_command_encoder("direct", &error);
    uint64_t pass = gpu->begin_render_pass(
        "direct", encoder, gpu->current_texture("direct", &error), clear, false, 0, 1.0f, &error);
    gpu->set_pipeline("direct", pass, pipeline, &error);
    gpu->set_bind_group("direct", pass, 0, group, &error);
    for (uint32_t i = 0; i < draws; ++i) gpu->pass_draw("direct", pass, vertices, 1, 0, 0, &error);
    gpu->end_pass("direct", pass, &error);
    return encoder;
  };
  auto direct_encoded = [&](uint32_t draws, uint32_t vertices) {
    uint64_t encoder = direct_pass(draws, vertices);
    gpu->submit("direct", {gpu->finish_encoder("direct", encoder, &error)}, &error);
    gpu->present("direct", &error);
  };

  // Through a module: gpu_bench's frame(n) reducer.
  runtime::RuntimeOptions options;
  options.grantable = {abi::Authority::Gpu};
  options.gpu = gpu;
  options.log_sink = [](const runtime::LogRecord&) {};
  auto rt = std::move(runtime::Runtime::create(options)).value();
  std::ifstream in(INTERSTICE_GPU_BENCH_MODULE, std::ios::binary);
  std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (auto r = rt->load(wasm, "gpu_bench.wasm"); !r) {
    fmt::print("gpu_bench: {}\n", r.error().message);
    return 1;
  }
  auto module_call = [&](const char* reducer, uint32_t draws, uint32_t vertices) {
    if (auto r = rt->call("gpu_bench", reducer, abi::to_bytes(std::make_tuple(draws, vertices)));
        !r) {
      fmt::print("gpu_bench: {}\n", r.error().message);
      std::exit(1);
    }
  };
  auto module_frame = [&](uint32_t draws, uint32_t vertices) {
    module_call("frame", draws, vertices);
  };
  auto module_encoded = [&](uint32_t draws, uint32_t vertices) {
    module_call("encoded_frame", draws, vertices);
  };

  fmt::print("Gpu authority, headless {}x{} on {}\n\n", width, height, gpu->device_name());
  double direct = rate([&] { direct_frame(1, 3); });
  double via_module = rate([&] { module_frame(1, 3); });
  fmt::print("triangle frames/s: {:.0f} on the back-end, {:.0f} from a module (render reducer)\n",
             direct, via_module);
  const uint32_t n = 1000;
  // Empty draws (0 vertices): what is measured is the call, not rasterizing.
  double direct_many = 1.0 / rate([&] { direct_frame(n, 0); });
  double module_many = 1.0 / rate([&] { module_frame(n, 0); });
  fmt::print(
      "host-call overhead per draw call: {:.2f} us ({} empty draws per frame: {:.3f} ms from the "
      "module, {:.3f} ms on the back-end)\n",
      (module_many - direct_many) * 1e6 / n, n, module_many * 1e3, direct_many * 1e3);

  // The WebGPU-shaped path: encoder, render pass, submit, present.
  double encoded_direct = rate([&] { direct_encoded(1, 3); });
  double encoded_module = rate([&] { module_encoded(1, 3); });
  fmt::print(
      "encoded triangle frames/s (encoder, render pass, submit, present): {:.0f} on the "
      "back-end, {:.0f} from a module\n",
      encoded_direct, encoded_module);
  // Recording alone (the encoder is dropped, nothing is submitted), so the
  // GPU's time does not drown the host calls'.
  auto direct_record = [&](uint32_t draws) {
    gpu->release("direct", direct_pass(draws, 0), &error);
  };
  double record_direct = 1.0 / rate([&] { direct_record(n); });
  double record_module = 1.0 / rate([&] { module_call("record_only", n, 0); });
  fmt::print(
      "host-call overhead per pass_draw: {:.3f} us (recording {} draws into a pass: {:.3f} ms "
      "from the module, {:.3f} ms on the back-end; {:.3f} us per draw from the module)\n",
      (record_module - record_direct) * 1e6 / n, n, record_module * 1e3, record_direct * 1e3,
      record_module * 1e6 / n);
  return 0;
}
