// The privileged host functions: File and Audio (Gpu: gpu_host_calls.cc) (docs/abi.md,
// "Authorities"). Each checks that the caller holds the authority, then
// hands the call to the node's back-end (runtime/authorities.h).
#include <algorithm>
#include <vector>

#include "abi/serialize.h"
#include "runtime/host_call_support.h"
#include "runtime/host_functions.h"

namespace interstice::runtime {

using namespace host_support;

namespace {

base::Result<void> define_file_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  constexpr abi::Authority kFile = abi::Authority::File;
  std::vector<base::Result<void>> results;
  results.push_back(
      linker.define(host, kFileRead, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        return privileged<int32_t>(
            c, kFile, &Runtime::files, Answer::Bytes, [&](LoadedModule& m, FileBackend& files) {
              Bytes data;
              AuthorityError error;
              if (!files.read(m.name, read_string(c, ptr, len), &data, &error))
                return negative(failed(m, error));
              if (data.size() > kMaxResult) return negative(Status::IoError);
              m.result = std::move(data);
              return static_cast<int32_t>(m.result.size());
            });
      }));
  results.push_back(linker.define(
      host, kFileWrite,
      [](Caller& c, uint32_t ptr, uint32_t len, uint32_t data_ptr, uint32_t data_len) -> int32_t {
        return privileged<int32_t>(
            c, kFile, &Runtime::files, Answer::Status, [&](LoadedModule& m, FileBackend& files) {
              AuthorityError error;
              bool ok = files.write(m.name, read_string(c, ptr, len),
                                    read_bytes(c, data_ptr, data_len), &error);
              return status_of(m, ok, error);
            });
      }));
  results.push_back(
      linker.define(host, kFileList, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        return privileged<int32_t>(
            c, kFile, &Runtime::files, Answer::Bytes, [&](LoadedModule& m, FileBackend& files) {
              std::vector<std::string> names;
              AuthorityError error;
              if (!files.list(m.name, read_string(c, ptr, len), &names, &error))
                return negative(failed(m, error));
              m.result = abi::to_bytes(names);
              if (m.result.size() > kMaxResult) return negative(Status::IoError);
              return static_cast<int32_t>(m.result.size());
            });
      }));
  results.push_back(
      linker.define(host, kFileDelete, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        return privileged<int32_t>(
            c, kFile, &Runtime::files, Answer::Status, [&](LoadedModule& m, FileBackend& files) {
              AuthorityError error;
              return status_of(m, files.remove(m.name, read_string(c, ptr, len), &error), error);
            });
      }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

base::Result<void> define_audio_calls(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  constexpr abi::Authority kAudio = abi::Authority::Audio;
  std::vector<base::Result<void>> results;
  results.push_back(
      linker.define(host, kAudioOpen, [](Caller& c, int32_t rate, int32_t channels) -> int32_t {
        return privileged<int32_t>(
            c, kAudio, &Runtime::audio, Answer::Status, [&](LoadedModule& m, AudioBackend& audio) {
              AuthorityError error{Status::BadArguments, "audio_open: bad format"};
              bool ok = rate > 0 && channels > 0 &&
                        audio.open(m.name, static_cast<uint32_t>(rate),
                                   static_cast<uint32_t>(channels), &error);
              return status_of(m, ok, error);
            });
      }));
  results.push_back(
      linker.define(host, kAudioPush, [](Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
        return privileged<int32_t>(
            c, kAudio, &Runtime::audio, Answer::Status, [&](LoadedModule& m, AudioBackend& audio) {
              AuthorityError error;
              return status_of(m, audio.push(m.name, read_bytes(c, ptr, len), &error), error);
            });
      }));
  results.push_back(linker.define(host, kAudioClose, [](Caller& c) -> int32_t {
    return privileged<int32_t>(c, kAudio, &Runtime::audio, Answer::Status,
                               [&](LoadedModule& m, AudioBackend& audio) {
                                 AuthorityError error;
                                 return status_of(m, audio.close(m.name, &error), error);
                               });
  }));
  results.push_back(linker.define(
      host, kAudioCaptureOpen, [](Caller& c, int32_t rate, int32_t channels) -> int32_t {
        return privileged<int32_t>(
            c, kAudio, &Runtime::audio, Answer::Status, [&](LoadedModule& m, AudioBackend& audio) {
              AuthorityError error{Status::BadArguments, "audio_capture_open: bad format"};
              bool ok = rate > 0 && channels > 0 &&
                        audio.open_capture(m.name, static_cast<uint32_t>(rate),
                                           static_cast<uint32_t>(channels), &error);
              return status_of(m, ok, error);
            });
      }));
  results.push_back(
      linker.define(host, kAudioCaptureRead, [](Caller& c, int32_t max_bytes) -> int32_t {
        return privileged<int32_t>(
            c, kAudio, &Runtime::audio, Answer::Bytes, [&](LoadedModule& m, AudioBackend& audio) {
              if (max_bytes < 0) return negative(Status::BadArguments);
              Bytes samples;
              AuthorityError error;
              if (!audio.read_capture(m.name,
                                      static_cast<uint32_t>(std::min<size_t>(
                                          static_cast<size_t>(max_bytes), kMaxResult)),
                                      &samples, &error))
                return negative(failed(m, error));
              m.result = std::move(samples);
              return static_cast<int32_t>(m.result.size());
            });
      }));
  results.push_back(linker.define(host, kAudioCaptureClose, [](Caller& c) -> int32_t {
    return privileged<int32_t>(c, kAudio, &Runtime::audio, Answer::Status,
                               [&](LoadedModule& m, AudioBackend& audio) {
                                 AuthorityError error;
                                 return status_of(m, audio.close_capture(m.name, &error), error);
                               });
  }));
  for (auto& r : results)
    if (!r) return r;
  return {};
}

}  // namespace

base::Result<void> define_authority_host(engine::Linker& linker) {
  if (auto r = define_file_calls(linker); !r) return r;
  if (auto r = define_gpu_host(linker); !r) return r;
  return define_audio_calls(linker);
}

}  // namespace interstice::runtime
