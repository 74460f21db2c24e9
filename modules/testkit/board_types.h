// The row type of board.notes, shared by board and the modules that
// subscribe to it from other nodes (board_reader).
#pragma once

#include <interstice/sdk.h>

struct Note {
  uint64_t id = 0;
  std::string owner;  // a reader's identity, or "everyone"
  std::string text;
  INTERSTICE_TYPE(Note, id, owner, text)
};
