// SdlAudio: the Audio authority on SDL2's audio output, in queue mode (the
// module pushes f32 samples; SDL plays them), and its capture device (SDL's
// capture thread fills a bounded buffer the module reads). SDL_AUDIODRIVER
// chooses the driver: "disk" writes the samples to SDL_DISKAUDIOFILE and
// captures from SDL_DISKAUDIOFILEIN, which the tests use. No device (or no
// driver) is reported to the module as Unavailable.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "base/mutex.h"
#include "runtime/authorities.h"

namespace interstice::authority {

class SdlAudio : public runtime::AudioBackend {
 public:
  ~SdlAudio() override;
  bool open(std::string_view module, uint32_t sample_rate, uint32_t channels,
            runtime::AuthorityError* error) override;
  bool push(std::string_view module, runtime::ByteView samples,
            runtime::AuthorityError* error) override;
  // Returns at once; the queued samples play out, then the device closes.
  bool close(std::string_view module, runtime::AuthorityError* error) override;
  bool open_capture(std::string_view module, uint32_t sample_rate, uint32_t channels,
                    runtime::AuthorityError* error) override;
  bool read_capture(std::string_view module, uint32_t max_bytes, runtime::Bytes* samples,
                    runtime::AuthorityError* error) override;
  bool close_capture(std::string_view module, runtime::AuthorityError* error) override;
  // Waits until a closed stream has played out and closed.
  void drain();

  // The most a module may queue ahead, in seconds of audio.
  static constexpr uint32_t kMaxQueuedSeconds = 10;

 private:
  uint32_t device_ = 0;  // SDL_AudioDeviceID; 0 when closed
  std::string owner_;    // the module that opened it
  uint32_t bytes_per_second_ = 0;
  bool initialized_ = false;
  std::thread draining_;

  // What SDL's capture thread hands over, kept for read_capture.
  struct Captured {
    base::Mutex mutex;
    std::deque<uint8_t> bytes GUARDED_BY(mutex);
    size_t limit = 0;  // bytes; older ones are dropped beyond it (set before the stream opens)
  };
  uint32_t capture_device_ = 0;
  std::string capture_owner_;
  uint32_t capture_frame_ = 0;  // bytes per frame (channels * 4)
  std::unique_ptr<Captured> captured_;
  bool init(runtime::AuthorityError* error);
};

}  // namespace interstice::authority
