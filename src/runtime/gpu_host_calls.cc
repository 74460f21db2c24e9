// The Gpu authority's host functions (docs/abi.md, "Gpu"). Each checks that
// the caller holds Gpu, decodes its arguments and hands the call to the
// node's GpuBackend; handles come back as i64 > 0, failures as -status (or
// the status, for calls that return one).
#include <vector>

#include "abi/serialize.h"
#include "runtime/host_call_support.h"
#include "runtime/host_functions.h"

namespace interstice::runtime {

using namespace host_support;

namespace {

// Runs a Gpu call that makes a handle: `call(m, gpu, error)` returns it, or
// 0 with the error set. Recorded, like every privileged call.
template <typename Call>
int64_t gpu_handle(Caller& c, Call call) {
  return privileged<int64_t>(c, abi::Authority::Gpu, &Runtime::gpu, Answer::Value,
                             [&](LoadedModule& m, GpuBackend& gpu) {
                               AuthorityError error{Status::BadArguments, ""};
                               return handle_or_status(m, call(m, gpu, error), error);
                             });
}

// Runs a Gpu call that returns a status: `call(m, gpu, error)` returns
// whether it succeeded, setting the error when not.
template <typename Call>
int32_t gpu_status(Caller& c, Call call) {
  return privileged<int32_t>(c, abi::Authority::Gpu, &Runtime::gpu, Answer::Status,
                             [&](LoadedModule& m, GpuBackend& gpu) {
                               AuthorityError error{Status::BadArguments, ""};
                               return status_of(m, call(m, gpu, error), error);
                             });
}

// Decodes a canonical-encoded argument; on failure, BadArguments.
template <typename T>
bool decode(Caller& c, uint32_t ptr, uint32_t len, T* out, AuthorityError& error) {
  auto value = abi::from_bytes<T>(read_bytes(c, ptr, len));
  if (!value) {
    error = AuthorityError{Status::BadArguments, "undecodable Gpu call arguments"};
    return false;
  }
  *out = std::move(*value);
  return true;
}

// A count or size from the module, which must not be negative.
template <typename T>
bool non_negative(std::initializer_list<T> values, AuthorityError& error) {
  for (T v : values)
    if (v < 0) {
      error = AuthorityError{Status::BadArguments, "a negative count, size or offset"};
      return false;
    }
  return true;
}

uint64_t h(int64_t handle) {
  return static_cast<uint64_t>(handle);
}
uint32_t u(int32_t value) {
  return static_cast<uint32_t>(value);
}

using Handles = std::vector<uint64_t>;

// The calls that make objects: shaders, buffers, textures, samplers,
// layouts, pipelines and bind groups.
void define_object_calls(engine::Linker& linker, std::vector<base::Result<void>>& results) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  results.push_back(linker.define(host, kGpuSurfaceSize, [](Caller& c) -> int64_t {
    return privileged<int64_t>(c, abi::Authority::Gpu, &Runtime::gpu, Answer::Value,
                               [](LoadedModule&, GpuBackend& gpu) {
                                 return (static_cast<int64_t>(gpu.width()) << 32) | gpu.height();
                               });
  }));
  results.push_back(linker.define(host, kGpuSurfaceFormat, [](Caller& c) -> int32_t {
    return privileged<int32_t>(c, abi::Authority::Gpu, &Runtime::gpu, Answer::Value,
                               [](LoadedModule&, GpuBackend&) { return 0; });  // RGBA8 unorm
  }));
  results.push_back(linker.define(
      host, kGpuCreateShader, [](Caller& c, int32_t stage, uint32_t ptr, uint32_t len) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.create_shader(m.name, u(stage), read_bytes(c, ptr, len), &e);
        });
      }));
  results.push_back(
      linker.define(host, kGpuCreateBuffer, [](Caller& c, int64_t size, int32_t usage) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.create_buffer(m.name, size < 0 ? 0 : h(size), u(usage), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuWriteBuffer,
      [](Caller& c, int64_t buffer, int64_t offset, uint32_t ptr, uint32_t len) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({offset}, e) &&
                 gpu.write_buffer(m.name, h(buffer), h(offset), read_bytes(c, ptr, len), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateTexture, [](Caller& c, int32_t width, int32_t height) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return width > 0 && height > 0 ? gpu.create_texture(m.name, u(width), u(height), &e) : 0;
        });
      }));
  results.push_back(linker.define(
      host, kGpuWriteTexture,
      [](Caller& c, int64_t texture, uint32_t ptr, uint32_t len) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.write_texture(m.name, h(texture), read_bytes(c, ptr, len), &e);
        });
      }));
  results.push_back(
      linker.define(host, kGpuCreateSampler, [](Caller& c, int32_t filter) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.create_sampler(m.name, u(filter), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateBindGroupLayout, [](Caller& c, uint32_t ptr, uint32_t len) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          std::vector<abi::GpuLayoutEntry> entries;
          return decode(c, ptr, len, &entries, e)
                     ? gpu.create_bind_group_layout(m.name, entries, &e)
                     : 0;
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreatePipelineLayout, [](Caller& c, uint32_t ptr, uint32_t len) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          Handles layouts;
          return decode(c, ptr, len, &layouts, e) ? gpu.create_pipeline_layout(m.name, layouts, &e)
                                                  : 0;
        });
      }));
  results.push_back(linker.define(
      host, kGpuPipelineBindGroupLayout, [](Caller& c, int64_t pipeline, int32_t index) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({index}, e)
                     ? gpu.pipeline_bind_group_layout(m.name, h(pipeline), u(index), &e)
                     : 0;
        });
      }));
  results.push_back(
      linker.define(host, kGpuCreatePipeline, [](Caller& c, uint32_t ptr, uint32_t len) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          GpuPipelineDesc desc;
          return decode(c, ptr, len, &desc, e) ? gpu.create_pipeline(m.name, desc, &e) : 0;
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateCompute, [](Caller& c, int64_t shader, int32_t storage) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({storage}, e)
                     ? gpu.create_compute_pipeline(m.name, h(shader), u(storage), &e)
                     : 0;
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateComputeWithLayout, [](Caller& c, int64_t shader, int64_t layout) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.create_compute_pipeline_with_layout(m.name, h(shader), h(layout), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateBindGroup,
      [](Caller& c, int64_t pipeline, uint32_t ptr, uint32_t len) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          Handles bindings;
          return decode(c, ptr, len, &bindings, e)
                     ? gpu.create_bind_group(m.name, h(pipeline), bindings, &e)
                     : 0;
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateBindGroupWithLayout,
      [](Caller& c, int64_t layout, uint32_t ptr, uint32_t len) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          std::vector<abi::GpuBindGroupEntry> entries;
          return decode(c, ptr, len, &entries, e)
                     ? gpu.create_bind_group_with_layout(m.name, h(layout), entries, &e)
                     : 0;
        });
      }));
}

