// Test fixture: mirrors the notes of node Board's board.notes that this
// node may read (the view) into its own table, and asks Board's queries.
#include <interstice/sdk.h>

#include "board_types.h"

INTERSTICE_MODULE(board_reader, "0.1.0", interstice::Visibility::Private)
INTERSTICE_NODE("Board", "127.0.0.1:1")
INTERSTICE_TABLE(mirror, Note, primary_key(&Note::id), public_table())

void on_insert(interstice::ReducerContext& ctx, Note note) {
  ctx.table<mirror>().insert(note);
}
INTERSTICE_SUBSCRIBE(on_insert, "Board.board.notes.insert", "note")

// A resumed subscription reads changes back from Board's log, which holds
// only the new row of an update: a note that entered the view meanwhile
// comes as an update of a row this mirror does not hold.
void on_update(interstice::ReducerContext& ctx, Note old_note, Note note) {
  if (ctx.table<mirror>().get(note.id))
    ctx.table<mirror>().update(note);
  else
    ctx.table<mirror>().insert(note);
}
INTERSTICE_SUBSCRIBE(on_update, "Board.board.notes.update", "old", "note")

void on_delete(interstice::ReducerContext& ctx, Note note) {
  ctx.table<mirror>().remove(note.id);
}
INTERSTICE_SUBSCRIBE(on_delete, "Board.board.notes.delete", "note")
