// The row and custom types of the hello module, shared with host-side tests
// so that both sides decode the same encoding.
#pragma once

#include <cstdint>
#include <string>

#include "abi/reflect.h"

struct TestCustomType {
  uint32_t val = 0;
  INTERSTICE_TYPE(TestCustomType, val)
};

struct Greetings {
  uint64_t id = 0;
  std::string greeting;
  TestCustomType custom;
  INTERSTICE_TYPE(Greetings, id, greeting, custom)
};
