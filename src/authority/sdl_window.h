// SdlWindow: a real window (SDL2) that shows the Gpu's frames and turns
// keyboard, mouse, text and window events into abi::InputEvents for the
// Input authority's holder. Frames are copied into a streaming texture, so
// any Vulkan device (lavapipe included) can drive it. Use from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "abi/input_event.h"
#include "engine/result.h"

namespace interstice::authority {

class SdlWindow {
 public:
  // Fails (with SDL's reason) when there is no display.
  [[nodiscard]] static engine::Result<std::unique_ptr<SdlWindow>> open(const std::string& title,
                                                                       uint32_t width,
                                                                       uint32_t height);
  ~SdlWindow();

  // Shows an RGBA8 frame (scaled to the window, which the user may resize).
  void present(const std::vector<uint8_t>& rgba, uint32_t width, uint32_t height);
  // The events since the last poll, in order.
  std::vector<abi::InputEvent> poll();

 private:
  struct State;
  explicit SdlWindow(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace interstice::authority
