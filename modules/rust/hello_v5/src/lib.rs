//! Version 0.5.0 of hello in Rust, the same as the C++ hello_v5: its
//! greetings gain a `language` column, declared with a default. Publishing
//! it over 0.1.0 (C++ or Rust) keeps every greeting, each with language
//! "en", and indexes the new column.
use interstice_sdk::*;

interstice_module!(name: "hello", visibility: Public);

#[interstice_type]
pub struct TestCustomType {
    pub val: u32,
}

#[table(public, name = "greetings")]
pub struct Greeting {
    #[primary_key(auto_inc)]
    pub id: u64,
    #[index(btree)]
    pub greeting: String,
    pub custom: TestCustomType,
    #[index(btree)]
    #[default(String::from("en"))]
    pub language: String,
}

fn greet(ctx: &ReducerContext, greeting: String, language: &str) -> Result<(), Status> {
    let row = Greeting {
        id: 0,
        greeting,
        custom: TestCustomType { val: 5 },
        language: language.to_string(),
    };
    ctx.current.greetings().insert(row).map(|_| ())
}

#[reducer]
pub fn hello(ctx: ReducerContext, name: String) -> Result<(), Status> {
    greet(&ctx, format!("Hello, {name}!"), "en")
}

#[reducer]
pub fn bonjour(ctx: ReducerContext, name: String) -> Result<(), Status> {
    greet(&ctx, format!("Bonjour, {name} !"), "fr")
}
