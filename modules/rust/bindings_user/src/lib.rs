//! Test fixture built against bindings that `interstice generate --lang rust`
//! made from hello.wasm (src/hello_bindings.rs; a test checks that the
//! generator still makes exactly that file): it calls hello through the
//! typed Local binding on init, and subscribes to hello's greetings with the
//! generated row type, logging each one. It mirrors the C++ bindings_user.
use interstice_sdk::*;

#[rustfmt::skip] // generated: kept exactly as the generator writes it
pub mod hello_bindings;

interstice_module!(visibility: Private, dependencies: [("hello", "^0.1.0")]);

#[reducer(on = "init")]
pub fn init(ctx: ReducerContext) {
    let status = hello_bindings::Local { ctx: &ctx }.hello("bindings".to_string());
    ctx.log(if status.is_ok() {
        "called hello"
    } else {
        "could not call hello"
    });
}

#[reducer(on = "hello.greetings.insert")]
pub fn on_greeting(ctx: ReducerContext, row: hello_bindings::Greetings) {
    ctx.log(format!("greeting #{}: {}", row.id, row.greeting));
}
