// The display (display.h): the Gpu device and the frame loop.
#include "node/display.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "authority/png_writer.h"
#include "authority/sdl_window.h"
#include "base/thread_name.h"

namespace interstice::node {

namespace {

// Why no window can open, or "" when one may: without a display server to
// talk to, SDL would fall back to its offscreen driver (a window no one
// sees) after printing errors of its own. SDL_VIDEODRIVER, when set, is
// trusted as the operator's choice.
std::string why_no_display() {
  auto set = [](const char* name) {
    const char* value = std::getenv(name);
    return value && *value;
  };
  if (set("SDL_VIDEODRIVER") || set("DISPLAY") || set("WAYLAND_DISPLAY")) return "";
  return "there is no display (DISPLAY and WAYLAND_DISPLAY are not set)";
}

}  // namespace

std::unique_ptr<Display> Display::open(Options options, bool gpu_granted) {
  if (gpu_granted && options.window) {
    if (std::string why = why_no_display(); !why.empty()) {
      spdlog::warn("--window: {}; rendering offscreen", why);
      options.window = false;
    }
  }
  std::unique_ptr<Display> display(new Display(std::move(options)));
  if (!gpu_granted) return display;
  const Options& o = display->options_;
  auto gpu = authority::VulkanGpu::create(o.width, o.height, o.window);
  if (!gpu) {
    spdlog::warn("the Gpu authority has no device, its calls will be Unavailable: {}",
                 gpu.error().message);
    return display;
  }
  spdlog::info("Gpu: {} ({}x{}, {})", (*gpu)->device_name(), o.width, o.height,
               o.window ? "window" : "offscreen");
  display->gpu_ = std::move(gpu).value();
  display->gpu_->set_memory_budget(o.gpu_memory);
  return display;
}

Display::~Display() {
  stop();
}

void Display::start(ExecutorPool& executors, runtime::Runtime& runtime, RunOnModule run_on_module,
                    std::function<void()> after_frame) {
  if (!gpu_ || frame_thread_.joinable()) return;
  executors_ = &executors;
  runtime_ = &runtime;
  run_on_module_ = std::move(run_on_module);
  after_frame_ = std::move(after_frame);
  frame_thread_ = std::thread([this] { frame_loop(); });
}

void Display::stop() {
  {
    base::MutexLock lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (frame_thread_.joinable()) frame_thread_.join();
}

void Display::frame_loop() {
  base::name_this_thread("display");
  std::unique_ptr<authority::SdlWindow> window;
  if (options_.window) {
    executors_->exclusive([&] {  // the Gpu is shared with the reducers
      auto opened =
          authority::SdlWindow::open("Interstice", options_.width, options_.height, gpu_.get());
      if (!opened)
        spdlog::warn("{}; rendering offscreen", opened.error().message);
      else if ((*opened)->vulkan())
        spdlog::info("window: Vulkan swapchain ({})", gpu_->swapchain_description());
      else
        spdlog::info("window: frames copied through SDL ({})", (*opened)->why_not_vulkan());
      if (opened) window = std::move(opened).value();
    });
  }
  using clock = std::chrono::steady_clock;
  auto period = std::chrono::duration_cast<clock::duration>(
      std::chrono::duration<double>(1.0 / std::max(options_.fps, 0.1)));
  auto next = clock::now();
  uint64_t fired = 0, rendered = 0, finished = gpu_->frames();
  std::vector<uint8_t> pixels;
  uint32_t width = 0, height = 0;
  std::string window_problem;
  for (;;) {
    {
      base::MutexLock lock(mutex_);
      while (!stop_ && changed_.wait_until(lock, next)) {
      }
      if (stop_) return;
    }
    next = std::max(next + period, clock::now());
    std::vector<abi::InputEvent> events;
    if (window) events = window->poll();
    bool done = options_.frames > 0 && rendered >= options_.frames;
    bool have_frame = false;
    uint64_t frame = fired;
    // The frame runs on the executor of the Gpu's holder, whose reducers
    // are the only others to use the Gpu, in order with its calls; input
    // events go to the Input holder's executor from there (Runtime::fire
    // forwards them). This thread waits for the frame.
    std::string gpu_holder =
        executors_->shared([&] { return runtime_->authority_holder(abi::Authority::Gpu); });
    run_on_module_(gpu_holder, [&] {
      if (runtime_->authority_holder(abi::Authority::Gpu) != gpu_holder)
        return;  // handed on meanwhile, maybe to another executor: next frame
      std::optional<uint32_t> here = executors_->current();
      std::string input = runtime_->authority_holder(abi::Authority::Input);
      for (const abi::InputEvent& e : events) {
        // The surface follows the window, between transactions; a texture
        // taken before is SurfaceOutdated from now on.
        if (e.kind == abi::Resize)
          if (std::string why; !gpu_->resize(e.width, e.height, &why))
            spdlog::warn("the surface stays {}x{}: {}", gpu_->width(), gpu_->height(), why);
        if (!input.empty())
          runtime_->fire(input, abi::EventName{abi::EventName::Kind::Input},
                         abi::to_bytes(std::make_tuple(e)), "", here);
      }
      std::string holder = runtime_->authority_holder(abi::Authority::Gpu);
      if (!done && !holder.empty()) {
        runtime_->fire(holder, abi::EventName{abi::EventName::Kind::Render},
                       abi::to_bytes(std::make_tuple(fired)), "", here);
        ++fired;
        gpu_->abandon_frame();
        if (gpu_->frames() > finished) {
          finished = gpu_->frames();
          pixels = gpu_->frame();
          width = gpu_->width();
          height = gpu_->height();
          have_frame = true;
        }
      }
      // The window shows the surface's image through its swapchain.
      if (window && window->vulkan() && have_frame) {
        uint32_t w = 0, h = 0;
        window->size(&w, &h);
        // Each new problem is logged once, not at every frame.
        if (auto shown = gpu_->present_to_window(w, h); !shown) {
          if (shown.error().message != window_problem)
            spdlog::warn("window: {}", shown.error().message);
          window_problem = shown.error().message;
        } else {
          window_problem.clear();
        }
      }
      if (!events.empty() || !done) after_frame_();
    });
    if (!have_frame) continue;
    ++rendered;
    if (!options_.frame_dump.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(options_.frame_dump, ec);
      auto path = options_.frame_dump / fmt::format("frame-{:06}.png", frame);
      if (auto r = authority::write_png(path, width, height, pixels); !r)
        spdlog::error("{}", r.error().message);
    }
    if (window && !window->vulkan()) window->present(pixels, width, height);
    if (options_.frames > 0 && rendered == options_.frames)
      spdlog::info("rendered {} frame{}", rendered, rendered == 1 ? "" : "s");
  }
}

}  // namespace interstice::node
