// The graphics example on a real node: rendered headless into PNG frames
// (the triangle's colour inside it, the clear colour around it), and in a
// real SDL2 window under Xvfb (presenting through a Vulkan swapchain), where
// a key pressed with xdotool reaches the module's input reducer and changes
// the colour of the next frames, a mouse click arrives with its position,
// and a resize of the window resizes the surface. Skipped, with the reason,
// only where Vulkan (or Xvfb) is genuinely unavailable.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "authority/png_writer.h"
#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::TempDir;

struct Rgb {
  int r, g, b;
};

Rgb pixel(const std::vector<uint8_t>& rgba, uint32_t width, uint32_t x, uint32_t y) {
  size_t at = (static_cast<size_t>(y) * width + x) * 4;
  return {rgba[at], rgba[at + 1], rgba[at + 2]};
}

bool near(Rgb a, Rgb b) {
  return std::abs(a.r - b.r) <= 3 && std::abs(a.g - b.g) <= 3 && std::abs(a.b - b.b) <= 3;
}

constexpr Rgb kClear{13, 13, 51};    // (0.05, 0.05, 0.2)
constexpr Rgb kOrange{255, 128, 0};  // colour 0
constexpr Rgb kGreen{0, 204, 51};    // colour 1

// Checks a frame of `width` x `height`: the triangle's colour inside it, the
// clear colour in the corners and beside the triangle's top (positions are
// fractions of the size, so a resized surface is checked the same way).
void expect_triangle(const std::filesystem::path& png, Rgb color, uint32_t width = 128,
                     uint32_t height = 128) {
  uint32_t w = 0, h = 0;
  auto rgba = interstice::authority::read_png(png, &w, &h);
  ASSERT_TRUE(rgba.ok()) << rgba.error().message;
  ASSERT_EQ(w, width);
  ASSERT_EQ(h, height);
  auto check = [&](double fx, double fy, Rgb expected) {
    auto x = static_cast<uint32_t>(fx * w), y = static_cast<uint32_t>(fy * h);
    Rgb got = pixel(*rgba, w, x, y);
    EXPECT_TRUE(near(got, expected))
        << png << " at " << x << "," << y << ": " << got.r << " " << got.g << " " << got.b;
  };
  for (auto [fx, fy] : {std::pair{0.5, 0.55}, {0.5, 0.35}, {0.35, 0.7}, {0.65, 0.7}})
    check(fx, fy, color);
  for (auto [fx, fy] :
       {std::pair{0.02, 0.02}, {0.98, 0.02}, {0.02, 0.98}, {0.98, 0.98}, {0.31, 0.31}})
    check(fx, fy, kClear);
}

// The newest PNG frame in `dir`.
std::filesystem::path newest_frame(const std::filesystem::path& dir) {
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".png" && entry.path() > newest) newest = entry.path();
  return newest;
}

bool gpu_unavailable(NodeProcess& node, std::string* why) {
  std::string log = node.output();
  size_t at = log.find("the Gpu authority has no device");
  if (at == std::string::npos) return false;
  *why = log.substr(at, log.find('\n', at) - at);
  return true;
}

// The headless and replay tests run the C++ example and the Rust one
// (modules/rust/graphics), which must behave the same.
class GraphicsExample : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Languages, GraphicsExample,
                         ::testing::Values("graphics", "rust_graphics"));

TEST_P(GraphicsExample, HeadlessFramesShowTheTriangle) {
  TempDir frames;
  NodeProcess node({GetParam()},
                   {"--grant", "gpu", "--grant", "input", "--width", "128", "--height", "128",
                    "--frames", "3", "--frame-dump", frames.path().string()});
  ASSERT_NE(node.port(), 0) << node.output();
  std::string why;
  if (gpu_unavailable(node, &why)) GTEST_SKIP() << "Vulkan is unavailable: " << why;
  ASSERT_TRUE(node.wait_for_output("rendered 3 frames")) << node.output();
  EXPECT_NE(node.output().find("[graphics::on_render] pipeline ready"), std::string::npos);
  for (int i = 0; i < 3; ++i)
    expect_triangle(frames.path() / ("frame-00000" + std::to_string(i) + ".png"), kOrange);
}

