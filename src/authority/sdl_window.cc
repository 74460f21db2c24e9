#include "authority/sdl_window.h"

#include <SDL2/SDL.h>
#include <fmt/format.h>

namespace interstice::authority {

struct SdlWindow::State {
  SDL_Window* window = nullptr;
  SDL_Renderer* renderer = nullptr;
  SDL_Texture* texture = nullptr;
  uint32_t width = 0, height = 0;

  ~State() {
    if (texture) SDL_DestroyTexture(texture);
    if (renderer) SDL_DestroyRenderer(renderer);
    if (window) SDL_DestroyWindow(window);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }
};

engine::Result<std::unique_ptr<SdlWindow>> SdlWindow::open(const std::string& title, uint32_t width,
                                                           uint32_t height) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
    return engine::make_error(fmt::format("no window: {}", SDL_GetError()));
  auto state = std::make_unique<State>();
  state->width = width;
  state->height = height;
  state->window = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                   static_cast<int>(width), static_cast<int>(height),
                                   SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE);
  if (state->window) state->renderer = SDL_CreateRenderer(state->window, -1, SDL_RENDERER_SOFTWARE);
  if (state->renderer)
    state->texture =
        SDL_CreateTexture(state->renderer, SDL_PIXELFORMAT_ABGR8888, SDL_TEXTUREACCESS_STREAMING,
                          static_cast<int>(width), static_cast<int>(height));
  if (!state->texture) return engine::make_error(fmt::format("no window: {}", SDL_GetError()));
  SDL_StartTextInput();
  return std::unique_ptr<SdlWindow>(new SdlWindow(std::move(state)));
}

SdlWindow::SdlWindow(std::unique_ptr<State> state) : s_(std::move(state)) {}
SdlWindow::~SdlWindow() = default;

void SdlWindow::present(const std::vector<uint8_t>& rgba, uint32_t width, uint32_t height) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4) return;
  if (width != s_->width || height != s_->height) {
    SDL_Texture* texture =
        SDL_CreateTexture(s_->renderer, SDL_PIXELFORMAT_ABGR8888, SDL_TEXTUREACCESS_STREAMING,
                          static_cast<int>(width), static_cast<int>(height));
    if (!texture) return;  // keeps showing the last frame
    SDL_DestroyTexture(s_->texture);
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
