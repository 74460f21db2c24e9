#include "authority/sdl_audio.h"

#include <SDL2/SDL.h>
#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace interstice::authority {
namespace {

bool fail(runtime::AuthorityError* error, abi::Status status, std::string message) {
  *error = runtime::AuthorityError{status, std::move(message)};
  return false;
}

}  // namespace

SdlAudio::~SdlAudio() {
  drain();
  if (device_) SDL_CloseAudioDevice(device_);
  if (initialized_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

bool SdlAudio::open(std::string_view module, uint32_t sample_rate, uint32_t channels,
                    runtime::AuthorityError* error) {
  if (device_) return fail(error, abi::Status::IoError, "audio: the stream is already open");
  drain();  // a closing stream finishes first
  if (sample_rate > 384'000 || channels > 8)
    return fail(error, abi::Status::BadArguments, "audio: at most 384 kHz and 8 channels");
  if (!initialized_) {
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
      return fail(error, abi::Status::Unavailable,
                  fmt::format("audio: no audio driver: {}", SDL_GetError()));
    initialized_ = true;
  }
  SDL_AudioSpec want{};
  want.freq = static_cast<int>(sample_rate);
  want.format = AUDIO_F32SYS;
  want.channels = static_cast<uint8_t>(channels);
  want.samples = 1024;
  SDL_AudioSpec have{};
  device_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
  if (!device_)
    return fail(error, abi::Status::Unavailable,
                fmt::format("audio: no output device: {}", SDL_GetError()));
  owner_ = std::string(module);
  bytes_per_second_ = sample_rate * channels * 4;
  SDL_PauseAudioDevice(device_, 0);
  return true;
}

bool SdlAudio::push(std::string_view module, runtime::ByteView samples,
                    runtime::AuthorityError* error) {
  if (!device_ || owner_ != module)
    return fail(error, abi::Status::NotFound, "audio: no open stream (audio_open first)");
  if (samples.size() % 4 != 0)
    return fail(error, abi::Status::BadArguments, "audio: samples are 4-byte floats");
  if (SDL_GetQueuedAudioSize(device_) + samples.size() >
      static_cast<uint64_t>(bytes_per_second_) * kMaxQueuedSeconds)
    return fail(error, abi::Status::IoError, "audio: more than 10 s of audio queued");
  if (SDL_QueueAudio(device_, samples.data(), static_cast<uint32_t>(samples.size())) != 0)
    return fail(error, abi::Status::IoError, fmt::format("audio: {}", SDL_GetError()));
  return true;
}

bool SdlAudio::close(std::string_view module, runtime::AuthorityError* error) {
  if (!device_ || owner_ != module)
    return fail(error, abi::Status::NotFound, "audio: no open stream");
  // What is queued plays out on a background thread (bounded by the queue
  // limit), so the module's transaction does not wait for it.
  if (draining_.joinable()) draining_.join();
  draining_ = std::thread([device = device_] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kMaxQueuedSeconds + 1);
    while (SDL_GetQueuedAudioSize(device) > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the driver's last buffer
    SDL_CloseAudioDevice(device);
  });
  device_ = 0;
  owner_.clear();
  return true;
}

void SdlAudio::drain() {
  if (draining_.joinable()) draining_.join();
}

}  // namespace interstice::authority
