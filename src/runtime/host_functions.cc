#include "runtime/host_functions.h"

#include <string>

#include "abi/host_calls.h"
#include "abi/serialize.h"
#include "runtime/loaded_module.h"
#include "runtime/runtime.h"

namespace interstice::runtime {

using abi::Status;
using engine::Caller;
using engine::HostError;

namespace {

// The bytes [ptr, ptr+len) of the caller's memory, copied; a bad pointer or
// length traps the module.
Bytes read_bytes(Caller& caller, uint32_t ptr, uint32_t len) {
  auto bytes = caller.memory().bytes(ptr, len);
  if (!bytes)
    throw HostError("pointer out of bounds: [" + std::to_string(ptr) + ", +" + std::to_string(len) +
                    ")");
  return Bytes(bytes->begin(), bytes->end());
}

std::string read_string(Caller& caller, uint32_t ptr, uint32_t len) {
  auto text = caller.memory().string(ptr, len);
  if (!text)
    throw HostError("pointer out of bounds: [" + std::to_string(ptr) + ", +" + std::to_string(len) +
                    ")");
  return std::string(*text);
}

int32_t negative(Status status) {
  return -static_cast<int32_t>(status);
}

// The table `id` of the calling module inside a transaction, or a status.
Table* table_for(LoadedModule& m, int32_t id, Status* status) {
  if (m.tx == nullptr) {
    *status = Status::NotInTransaction;
    return nullptr;
  }
  if (id < 0 || static_cast<size_t>(id) >= m.tables.size()) {
    *status = Status::NoSuchTable;
    return nullptr;
  }
  *status = Status::Ok;
  return m.tables[id].get();
}

void report(LoadedModule& m, const std::string& problem) {
  if (!problem.empty()) m.runtime->log(m, abi::LogLevel::Debug, problem);
}

// The File back-end for a call from `m`, or null with the status to return:
// NotPermitted unless `m` holds File, Unavailable if the node has none.
FileBackend* files_for(LoadedModule& m, Status* status) {
  *status = !m.runtime->holds(m, abi::Authority::File) ? Status::NotPermitted
            : !m.runtime->files()                      ? Status::Unavailable
                                                       : Status::Ok;
  return *status == Status::Ok ? m.runtime->files() : nullptr;
}

// The status of a failed back-end call, its message logged at debug level.
Status failed(LoadedModule& m, const AuthorityError& error) {
  report(m, error.message);
  return error.status;
}

// Results that go back through result_read must fit an i32 length.
constexpr size_t kMaxResult = 64u << 20;

engine::Result<void> define_file_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(
      linker.define(host, kFileRead, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        FileBackend* files = files_for(m, &status);
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
        FileBackend* files = files_for(m, &status);
        if (!files) return static_cast<int32_t>(status);
        AuthorityError error;
        if (!files->write(m.name, read_string(c, ptr, len), read_bytes(c, data_ptr, data_len),
                          &error))
          return static_cast<int32_t>(failed(m, error));
        return static_cast<int32_t>(Status::Ok);
      }));
  results.push_back(
      linker.define(host, kFileList, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        FileBackend* files = files_for(m, &status);
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
        FileBackend* files = files_for(m, &status);
        if (!files) return static_cast<int32_t>(status);
        AuthorityError error;
        if (!files->remove(m.name, read_string(c, ptr, len), &error))
          return static_cast<int32_t>(failed(m, error));
        return static_cast<int32_t>(Status::Ok);
      }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

// The Gpu back-end for a call from `m`, or null with the status to return.
GpuBackend* gpu_for(LoadedModule& m, Status* status) {
  *status = !m.runtime->holds(m, abi::Authority::Gpu) ? Status::NotPermitted
            : !m.runtime->gpu()                       ? Status::Unavailable
                                                      : Status::Ok;
  return *status == Status::Ok ? m.runtime->gpu() : nullptr;
}

// A handle, or -status after logging why.
int64_t handle_or_status(LoadedModule& m, uint64_t handle, const AuthorityError& error) {
  return handle ? static_cast<int64_t>(handle) : negative(failed(m, error));
}

int32_t status_of(LoadedModule& m, bool ok, const AuthorityError& error) {
  return static_cast<int32_t>(ok ? Status::Ok : failed(m, error));
}

engine::Result<void> define_gpu_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(linker.define(host, kGpuSurfaceSize, [](Caller& c) -> int64_t {
    LoadedModule& m = module_of(c);
    Status status;
    GpuBackend* gpu = gpu_for(m, &status);
    if (!gpu) return negative(status);
    return (static_cast<int64_t>(gpu->width()) << 32) | gpu->height();
  }));
  results.push_back(linker.define(
      host, kGpuCreateShader, [](Caller& c, int32_t stage, uint32_t ptr, uint32_t len) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        GpuBackend* gpu = gpu_for(m, &status);
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
        GpuBackend* gpu = gpu_for(m, &status);
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
        GpuBackend* gpu = gpu_for(m, &status);
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
        GpuBackend* gpu = gpu_for(m, &status);
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
        GpuBackend* gpu = gpu_for(m, &status);
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
        GpuBackend* gpu = gpu_for(m, &status);
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
  results.push_back(linker.define(host, kGpuEndFrame, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    Status status;
    GpuBackend* gpu = gpu_for(m, &status);
    if (!gpu) return static_cast<int32_t>(status);
    AuthorityError error;
    return status_of(m, gpu->end_frame(m.name, &error), error);
  }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

AudioBackend* audio_for(LoadedModule& m, Status* status) {
  *status = !m.runtime->holds(m, abi::Authority::Audio) ? Status::NotPermitted
            : !m.runtime->audio()                       ? Status::Unavailable
                                                        : Status::Ok;
  return *status == Status::Ok ? m.runtime->audio() : nullptr;
}

engine::Result<void> define_audio_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(
      linker.define(host, kAudioOpen, [](Caller& c, int32_t rate, int32_t channels) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        AudioBackend* audio = audio_for(m, &status);
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
        AudioBackend* audio = audio_for(m, &status);
        if (!audio) return static_cast<int32_t>(status);
        AuthorityError error;
        return status_of(m, audio->push(m.name, read_bytes(c, ptr, len), &error), error);
      }));
  results.push_back(linker.define(host, kAudioClose, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    Status status;
    AudioBackend* audio = audio_for(m, &status);
    if (!audio) return static_cast<int32_t>(status);
    AuthorityError error;
    return status_of(m, audio->close(m.name, &error), error);
  }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

}  // namespace

engine::Result<void> define_interstice_host(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<engine::Result<void>> results;
  results.push_back(
      linker.define(host, kLog, [](Caller& c, int32_t level, uint32_t ptr, uint32_t len) {
        LoadedModule& m = module_of(c);
        int32_t clamped = level < 0 ? 0 : level > 4 ? 4 : level;
        m.runtime->log(m, static_cast<abi::LogLevel>(clamped), read_string(c, ptr, len));
      }));
  results.push_back(linker.define(host, kFail, [](Caller& c, uint32_t ptr, uint32_t len) {
    module_of(c).failure = read_string(c, ptr, len);
  }));
  results.push_back(linker.define(
      host, kInsert, [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return negative(status);
        int64_t assigned = 0;
        std::string problem;
        status = m.tx->insert(m.name, *table, read_bytes(c, ptr, len), &assigned, &problem);
        report(m, problem);
        return status == Status::Ok ? assigned : negative(status);
      }));
  results.push_back(linker.define(
      host, kUpdate, [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return static_cast<int32_t>(status);
        std::string problem;
        status = m.tx->update(m.name, *table, read_bytes(c, ptr, len), &problem);
        report(m, problem);
        return static_cast<int32_t>(status);
      }));
  results.push_back(linker.define(host, kDelete,
                                  [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int32_t {
                                    LoadedModule& m = module_of(c);
                                    Status status;
                                    Table* table = table_for(m, id, &status);
                                    if (!table) return static_cast<int32_t>(status);
                                    std::string problem;
                                    Bytes key = read_bytes(c, ptr, len);
                                    status = m.tx->remove(m.name, *table, key, &problem);
                                    report(m, problem);
                                    return static_cast<int32_t>(status);
                                  }));
  results.push_back(
      linker.define(host, kGet, [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return negative(status);
        std::string problem;
        Bytes key = read_bytes(c, ptr, len);
        const Bytes* row = table->get(key, &problem);
        report(m, problem);
        if (!row) return negative(problem.empty() ? Status::NotFound : Status::InvalidRow);
        m.result = *row;
        return static_cast<int32_t>(row->size());
      }));
  results.push_back(linker.define(host, kCount, [](Caller& c, int32_t id) -> int64_t {
    LoadedModule& m = module_of(c);
    Status status;
    Table* table = table_for(m, id, &status);
    if (!table) return negative(status);
    return static_cast<int64_t>(table->size());
  }));
  results.push_back(linker.define(
      host, kScan,
      [](Caller& c, int32_t id, int32_t index, uint32_t lo_ptr, uint32_t lo_len, uint32_t hi_ptr,
         uint32_t hi_len, int32_t flags) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return negative(status);
        Bytes lo, hi;
        if (flags & 1) lo = read_bytes(c, lo_ptr, lo_len);
        if (flags & 2) hi = read_bytes(c, hi_ptr, hi_len);
        Table::Cursor cursor;
        std::string problem;
        status = table->scan(index, (flags & 1) ? std::optional<ByteView>(lo) : std::nullopt,
                             (flags & 2) ? std::optional<ByteView>(hi) : std::nullopt, &cursor,
                             &problem);
        report(m, problem);
        if (status != Status::Ok) return negative(status);
        m.cursors.push_back(cursor);
        return static_cast<int32_t>(m.cursors.size() - 1);
      }));
  results.push_back(linker.define(host, kNext, [](Caller& c, int32_t iter) -> int32_t {
    LoadedModule& m = module_of(c);
    if (iter < 0 || static_cast<size_t>(iter) >= m.cursors.size() || !m.cursors[iter])
      return negative(Status::NoSuchIterator);
    const Bytes* row = m.cursors[iter]->next();
    if (!row) return -1;
    m.result = *row;
    return static_cast<int32_t>(row->size());
  }));
  results.push_back(linker.define(host, kClose, [](Caller& c, int32_t iter) {
    LoadedModule& m = module_of(c);
    if (iter >= 0 && static_cast<size_t>(iter) < m.cursors.size()) m.cursors[iter].reset();
  }));
  results.push_back(linker.define(host, kRead, [](Caller& c, uint32_t dst) {
    LoadedModule& m = module_of(c);
    auto target = c.memory().bytes(dst, m.result.size());
    if (!target) throw HostError("result_read: destination out of bounds");
    std::copy(m.result.begin(), m.result.end(), target->begin());
  }));
  results.push_back(linker.define(host, kTime, [](Caller& c) -> int64_t {
    LoadedModule& m = module_of(c);
    return m.tx ? m.tx->inputs().timestamp_us : 0;
  }));
  results.push_back(linker.define(host, kRandom, [](Caller& c) -> int64_t {
    LoadedModule& m = module_of(c);
    return m.tx ? static_cast<int64_t>(m.tx->next_random()) : 0;
  }));
  results.push_back(linker.define(host, kCaller, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    const std::string caller = m.tx ? m.tx->inputs().caller : std::string();
    m.result.assign(caller.begin(), caller.end());
    return static_cast<int32_t>(m.result.size());
  }));
  results.push_back(
      linker.define(host, kCall,
                    [](Caller& c, uint32_t module_ptr, uint32_t module_len, uint32_t reducer_ptr,
                       uint32_t reducer_len, uint32_t args_ptr, uint32_t args_len) -> int32_t {
                      LoadedModule& m = module_of(c);
                      if (m.tx == nullptr) return static_cast<int32_t>(Status::NotInTransaction);
                      OutgoingCall call{read_string(c, module_ptr, module_len),
                                        read_string(c, reducer_ptr, reducer_len),
                                        read_bytes(c, args_ptr, args_len)};
                      Status status = m.runtime->check_call(call.module, call.reducer, call.args);
                      if (status == Status::Ok) m.tx->queue_call(std::move(call));
                      return static_cast<int32_t>(status);
                    }));
  results.push_back(linker.define(
      host, abi::host::kCallNode,
      [](Caller& c, uint32_t alias_ptr, uint32_t alias_len, uint32_t module_ptr,
         uint32_t module_len, uint32_t reducer_ptr, uint32_t reducer_len, uint32_t args_ptr,
         uint32_t args_len, uint32_t callback_ptr, uint32_t callback_len) -> int64_t {
        LoadedModule& m = module_of(c);
        if (m.tx == nullptr) return negative(Status::NotInTransaction);
        RemoteCall call{
            read_string(c, alias_ptr, alias_len),       "",
            read_string(c, module_ptr, module_len),     read_string(c, reducer_ptr, reducer_len),
            read_bytes(c, args_ptr, args_len),          m.name,
            read_string(c, callback_ptr, callback_len), 0};
        for (const abi::NodeDef& node : m.schema.nodes)
          if (node.alias == call.alias) call.address = node.address;
        if (call.address.empty()) return negative(Status::NoSuchNode);
        if (!m.schema.find_reducer(call.callback)) return negative(Status::NoSuchReducer);
        return static_cast<int64_t>(m.tx->queue_remote(std::move(call)));
      }));
  for (auto& r : results)
    if (!r) return r;
  if (auto r = define_file_calls(linker); !r) return r;
  if (auto r = define_gpu_calls(linker); !r) return r;
  return define_audio_calls(linker);
}

}  // namespace interstice::runtime
