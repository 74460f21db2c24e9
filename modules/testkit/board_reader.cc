// Test fixture: mirrors the notes of node Board's board.notes that this
// node may read (the view) into its own table, and asks Board's queries
// remotely; their answers land in `answers`. Nowhere is a node that never
// answers (nothing listens there).
#include <interstice/sdk.h>

#include <optional>

#include "board_bindings.h"  // generated from board.wasm by `interstice bindings`
#include "board_types.h"

INTERSTICE_MODULE(board_reader, "0.1.0", interstice::Visibility::Private)
INTERSTICE_NODE("Board", "127.0.0.1:1")
INTERSTICE_NODE("Nowhere", "127.0.0.1:1")
INTERSTICE_TABLE(mirror, Note, primary_key(&Note::id), public_table())

struct Answer {
  uint64_t call_id = 0;
  std::string question;
  bool ok = false;
  std::string error;  // "waiting" until the outcome comes
  std::vector<std::string> texts;
  INTERSTICE_TYPE(Answer, call_id, question, ok, error, texts)
};
INTERSTICE_TABLE(answers, Answer, primary_key(&Answer::call_id), public_table())

void remember(interstice::ReducerContext& ctx, uint64_t call_id, std::string question) {
  if (call_id == 0) ctx.fail("could not ask " + question);
  ctx.table<answers>().insert(Answer{call_id, std::move(question), false, "waiting", {}});
}

// Asks `node` for the texts of the notes this node may read (through the
// generated bindings).
void ask(interstice::ReducerContext& ctx, std::string node, uint32_t timeout_ms) {
  remember(ctx, board_bindings::Remote{ctx, node, "answered"}.texts(timeout_ms), node + " texts");
}
INTERSTICE_REDUCER(ask, "node", "timeout_ms")

// Asks a query whose value (a u64) is not what `answered` takes.
void ask_wrong(interstice::ReducerContext& ctx) {
  remember(ctx, ctx.query_node("Board", "board", "how_many", "answered", 5000), "how_many");
}
INTERSTICE_REDUCER(ask_wrong)

// Asks a reducer as if it were a query: the peer refuses.
void ask_reducer(interstice::ReducerContext& ctx) {
  remember(ctx,
           ctx.query_node("Board", "board", "post", "answered", 5000, std::string("x"),
                          std::string("y")),
           "post");
}
INTERSTICE_REDUCER(ask_reducer)

void answered(interstice::ReducerContext& ctx, uint64_t call_id, bool ok, std::string error,
              std::optional<std::vector<std::string>> texts) {
  auto answer = ctx.table<answers>().get(call_id);
  if (!answer) ctx.fail("an answer to a question never asked");
  answer->ok = ok;
  answer->error = std::move(error);
  answer->texts = texts.value_or(std::vector<std::string>{});
  ctx.table<answers>().update(*answer);
}
INTERSTICE_CALLBACK(answered, "call_id", "ok", "error", "texts")

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
