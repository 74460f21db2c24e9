// Display: the Gpu back-end and the frame loop of the Gpu and Input
// authorities (docs/node.md, "Display").
//
// Contract: `open` creates the Gpu device when the grant policy includes Gpu
// (none otherwise, or without a device: Gpu calls are then Unavailable); the
// runtime is given gpu(). `start` begins the frame loop on its own thread:
// `fps` times a second it runs a frame on the executor of the Gpu's holder
// (through `run_on_module`, which waits for it): the window's input events go
// to the Input holder, then `render(frame)` to the Gpu holder, then the
// finished frame is presented; the PNG dump and the SDL copy happen on the
// frame thread, outside the executor. `stop` ends the loop (idempotent).
//
// Threading: open/start/stop from the node's wiring thread; the frame loop
// touches the runtime and the Gpu only inside tasks on the holder's executor,
// or inside an exclusive section (opening the window).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "authority/vulkan_gpu.h"
#include "base/mutex.h"
#include "node/executor_pool.h"
#include "runtime/runtime.h"

namespace interstice::node {

class Display {
 public:
  struct Options {
    uint32_t width = 640;
    uint32_t height = 480;
    double fps = 60;
    uint64_t frames = 0;               // stop rendering after this many (0: never)
    std::filesystem::path frame_dump;  // if set, frames are written as frame-NNNNNN.png
    bool window = false;
    uint64_t gpu_memory = 512ull << 20;  // bytes of buffers and textures per module
  };
  // Runs `task` on the executor of `module` and waits for it (false if the
  // node is stopping).
  using RunOnModule = std::function<bool(const std::string& module, const std::function<void()>&)>;

  // The display, with a Gpu device if `gpu_granted` and one can be opened.
  static std::unique_ptr<Display> open(Options options, bool gpu_granted);
  ~Display();  // stops the loop

  const std::shared_ptr<authority::VulkanGpu>& gpu() const { return gpu_; }
  // Starts the frame loop if there is a Gpu. `after_frame` runs in the frame's
  // task when it ran any reducer (the node's snapshot check).
  void start(ExecutorPool& executors, runtime::Runtime& runtime, RunOnModule run_on_module,
             std::function<void()> after_frame);
  void stop();

 private:
  explicit Display(Options options) : options_(std::move(options)) {}
  void frame_loop();

  const Options options_;
  std::shared_ptr<authority::VulkanGpu> gpu_;  // set by open, then constant
  // Set by start, before the frame thread begins; constant after.
  ExecutorPool* executors_ = nullptr;
  runtime::Runtime* runtime_ = nullptr;
  RunOnModule run_on_module_;
  std::function<void()> after_frame_;
  std::thread frame_thread_;  // the wiring thread starts and joins it
  base::Mutex mutex_;
  base::CondVar changed_;  // signalled when stop_ is set
  bool stop_ GUARDED_BY(mutex_) = false;
};

}  // namespace interstice::node
