// SdlWindow: a real window (SDL2) that shows the Gpu's frames and turns
// keyboard, mouse, text and window events into abi::InputEvents for the
// Input authority's holder. Frames reach it through a Vulkan swapchain, or
// (where the device cannot present) are copied into a streaming texture.
// Use from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "abi/input_event.h"
#include "authority/vulkan_gpu.h"
#include "base/result.h"

namespace interstice::authority {

class SdlWindow {
 public:
  // Fails (with SDL's reason) when there is no display. With a `gpu`, the
  // window presents through a Vulkan swapchain on its surface when the
  // device can (vulkan() tells; why_not_vulkan() says why not); otherwise
  // frames are copied into an SDL texture.
  [[nodiscard]] static base::Result<std::unique_ptr<SdlWindow>> open(const std::string& title,
                                                                     uint32_t width,
                                                                     uint32_t height,
                                                                     VulkanGpu* gpu = nullptr);
  ~SdlWindow();

  bool vulkan() const;
  const std::string& why_not_vulkan() const;
  // The window's drawable size in pixels.
  void size(uint32_t* width, uint32_t* height) const;
  // Shows an RGBA8 frame (scaled to the window, which the user may resize);
  // for windows that do not present through Vulkan.
  void present(const std::vector<uint8_t>& rgba, uint32_t width, uint32_t height);
  // The events since the last poll, in order.
  std::vector<abi::InputEvent> poll();

 private:
  struct State;
  explicit SdlWindow(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace interstice::authority
