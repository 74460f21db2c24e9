use interstice_sdk::*;

#[callback]
pub fn done(ctx: ReducerContext, ok: bool) {
    let _ = (ctx, ok);
}

fn main() {}
