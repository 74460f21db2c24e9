//! The hello module in Rust, written as the original Interstice's users
//! write it: a greetings table, a `hello` reducer that inserts into it, an
//! `init` hook, and a subscription that logs every inserted greeting. It
//! behaves exactly like the C++ one (modules/hello).
use interstice_sdk::*;

interstice_module!(visibility: Public);

#[interstice_type]
pub struct TestCustomType {
    pub val: u32,
}

#[table(public)]
pub struct Greetings {
    #[primary_key(auto_inc)]
    pub id: u64,
    #[index(btree)]
    pub greeting: String,
    pub custom: TestCustomType,
}

#[reducer(on = "init")]
pub fn init(ctx: ReducerContext) {
    ctx.log("Hello world !");
}

#[reducer]
pub fn hello(ctx: ReducerContext, name: String) {
    if let Err(status) = ctx.current.greetings().insert(Greetings {
        id: 0,
        greeting: format!("Hello, {}!", name),
        custom: TestCustomType { val: 0 },
    }) {
        ctx.fail(format!("could not greet {name}: {status}"));
    }
}

#[reducer(on = "hello.greetings.insert")]
pub fn on_greeting_insert(ctx: ReducerContext, inserted_row: Greetings) {
    ctx.log(format!(
        "Inserted greeting: {{id: {}, greeting: \"{}\", custom: {{val: {}}}}}",
        inserted_row.id, inserted_row.greeting, inserted_row.custom.val
    ));
}
