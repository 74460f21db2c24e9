#include "authority/sdl_audio.h"

#include <SDL2/SDL.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace interstice::authority {
namespace {

bool fail(runtime::AuthorityError* error, abi::Status status, std::string message) {
  *error = runtime::AuthorityError{status, std::move(message)};
  return false;
}

// The one sample format of both streams: f32, interleaved; or why not.
bool spec_for(uint32_t sample_rate, uint32_t channels, SDL_AudioSpec* spec,
              runtime::AuthorityError* error) {
  if (sample_rate == 0 || channels == 0 || sample_rate > 384'000 || channels > 8)
    return fail(error, abi::Status::BadArguments, "audio: 1 Hz to 384 kHz and 1 to 8 channels");
  *spec = SDL_AudioSpec{};
  spec->freq = static_cast<int>(sample_rate);
  spec->format = AUDIO_F32SYS;
  spec->channels = static_cast<uint8_t>(channels);
  spec->samples = 1024;
  return true;
}

}  // namespace

SdlAudio::~SdlAudio() {
  drain();
  if (device_) SDL_CloseAudioDevice(device_);
  if (capture_device_) SDL_CloseAudioDevice(capture_device_);
  if (initialized_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

bool SdlAudio::open(std::string_view module, uint32_t sample_rate, uint32_t channels,
                    runtime::AuthorityError* error) {
  if (device_) return fail(error, abi::Status::IoError, "audio: the stream is already open");
  drain();  // a closing stream finishes first
  SDL_AudioSpec want;
  if (!spec_for(sample_rate, channels, &want, error) || !init(error)) return false;
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

bool SdlAudio::init(runtime::AuthorityError* error) {
  if (initialized_) return true;
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
    return fail(error, abi::Status::Unavailable,
                fmt::format("audio: no audio driver: {}", SDL_GetError()));
  initialized_ = true;
  return true;
}

bool SdlAudio::open_capture(std::string_view module, uint32_t sample_rate, uint32_t channels,
                            runtime::AuthorityError* error) {
  if (capture_device_)
    return fail(error, abi::Status::IoError, "audio: the capture stream is already open");
  SDL_AudioSpec want;
  if (!spec_for(sample_rate, channels, &want, error) || !init(error)) return false;
  auto captured = std::make_unique<Captured>();
  captured->limit = static_cast<size_t>(sample_rate) * channels * 4 * kMaxQueuedSeconds;
  want.userdata = captured.get();
  // Runs on SDL's capture thread: append, dropping the oldest beyond the limit.
  want.callback = [](void* userdata, Uint8* stream, int length) {
    auto* c = static_cast<Captured*>(userdata);
    base::MutexLock lock(c->mutex);
    c->bytes.insert(c->bytes.end(), stream, stream + length);
    if (c->bytes.size() > c->limit)
      c->bytes.erase(c->bytes.begin(),
                     c->bytes.begin() + static_cast<std::ptrdiff_t>(c->bytes.size() - c->limit));
  };
  SDL_AudioSpec have{};
  capture_device_ = SDL_OpenAudioDevice(nullptr, 1, &want, &have, 0);
  if (!capture_device_)
    return fail(error, abi::Status::Unavailable,
                fmt::format("audio: no capture device: {}", SDL_GetError()));
  captured_ = std::move(captured);
  capture_owner_ = std::string(module);
  capture_frame_ = channels * 4;
  SDL_PauseAudioDevice(capture_device_, 0);
  return true;
}

bool SdlAudio::read_capture(std::string_view module, uint32_t max_bytes, runtime::Bytes* samples,
                            runtime::AuthorityError* error) {
  if (!capture_device_ || capture_owner_ != module)
    return fail(error, abi::Status::NotFound, "audio: no open capture stream");
  base::MutexLock lock(captured_->mutex);
  size_t take = std::min<size_t>(max_bytes, captured_->bytes.size());
  take -= take % capture_frame_;
  auto end = captured_->bytes.begin() + static_cast<std::ptrdiff_t>(take);
  samples->assign(captured_->bytes.begin(), end);
  captured_->bytes.erase(captured_->bytes.begin(), end);
  return true;
}

bool SdlAudio::close_capture(std::string_view module, runtime::AuthorityError* error) {
  if (!capture_device_ || capture_owner_ != module)
    return fail(error, abi::Status::NotFound, "audio: no open capture stream");
  SDL_CloseAudioDevice(capture_device_);  // stops the callback before returning
  capture_device_ = 0;
  capture_owner_.clear();
  captured_.reset();
  return true;
}

void SdlAudio::drain() {
  if (draining_.joinable()) draining_.join();
}

}  // namespace interstice::authority