// Immediate work: frames (begin, draw, end), dispatch and buffer reads.
void define_immediate_calls(engine::Linker& linker, std::vector<base::Result<void>>& results) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  results.push_back(linker.define(
      host, kGpuBeginFrame, [](Caller& c, float r, float g, float b, float a) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          const float clear[4] = {r, g, b, a};
          return gpu.begin_frame(m.name, clear, &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuDraw,
      [](Caller& c, int64_t pipeline, int64_t vertex_buffer, uint32_t ptr, uint32_t len,
         int32_t vertex_count, int32_t instance_count) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          Handles bindings;
          return decode(c, ptr, len, &bindings, e) &&
                 non_negative({vertex_count, instance_count}, e) &&
                 gpu.draw(m.name, h(pipeline), h(vertex_buffer), bindings, u(vertex_count),
                          u(instance_count), &e);
        });
      }));
  results.push_back(linker.define(host, kGpuEndFrame, [](Caller& c) -> int32_t {
    return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
      return gpu.end_frame(m.name, &e);
    });
  }));
  results.push_back(linker.define(
      host, kGpuDispatch,
      [](Caller& c, int64_t pipeline, uint32_t ptr, uint32_t len, int32_t x, int32_t y,
         int32_t z) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          Handles buffers;
          return decode(c, ptr, len, &buffers, e) && non_negative({x, y, z}, e) &&
                 gpu.dispatch(m.name, h(pipeline), buffers, u(x), u(y), u(z), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuReadBuffer, [](Caller& c, int64_t buffer, int64_t offset, int32_t size) -> int32_t {
        return privileged<int32_t>(
            c, abi::Authority::Gpu, &Runtime::gpu, Answer::Bytes,
            [&](LoadedModule& m, GpuBackend& gpu) {
              if (offset < 0 || size < 0) return negative(Status::BadArguments);
              Bytes data;
              AuthorityError error;
              if (!gpu.read_buffer(m.name, h(buffer), h(offset), static_cast<uint64_t>(size), &data,
                                   &error))
                return negative(failed(m, error));
              m.result = std::move(data);
              return static_cast<int32_t>(m.result.size());
            });
      }));
}