// After restarts the pipeline (in an ephemeral table) is built again on the
// first frame; replay empties ephemeral tables where the node restarted, so
// it re-executes those frames as they ran and finds no divergence.
TEST_P(GraphicsExample, ReplayVerifiesTheFramesAcrossRestarts) {
  TempDir frames;
  std::vector<std::string> args{"--grant",  "gpu", "--grant",      "input",
                                "--width",  "64",  "--height",     "64",
                                "--frames", "3",   "--frame-dump", frames.path().string()};
  NodeProcess node({GetParam()}, args);
  ASSERT_NE(node.port(), 0) << node.output();
  std::string why;
  if (gpu_unavailable(node, &why)) GTEST_SKIP() << "Vulkan is unavailable: " << why;
  ASSERT_TRUE(node.wait_for_output("rendered 3 frames")) << node.output();
  for (int restart = 0; restart < 2; ++restart) {
    node.restart(args);
    ASSERT_NE(node.port(), 0) << node.output();
    ASSERT_TRUE(node.wait_for_output("rendered 3 frames")) << node.output();
    EXPECT_NE(node.output().find("[graphics::on_render] pipeline ready"), std::string::npos);
  }
  node.stop();
  auto verified = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " replay " +
                                                   node.data_dir().string() + " --verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("every effect matches the log"), std::string::npos)
      << verified.output;
}

// What an X window shows, read back from the server (Xvfb keeps every
// pixel a client presented).
class WindowPixels {
 public:
  WindowPixels(const std::string& display, const std::string& title) {
    auto found = interstice::testing::run_command("DISPLAY=" + display +
                                                  " xdotool search --sync --name " + title);
    std::istringstream ids(found.output);
    ids >> window_;
    x_ = XOpenDisplay(display.c_str());
  }
  ~WindowPixels() {
    if (x_) XCloseDisplay(x_);
  }
  bool ok() const { return x_ && window_; }
  // The window's size, and its pixel at fractions (fx, fy) of it.
  std::pair<int, int> size() {
    XWindowAttributes attributes{};
    XGetWindowAttributes(x_, window_, &attributes);
    return {attributes.width, attributes.height};
  }
  Rgb at(double fx, double fy) {
    auto [w, h] = size();
    XImage* image = XGetImage(x_, window_, static_cast<int>(fx * w), static_cast<int>(fy * h), 1, 1,
                              AllPlanes, ZPixmap);
    if (!image) return {-1, -1, -1};
    unsigned long p = XGetPixel(image, 0, 0);
    Rgb rgb{static_cast<int>((p & image->red_mask) >> 16),
            static_cast<int>((p & image->green_mask) >> 8), static_cast<int>(p & image->blue_mask)};
    XDestroyImage(image);
    return rgb;
  }

 private:
  Display* x_ = nullptr;
  unsigned long window_ = 0;
};

// The window shows the triangle in `color` on the clear colour.
void expect_window_triangle(WindowPixels& window, Rgb color) {
  for (auto [fx, fy] : {std::pair{0.5, 0.55}, {0.5, 0.35}})
    EXPECT_TRUE(near(window.at(fx, fy), color))
        << "window at " << fx << "," << fy << ": " << window.at(fx, fy).r << " "
        << window.at(fx, fy).g << " " << window.at(fx, fy).b;
  EXPECT_TRUE(near(window.at(0.03, 0.03), kClear)) << "window corner";
}

// `start --gpu-memory` sets each module's Gpu budget; a bad value is a usage
// error.
TEST(Graphics, TheGpuMemoryBudgetIsTheOperators) {
  auto bad =
      interstice::testing::run_command(std::string(INTERSTICE_CLI) + " start --gpu-memory 0 2>&1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--gpu-memory"), std::string::npos) << bad.output;
  NodeProcess node({"encoder_user"}, {"--grant", "gpu", "--gpu-memory", "1"});
  ASSERT_NE(node.port(), 0) << node.output();
  std::string why;
  if (gpu_unavailable(node, &why)) GTEST_SKIP() << "Vulkan is unavailable: " << why;
  auto hoarded = interstice::testing::run_command(std::string(INTERSTICE_CLI) + " call " +
                                                  node.address() + " encoder_user hoard 2>&1");
  ASSERT_EQ(hoarded.exit_code, 0) << hoarded.output;
  EXPECT_TRUE(node.wait_for_output("kept 4, then 20, texture 20, after a release 1"))
      << node.output();
}

