#include "authority/sdl_window.h"

// Vulkan's own types first, so that SDL_vulkan.h uses them.
#include <vulkan/vulkan.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_vulkan.h>
#include <fmt/format.h>

#include <algorithm>

namespace interstice::authority {

struct SdlWindow::State {
  SDL_Window* window = nullptr;
  SDL_Renderer* renderer = nullptr;
  SDL_Texture* texture = nullptr;
  uint32_t width = 0, height = 0;  // the texture's
  bool vulkan = false;
  std::string why_not_vulkan;

  ~State() {
    if (texture) SDL_DestroyTexture(texture);
    if (renderer) SDL_DestroyRenderer(renderer);
    if (window) SDL_DestroyWindow(window);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }
};

namespace {

SDL_Window* make_window(const std::string& title, uint32_t width, uint32_t height, bool vulkan) {
  return SDL_CreateWindow(
      title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, static_cast<int>(width),
      static_cast<int>(height),
      SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE | (vulkan ? SDL_WINDOW_VULKAN : 0));
}

}  // namespace

base::Result<std::unique_ptr<SdlWindow>> SdlWindow::open(const std::string& title, uint32_t width,
                                                         uint32_t height, VulkanGpu* gpu) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
    return base::make_error(fmt::format("no window: {}", SDL_GetError()));
  auto state = std::make_unique<State>();
  if (gpu) {
    state->window = make_window(title, width, height, true);
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    if (!state->window) {
      state->why_not_vulkan = fmt::format("no Vulkan window: {}", SDL_GetError());
    } else if (!SDL_Vulkan_CreateSurface(
                   state->window, reinterpret_cast<VkInstance>(gpu->instance_handle()), &surface)) {
      state->why_not_vulkan = fmt::format("no Vulkan surface: {}", SDL_GetError());
    } else if (auto attached =
                   gpu->attach_surface(reinterpret_cast<uint64_t>(surface), width, height);
               !attached) {
      state->why_not_vulkan = attached.error().message;
    } else {
      state->vulkan = true;
    }
    if (!state->vulkan && state->window) {
      SDL_DestroyWindow(state->window);
      state->window = nullptr;
    }
  } else {
    state->why_not_vulkan = "no Gpu";
  }
  if (!state->vulkan) {
    state->window = make_window(title, width, height, false);
    if (state->window)
      state->renderer = SDL_CreateRenderer(state->window, -1, SDL_RENDERER_SOFTWARE);
    if (!state->renderer) return base::make_error(fmt::format("no window: {}", SDL_GetError()));
  }
  SDL_StartTextInput();
  return std::unique_ptr<SdlWindow>(new SdlWindow(std::move(state)));
}

SdlWindow::SdlWindow(std::unique_ptr<State> state) : s_(std::move(state)) {}
SdlWindow::~SdlWindow() = default;

bool SdlWindow::vulkan() const {
  return s_->vulkan;
}

const std::string& SdlWindow::why_not_vulkan() const {
  return s_->why_not_vulkan;
}

void SdlWindow::size(uint32_t* width, uint32_t* height) const {
  int w = 0, h = 0;
  if (s_->vulkan)
    SDL_Vulkan_GetDrawableSize(s_->window, &w, &h);
  else
    SDL_GetWindowSize(s_->window, &w, &h);
  *width = static_cast<uint32_t>(std::max(w, 0));
  *height = static_cast<uint32_t>(std::max(h, 0));
}

void SdlWindow::present(const std::vector<uint8_t>& rgba, uint32_t width, uint32_t height) {
  if (!s_->renderer || rgba.size() != static_cast<size_t>(width) * height * 4) return;
  if (!s_->texture || width != s_->width || height != s_->height) {
    SDL_Texture* texture =
        SDL_CreateTexture(s_->renderer, SDL_PIXELFORMAT_ABGR8888, SDL_TEXTUREACCESS_STREAMING,
                          static_cast<int>(width), static_cast<int>(height));
    if (!texture) return;  // keeps showing the last frame
    if (s_->texture) SDL_DestroyTexture(s_->texture);
    s_->texture = texture;
    s_->width = width;
    s_->height = height;
  }
  // ABGR8888 is R, G, B, A in memory order on little-endian machines.
  SDL_UpdateTexture(s_->texture, nullptr, rgba.data(), static_cast<int>(width * 4));
  SDL_RenderClear(s_->renderer);
  SDL_RenderCopy(s_->renderer, s_->texture, nullptr, nullptr);
  SDL_RenderPresent(s_->renderer);
}

std::vector<abi::InputEvent> SdlWindow::poll() {
  std::vector<abi::InputEvent> events;
  SDL_Event e;
  while (SDL_PollEvent(&e)) {
    abi::InputEvent event;
    switch (e.type) {
      case SDL_KEYDOWN:
      case SDL_KEYUP:
        event.kind = e.type == SDL_KEYDOWN ? abi::KeyDown : abi::KeyUp;
        event.key = e.key.keysym.sym;
        break;
      case SDL_MOUSEMOTION:
        event.kind = abi::MouseMove;
        event.x = e.motion.x;
        event.y = e.motion.y;
        break;
      case SDL_MOUSEBUTTONDOWN:
      case SDL_MOUSEBUTTONUP:
        event.kind = e.type == SDL_MOUSEBUTTONDOWN ? abi::MouseDown : abi::MouseUp;
        event.x = e.button.x;
        event.y = e.button.y;
        event.button = e.button.button;
        break;
      case SDL_TEXTINPUT:
        event.kind = abi::Text;
        event.text = e.text.text;
        break;
      case SDL_WINDOWEVENT:
        if (e.window.event != SDL_WINDOWEVENT_SIZE_CHANGED) continue;
        event.kind = abi::Resize;
        event.width = static_cast<uint32_t>(e.window.data1);
        event.height = static_cast<uint32_t>(e.window.data2);
        break;
      case SDL_QUIT:
        event.kind = abi::Close;
        break;
      default:
        continue;
    }
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace interstice::authority
