// The `input` event's data, shared by the host and the SDK: what the Input
// authority's holder receives for each keyboard, mouse, text or window event
// (docs/sdk.md, "Input"). Its reducer takes one InputEvent.
#pragma once

#include <cstdint>
#include <string>

#include "abi/reflect.h"

namespace interstice::abi {

enum InputKind : uint32_t {
  KeyDown = 0,    // key: the SDL keycode ('a', 32 for space, …)
  KeyUp = 1,      //
  MouseMove = 2,  // x, y: the pointer in surface pixels
  MouseDown = 3,  // x, y, button (1 left, 2 middle, 3 right)
  MouseUp = 4,    //
  Text = 5,       // text: UTF-8 typed text
  Resize = 6,     // width, height: the window's new size
  Close = 7,      // the window was asked to close
};

struct InputEvent {
  uint32_t kind = 0;
  int32_t key = 0;
  int32_t x = 0;
  int32_t y = 0;
  uint32_t button = 0;
  std::string text;
  uint32_t width = 0;
  uint32_t height = 0;
  INTERSTICE_TYPE(InputEvent, kind, key, x, y, button, text, width, height)
};

}  // namespace interstice::abi
