//! The board test fixture in Rust, the same module as the C++ one
//! (modules/testkit/board.cc): a table with a view. A peer or client reads a
//! note only if it owns it or the note is for everyone; its queries read
//! through the asker's view.
use interstice_sdk::*;

interstice_module!(visibility: Public);

#[table(public, name = "notes", view = "owner = :reader OR owner = 'everyone'")]
pub struct Note {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub owner: String, // a reader's identity, or "everyone"
    pub text: String,
}

#[reducer]
pub fn post(ctx: ReducerContext, owner: String, text: String) -> Result<(), Status> {
    ctx.current
        .notes()
        .insert(Note { id: 0, owner, text })
        .map(|_| ())
}

#[reducer]
pub fn give(ctx: ReducerContext, id: u64, owner: String) -> Result<(), String> {
    let notes = ctx.current.notes();
    let mut note = notes.get(&id).ok_or(format!("no note {id}"))?;
    note.owner = owner;
    notes.update(note).map_err(|status| status.to_string())
}

/// The texts of the notes the asker may read, in id order.
#[query]
pub fn texts(ctx: ReducerContext) -> Vec<String> {
    ctx.current.notes().scan().map(|note| note.text).collect()
}

#[query]
pub fn how_many(ctx: ReducerContext) -> u64 {
    ctx.current.notes().count()
}