// Command encoders, passes, submit and present.
void define_encoder_calls(engine::Linker& linker, std::vector<base::Result<void>>& results) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  results.push_back(linker.define(host, kGpuCreateCommandEncoder, [](Caller& c) -> int64_t {
    return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
      return gpu.create_command_encoder(m.name, &e);
    });
  }));
  results.push_back(linker.define(host, kGpuBeginRenderPass,
                                  [](Caller& c, int64_t encoder, int64_t target, float r, float g,
                                     float b, float a, int32_t load) -> int64_t {
                                    return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu,
                                                             AuthorityError& e) {
                                      const float clear[4] = {r, g, b, a};
                                      return gpu.begin_render_pass(m.name, h(encoder), h(target),
                                                                   clear, load != 0, 0, 1.0f, &e);
                                    });
                                  }));
  results.push_back(linker.define(
      host, kGpuBeginRenderPassDepth,
      [](Caller& c, int64_t encoder, int64_t target, float r, float g, float b, float a,
         int32_t load, int64_t depth, float depth_clear) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          const float clear[4] = {r, g, b, a};
          return gpu.begin_render_pass(m.name, h(encoder), h(target), clear, load != 0, h(depth),
                                       depth_clear, &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuCreateDepthTexture, [](Caller& c, int32_t width, int32_t height) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return width > 0 && height > 0 ? gpu.create_depth_texture(m.name, u(width), u(height), &e)
                                         : 0;
        });
      }));
  results.push_back(
      linker.define(host, kGpuBeginComputePass, [](Caller& c, int64_t encoder) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.begin_compute_pass(m.name, h(encoder), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassSetPipeline, [](Caller& c, int64_t pass, int64_t pipeline) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.set_pipeline(m.name, h(pass), h(pipeline), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassSetBindGroup,
      [](Caller& c, int64_t pass, int32_t index, int64_t group) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({index}, e) &&
                 gpu.set_bind_group(m.name, h(pass), u(index), h(group), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassSetVertexBuffer, [](Caller& c, int64_t pass, int64_t buffer) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.set_vertex_buffer(m.name, h(pass), h(buffer), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassDraw,
      [](Caller& c, int64_t pass, int32_t vertices, int32_t instances, int32_t first_vertex,
         int32_t first_instance) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({vertices, instances, first_vertex, first_instance}, e) &&
                 gpu.pass_draw(m.name, h(pass), u(vertices), u(instances), u(first_vertex),
                               u(first_instance), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassSetIndexBuffer,
      [](Caller& c, int64_t pass, int64_t buffer, int32_t format) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.set_index_buffer(m.name, h(pass), h(buffer), u(format), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassDrawIndexed,
      [](Caller& c, int64_t pass, int32_t indices, int32_t instances, int32_t first_index,
         int32_t base_vertex, int32_t first_instance) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({indices, instances, first_index, first_instance}, e) &&
                 gpu.pass_draw_indexed(m.name, h(pass), u(indices), u(instances), u(first_index),
                                       base_vertex, u(first_instance), &e);
        });
      }));
  results.push_back(linker.define(
      host, kGpuPassDispatch,
      [](Caller& c, int64_t pass, int32_t x, int32_t y, int32_t z) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({x, y, z}, e) &&
                 gpu.pass_dispatch(m.name, h(pass), u(x), u(y), u(z), &e);
        });
      }));
  results.push_back(linker.define(host, kGpuPassEnd, [](Caller& c, int64_t pass) -> int32_t {
    return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
      return gpu.end_pass(m.name, h(pass), &e);
    });
  }));
  results.push_back(linker.define(
      host, kGpuEncoderCopyBuffer,
      [](Caller& c, int64_t encoder, int64_t source, int64_t source_offset, int64_t destination,
         int64_t destination_offset, int64_t size) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return non_negative({source_offset, destination_offset, size}, e) &&
                 gpu.copy_buffer(m.name, h(encoder), h(source), h(source_offset), h(destination),
                                 h(destination_offset), h(size), &e);
        });
      }));
  results.push_back(
      linker.define(host, kGpuEncoderFinish, [](Caller& c, int64_t encoder) -> int64_t {
        return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          return gpu.finish_encoder(m.name, h(encoder), &e);
        });
      }));
  results.push_back(
      linker.define(host, kGpuQueueSubmit, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
          Handles buffers;
          return decode(c, ptr, len, &buffers, e) && gpu.submit(m.name, buffers, &e);
        });
      }));
  results.push_back(linker.define(host, kGpuCurrentTexture, [](Caller& c) -> int64_t {
    return gpu_handle(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
      return gpu.current_texture(m.name, &e);
    });
  }));
  results.push_back(linker.define(host, kGpuRelease, [](Caller& c, int64_t handle) -> int32_t {
    return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
      return gpu.release(m.name, h(handle), &e);
    });
  }));
  results.push_back(linker.define(host, kGpuPresent, [](Caller& c) -> int32_t {
    return gpu_status(c, [&](LoadedModule& m, GpuBackend& gpu, AuthorityError& e) {
      return gpu.present(m.name, &e);
    });
  }));
}

}  // namespace

base::Result<void> define_gpu_host(engine::Linker& linker) {
  std::vector<base::Result<void>> results;
  define_object_calls(linker, results);
  define_immediate_calls(linker, results);
  define_encoder_calls(linker, results);
  for (auto& r : results)
    if (!r) return r;
  return {};
}

}  // namespace interstice::runtime
