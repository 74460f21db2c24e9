// Test fixture: holds Audio and plays a known ramp, logging each status.
#include <interstice/sdk.h>

#include <vector>

INTERSTICE_MODULE(tone, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Audio)

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
