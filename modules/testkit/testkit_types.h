// Row types of the testkit module, shared with the runtime tests.
#pragma once

#include <cstdint>
#include <string>

#include "abi/reflect.h"

struct Item {
  uint64_t id = 0;
  std::string name;
  int32_t score = 0;
  INTERSTICE_TYPE(Item, id, name, score)
};

struct Secret {
  uint64_t id = 0;
  std::string text;
  INTERSTICE_TYPE(Secret, id, text)
};