// --window where there is no display: one warning that says so, the frames
// rendered offscreen, and nothing else (no window claimed, no stray errors
// from SDL's fallbacks).
TEST(Graphics, AWindowWithoutADisplaySaysSoOnceAndRendersOffscreen) {
  std::map<std::string, std::string> saved;
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"}) {
    if (const char* value = std::getenv(name)) saved[name] = value;
    ::unsetenv(name);
  }
  TempDir frames;
  NodeProcess node({"graphics"}, {"--grant", "gpu", "--grant", "input", "--width", "64", "--height",
                                  "64", "--window", "--frame-dump", frames.path().string()});
  for (const auto& [name, value] : saved) ::setenv(name.c_str(), value.c_str(), 1);
  ASSERT_NE(node.port(), 0) << node.output();
  std::string output = node.output();
  EXPECT_NE(output.find("--window: there is no display (DISPLAY and WAYLAND_DISPLAY are not set); "
                        "rendering offscreen"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find(", window)"), std::string::npos) << output;
  std::string why;
  if (gpu_unavailable(node, &why)) GTEST_SKIP() << "Vulkan is unavailable: " << why;
  for (int i = 0; i < 100 && !std::filesystem::exists(frames.path() / "frame-000000.png"); ++i)
    ::usleep(50'000);
  EXPECT_TRUE(std::filesystem::exists(frames.path() / "frame-000000.png")) << node.output();
  EXPECT_EQ(node.output().find("\nerror:"), std::string::npos) << node.output();
  EXPECT_EQ(node.output().find("info  window:"), std::string::npos) << node.output();
}

TEST_P(GraphicsExample, AKeyInARealWindowChangesTheColour) {
  if (std::system("command -v Xvfb >/dev/null && command -v xdotool >/dev/null") != 0)
    GTEST_SKIP() << "Xvfb or xdotool is not installed (scripts/setup installs both)";
  // Xvfb picks a free display itself and writes its number to the pipe
  // once it accepts connections (-displayfd): tests running side by side
  // cannot take the same one.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t xvfb = ::fork();
  if (xvfb == 0) {
    ::close(ready[0]);
    std::string fd = std::to_string(ready[1]);
    ::execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "320x240x24", "-nolisten",
             "tcp", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(ready[1]);
  struct StopXvfb {
    pid_t pid;
    ~StopXvfb() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } stop_xvfb{xvfb};
  std::string number;
  char c;
  while (::read(ready[0], &c, 1) == 1 && c != '\n') number += c;
  ::close(ready[0]);
  ASSERT_FALSE(number.empty()) << "Xvfb did not start";
  std::string name = ":" + number;
  ::setenv("DISPLAY", name.c_str(), 1);  // inherited by the node and xdotool

  TempDir frames;
  NodeProcess node({GetParam()},
                   {"--grant", "gpu", "--grant", "input", "--width", "128", "--height", "128",
                    "--window", "--fps", "20", "--frame-dump", frames.path().string()});
  ::unsetenv("DISPLAY");
  ASSERT_NE(node.port(), 0) << node.output();
  std::string why;
  if (gpu_unavailable(node, &why)) GTEST_SKIP() << "Vulkan is unavailable: " << why;
  ASSERT_EQ(node.output().find("rendering offscreen"), std::string::npos) << node.output();
  ASSERT_TRUE(node.wait_for_output("pipeline ready")) << node.output();
  // The window presents through a Vulkan swapchain (lavapipe presents to X).
  EXPECT_NE(node.output().find("window: Vulkan swapchain"), std::string::npos) << node.output();
  for (int i = 0; i < 100 && !std::filesystem::exists(frames.path() / "frame-000001.png"); ++i)
    ::usleep(50'000);
  expect_triangle(frames.path() / "frame-000000.png", kOrange);
  WindowPixels window(name, "Interstice");
  ASSERT_TRUE(window.ok());
  ::usleep(200'000);
  expect_window_triangle(window, kOrange);

  std::string xdotool =
      "DISPLAY=" + name + " xdotool search --sync --name Interstice windowfocus --sync key space";
  auto pressed = interstice::testing::run_command(xdotool + " 2>&1");
  ASSERT_EQ(pressed.exit_code, 0) << pressed.output;
  ASSERT_TRUE(node.wait_for_output("[graphics::on_input] key 32 down: colour 1")) << node.output();
  // A mouse click inside the window reaches the module too, with its position.
  std::string click = "DISPLAY=" + name +
                      " xdotool search --sync --name Interstice mousemove --window %1 20 30 "
                      "click 1";
  auto clicked = interstice::testing::run_command(click + " 2>&1");
  ASSERT_EQ(clicked.exit_code, 0) << clicked.output;
  ASSERT_TRUE(node.wait_for_output("[graphics::on_input] mouse button 1 at 20,30"))
      << node.output();
  // A frame rendered after the key has the new colour.
  ::usleep(300'000);
  expect_triangle(newest_frame(frames.path()), kGreen);
  expect_window_triangle(window, kGreen);

  // Resizing the window resizes the surface: the module hears of it, and the
  // next frames have the new size (the triangle stretched with it).
  std::string resize =
      "DISPLAY=" + name + " xdotool search --sync --name Interstice windowsize --sync 200 100";
  auto resized = interstice::testing::run_command(resize + " 2>&1");
  ASSERT_EQ(resized.exit_code, 0) << resized.output;
  ASSERT_TRUE(node.wait_for_output("[graphics::on_input] window resized to 200x100"))
      << node.output();
  ::usleep(300'000);
  expect_triangle(newest_frame(frames.path()), kGreen, 200, 100);
  EXPECT_EQ(window.size(), (std::pair{200, 100}));
  expect_window_triangle(window, kGreen);
  EXPECT_EQ(node.output().find("failed: status"), std::string::npos) << node.output();
}

}  // namespace
