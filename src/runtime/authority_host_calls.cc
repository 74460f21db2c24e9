// The privileged host functions: File, Gpu and Audio (docs/abi.md,
// "Authorities"). Each checks that the caller holds the authority, then
// hands the call to the node's back-end (runtime/authorities.h).
#include <vector>

#include "abi/serialize.h"
#include "runtime/host_call_support.h"
#include "runtime/host_functions.h"

namespace interstice::runtime {

using namespace host_support;

namespace {

// The back-end of a privileged call from `m`, or null with the status to
// return: NotPermitted unless `m` holds `authority`, Unavailable if the node
// has no back-end for it.
template <typename Backend>
Backend* authorized(LoadedModule& m, abi::Authority authority, Backend* backend, Status* status) {
  *status = !m.runtime->holds(m, authority) ? Status::NotPermitted
            : !backend                      ? Status::Unavailable
                                            : Status::Ok;
  return *status == Status::Ok ? backend : nullptr;
}

// The status of a failed back-end call, its message logged at debug level.
Status failed(LoadedModule& m, const AuthorityError& error) {
  report(m, error.message);
  return error.status;
}

// Results that go back through result_read must fit an i32 length.
constexpr size_t kMaxResult = 64u << 20;

// A handle, or -status after logging why.
int64_t handle_or_status(LoadedModule& m, uint64_t handle, const AuthorityError& error) {
  return handle ? static_cast<int64_t>(handle) : negative(failed(m, error));
}

int32_t status_of(LoadedModule& m, bool ok, const AuthorityError& error) {
  return static_cast<int32_t>(ok ? Status::Ok : failed(m, error));
}

engine::Result<void> define_file_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(
      linker.define(host, kFileRead, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        FileBackend* files = authorized(m, abi::Authority::File, m.runtime->files(), &status);
        if (!files) return negative(status);
        Bytes data;
        AuthorityError error;
        if (!files->read(m.name, read_string(c, ptr, len), &data, &error))
          return negative(failed(m, error));
        if (data.size() > kMaxResult) return negative(Status::IoError);
        m.result = std::move(data);
        return static_cast<int32_t>(m.result.size());
      }));
  results.push_back(linker.define(
      host, kFileWrite,
      [](Caller& c, uint32_t ptr, uint32_t len, uint32_t data_ptr, uint32_t data_len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        FileBackend* files = authorized(m, abi::Authority::File, m.runtime->files(), &status);
        if (!files) return static_cast<int32_t>(status);
        AuthorityError error;
        return status_of(m,
                         files->write(m.name, read_string(c, ptr, len),
                                      read_bytes(c, data_ptr, data_len), &error),
                         error);
      }));
  results.push_back(
      linker.define(host, kFileList, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        FileBackend* files = authorized(m, abi::Authority::File, m.runtime->files(), &status);
        if (!files) return negative(status);
        std::vector<std::string> names;
        AuthorityError error;
        if (!files->list(m.name, read_string(c, ptr, len), &names, &error))
          return negative(failed(m, error));
        m.result = abi::to_bytes(names);
        if (m.result.size() > kMaxResult) return negative(Status::IoError);
        return static_cast<int32_t>(m.result.size());
      }));
  results.push_back(
      linker.define(host, kFileDelete, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        FileBackend* files = authorized(m, abi::Authority::File, m.runtime->files(), &status);
        if (!files) return static_cast<int32_t>(status);
        AuthorityError error;
        return status_of(m, files->remove(m.name, read_string(c, ptr, len), &error), error);
      }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

engine::Result<void> define_gpu_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(linker.define(host, kGpuSurfaceSize, [](Caller& c) -> int64_t {
    LoadedModule& m = module_of(c);
    Status status;
    GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
    if (!gpu) return negative(status);
    return (static_cast<int64_t>(gpu->width()) << 32) | gpu->height();
  }));
  results.push_back(linker.define(
      host, kGpuCreateShader, [](Caller& c, int32_t stage, uint32_t ptr, uint32_t len) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        AuthorityError error;
        uint64_t handle = gpu->create_shader(m.name, static_cast<uint32_t>(stage),
                                             read_bytes(c, ptr, len), &error);
        return handle_or_status(m, handle, error);
      }));
  results.push_back(
      linker.define(host, kGpuCreateBuffer, [](Caller& c, int64_t size, int32_t usage) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        AuthorityError error;
        uint64_t handle = gpu->create_buffer(m.name, size < 0 ? 0 : static_cast<uint64_t>(size),
                                             static_cast<uint32_t>(usage), &error);
        return handle_or_status(m, handle, error);
      }));
  results.push_back(linker.define(
      host, kGpuWriteBuffer,
      [](Caller& c, int64_t buffer, int64_t offset, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return static_cast<int32_t>(status);
        AuthorityError error;
        bool ok = offset >= 0 &&
                  gpu->write_buffer(m.name, static_cast<uint64_t>(buffer),
                                    static_cast<uint64_t>(offset), read_bytes(c, ptr, len), &error);
        if (offset < 0) error = AuthorityError{Status::GpuError, "negative buffer offset"};
        return status_of(m, ok, error);
      }));
  results.push_back(
      linker.define(host, kGpuCreatePipeline, [](Caller& c, uint32_t ptr, uint32_t len) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        auto desc = abi::from_bytes<GpuPipelineDesc>(read_bytes(c, ptr, len));
        if (!desc) return negative(Status::BadArguments);
        AuthorityError error;
        return handle_or_status(m, gpu->create_pipeline(m.name, *desc, &error), error);
      }));
  results.push_back(linker.define(
      host, kGpuBeginFrame, [](Caller& c, float r, float g, float b, float a) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return static_cast<int32_t>(status);
        const float clear[4] = {r, g, b, a};
        AuthorityError error;
        return status_of(m, gpu->begin_frame(m.name, clear, &error), error);
      }));
  results.push_back(linker.define(
      host, kGpuDraw,
      [](Caller& c, int64_t pipeline, int64_t vertex_buffer, uint32_t uniforms_ptr,
         uint32_t uniforms_len, int32_t vertex_count, int32_t instance_count) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return static_cast<int32_t>(status);
        auto uniforms =
            abi::from_bytes<std::vector<uint64_t>>(read_bytes(c, uniforms_ptr, uniforms_len));
        if (!uniforms || vertex_count < 0 || instance_count < 0)
          return static_cast<int32_t>(Status::BadArguments);
        AuthorityError error;
        bool ok =
            gpu->draw(m.name, static_cast<uint64_t>(pipeline), static_cast<uint64_t>(vertex_buffer),
                      *uniforms, static_cast<uint32_t>(vertex_count),
                      static_cast<uint32_t>(instance_count), &error);
        return status_of(m, ok, error);
      }));
  results.push_back(linker.define(
      host, kGpuCreateBindGroup,
      [](Caller& c, int64_t pipeline, uint32_t ptr, uint32_t len) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        auto bindings = abi::from_bytes<std::vector<uint64_t>>(read_bytes(c, ptr, len));
        if (!bindings) return negative(Status::BadArguments);
        AuthorityError error;
        uint64_t handle =
            gpu->create_bind_group(m.name, static_cast<uint64_t>(pipeline), *bindings, &error);
        return handle_or_status(m, handle, error);
      }));
  results.push_back(linker.define(host, kGpuSurfaceFormat, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    Status status;
    if (!authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status)) return negative(status);
    return 0;  // RGBA8 unorm
  }));
  results.push_back(linker.define(
      host, kGpuCreateTexture, [](Caller& c, int32_t width, int32_t height) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        if (width <= 0 || height <= 0) return negative(Status::BadArguments);
        AuthorityError error;
        uint64_t handle = gpu->create_texture(m.name, static_cast<uint32_t>(width),
                                              static_cast<uint32_t>(height), &error);
        return handle_or_status(m, handle, error);
      }));
  results.push_back(linker.define(
      host, kGpuWriteTexture,
      [](Caller& c, int64_t texture, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return static_cast<int32_t>(status);
        AuthorityError error;
        return status_of(m,
                         gpu->write_texture(m.name, static_cast<uint64_t>(texture),
                                            read_bytes(c, ptr, len), &error),
                         error);
      }));
  results.push_back(
      linker.define(host, kGpuCreateSampler, [](Caller& c, int32_t filter) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        AuthorityError error;
        uint64_t handle = gpu->create_sampler(m.name, static_cast<uint32_t>(filter), &error);
        return handle_or_status(m, handle, error);
      }));
  results.push_back(linker.define(
      host, kGpuCreateCompute, [](Caller& c, int64_t shader, int32_t storage) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        if (storage < 0) return negative(Status::BadArguments);
        AuthorityError error;
        uint64_t handle = gpu->create_compute_pipeline(m.name, static_cast<uint64_t>(shader),
                                                       static_cast<uint32_t>(storage), &error);
        return handle_or_status(m, handle, error);
      }));
  results.push_back(linker.define(
      host, kGpuDispatch,
      [](Caller& c, int64_t pipeline, uint32_t buffers_ptr, uint32_t buffers_len, int32_t x,
         int32_t y, int32_t z) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return static_cast<int32_t>(status);
        auto buffers =
            abi::from_bytes<std::vector<uint64_t>>(read_bytes(c, buffers_ptr, buffers_len));
        if (!buffers || x < 0 || y < 0 || z < 0) return static_cast<int32_t>(Status::BadArguments);
        AuthorityError error;
        bool ok = gpu->dispatch(m.name, static_cast<uint64_t>(pipeline), *buffers,
                                static_cast<uint32_t>(x), static_cast<uint32_t>(y),
                                static_cast<uint32_t>(z), &error);
        return status_of(m, ok, error);
      }));
  results.push_back(linker.define(
      host, kGpuReadBuffer, [](Caller& c, int64_t buffer, int64_t offset, int32_t size) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
        if (!gpu) return negative(status);
        if (offset < 0 || size < 0) return negative(Status::BadArguments);
        Bytes data;
        AuthorityError error;
        if (!gpu->read_buffer(m.name, static_cast<uint64_t>(buffer), static_cast<uint64_t>(offset),
                              static_cast<uint64_t>(size), &data, &error))
          return negative(failed(m, error));
        m.result = std::move(data);
        return static_cast<int32_t>(m.result.size());
      }));
  results.push_back(linker.define(host, kGpuEndFrame, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    Status status;
    GpuBackend* gpu = authorized(m, abi::Authority::Gpu, m.runtime->gpu(), &status);
    if (!gpu) return static_cast<int32_t>(status);
    AuthorityError error;
    return status_of(m, gpu->end_frame(m.name, &error), error);
  }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

engine::Result<void> define_audio_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(
      linker.define(host, kAudioOpen, [](Caller& c, int32_t rate, int32_t channels) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        AudioBackend* audio = authorized(m, abi::Authority::Audio, m.runtime->audio(), &status);
        if (!audio) return static_cast<int32_t>(status);
        AuthorityError error;
        bool ok = rate > 0 && channels > 0 &&
                  audio->open(m.name, static_cast<uint32_t>(rate), static_cast<uint32_t>(channels),
                              &error);
        if (rate <= 0 || channels <= 0) error = {Status::BadArguments, "audio_open: bad format"};
        return status_of(m, ok, error);
      }));
  results.push_back(
      linker.define(host, kAudioPush, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        AudioBackend* audio = authorized(m, abi::Authority::Audio, m.runtime->audio(), &status);
        if (!audio) return static_cast<int32_t>(status);
        AuthorityError error;
        return status_of(m, audio->push(m.name, read_bytes(c, ptr, len), &error), error);
      }));
  results.push_back(linker.define(host, kAudioClose, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    Status status;
    AudioBackend* audio = authorized(m, abi::Authority::Audio, m.runtime->audio(), &status);
    if (!audio) return static_cast<int32_t>(status);
    AuthorityError error;
    return status_of(m, audio->close(m.name, &error), error);
  }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

}  // namespace

engine::Result<void> define_authority_host(engine::Linker& linker) {
  if (auto r = define_file_calls(linker); !r) return r;
  if (auto r = define_gpu_calls(linker); !r) return r;
  return define_audio_calls(linker);
}

}  // namespace interstice::runtime
