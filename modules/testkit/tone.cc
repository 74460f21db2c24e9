// Test fixture: holds Audio and plays a known ramp, logging each status; and
// records from the capture device into a table, chunk by chunk.
#include <interstice/sdk.h>

#include <vector>

INTERSTICE_MODULE(tone, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Audio)

struct Heard {
  uint64_t id = 0;
  std::vector<float> samples;
  INTERSTICE_TYPE(Heard, id, samples)
};
INTERSTICE_TABLE(heard, Heard, primary_key(&Heard::id), auto_inc(&Heard::id))

// Plays `count` mono samples at 8 kHz: sample i is i / count.
void play(interstice::ReducerContext& ctx, uint32_t count) {
  interstice::Audio audio = ctx.audio();
  interstice::abi::Status opened = audio.open(8000, 1);
  if (opened != interstice::abi::Status::Ok) {
    ctx.log("open: status " + std::to_string(static_cast<int>(opened)));
    return;
  }
  std::vector<float> samples(count);
  for (uint32_t i = 0; i < count; ++i) samples[i] = static_cast<float>(i) / count;
  ctx.log("push: status " + std::to_string(static_cast<int>(audio.push(samples))));
  ctx.log("close: status " + std::to_string(static_cast<int>(audio.close())));
}
INTERSTICE_REDUCER(play, "count")

// Starts capturing mono samples at 8 kHz.
void listen(interstice::ReducerContext& ctx) {
  ctx.log("capture open: status " +
          std::to_string(static_cast<int>(ctx.audio().open_capture(8000, 1))));
}
INTERSTICE_REDUCER(listen)

// Keeps up to `max` captured samples as one row; logs how many.
void keep(interstice::ReducerContext& ctx, uint32_t max) {
  interstice::abi::Status status;
  auto samples = ctx.audio().read_capture(max, &status);
  if (!samples) {
    ctx.log("capture read: status " + std::to_string(static_cast<int>(status)));
    return;
  }
  ctx.log("heard " + std::to_string(samples->size()));
  if (!samples->empty()) ctx.table<heard>().insert(Heard{0, std::move(*samples)});
}
INTERSTICE_REDUCER(keep, "max")

void stop_listening(interstice::ReducerContext& ctx) {
  ctx.log("capture close: status " + std::to_string(static_cast<int>(ctx.audio().close_capture())));
}
INTERSTICE_REDUCER(stop_listening)
