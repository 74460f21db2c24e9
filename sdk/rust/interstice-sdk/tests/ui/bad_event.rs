use interstice_sdk::*;

#[reducer(on = "hello.greetings.grow")]
pub fn on_grow(ctx: ReducerContext) {
    ctx.log("never");
}

fn main() {}
