// Test fixture: a table with a view. A peer or client reads a note only if
// it owns it (its identity is the note's owner) or the note is for
// everyone; giving a note to someone else moves it out of one view and into
// another. Its queries read through the asker's view.
#include <interstice/sdk.h>

#include "board_types.h"

INTERSTICE_MODULE(board, "0.1.0", interstice::Visibility::Public)
INTERSTICE_TABLE(notes, Note, primary_key(&Note::id), auto_inc(&Note::id), public_table(),
                 view("owner = :reader OR owner = 'everyone'"))

void post(interstice::ReducerContext& ctx, std::string owner, std::string text) {
  ctx.table<notes>().insert(Note{0, std::move(owner), std::move(text)});
}
INTERSTICE_REDUCER(post, "owner", "text")

void give(interstice::ReducerContext& ctx, uint64_t id, std::string owner) {
  auto note = ctx.table<notes>().get(id);
  if (!note) ctx.fail("no note " + std::to_string(id));
  note->owner = std::move(owner);
  ctx.table<notes>().update(*note);
}
INTERSTICE_REDUCER(give, "id", "owner")

// The texts of the notes the asker may read, in id order.
std::vector<std::string> texts(interstice::ReducerContext& ctx) {
  std::vector<std::string> out;
  for (const Note& note : ctx.table<notes>().scan()) out.push_back(note.text);
  return out;
}
INTERSTICE_QUERY(texts)

uint64_t how_many(interstice::ReducerContext& ctx) {
  return ctx.table<notes>().count();
}
INTERSTICE_QUERY(how_many)
