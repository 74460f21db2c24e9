//! Version 0.6.0 of hello in Rust, the same as the C++ hello_v6: its
//! greetings change shape (the text is split into the salutation and the
//! name), which no default can do, so it declares a migration for each older
//! shape. A greeting of Mallory's cannot be migrated: the migration fails,
//! and the publish with it.
use interstice_sdk::*;

interstice_module!(name: "hello", visibility: Public);

#[table(public, name = "greetings")]
pub struct Greeting {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub salutation: String,
    pub name: String,
    pub language: String,
}

/// Every row migrated, by the version it came from.
#[table(public, name = "migrations")]
pub struct Migrated {
    #[primary_key]
    pub from: String,
    pub rows: u64,
}

#[interstice_type]
pub struct TestCustomType {
    pub val: u32,
}

/// The shape of 0.1.0's rows.
#[interstice_type]
pub struct Greetings {
    pub id: u64,
    pub greeting: String,
    pub custom: TestCustomType,
}

/// The shape of 0.5.0's rows.
#[interstice_type]
pub struct GreetingV5 {
    pub id: u64,
    pub greeting: String,
    pub custom: TestCustomType,
    pub language: String,
}

/// "Hello, Ann!" -> ("Hello", "Ann").
fn insert_split(ctx: &ReducerContext, id: u64, text: &str, language: &str, from: &str) -> Result<(), String> {
    let (salutation, rest) = text
        .split_once(", ")
        .ok_or(format!("greeting {id} has no comma"))?;
    let name = rest.trim_end_matches(['!', ' ']);
    if name == "Mallory" {
        return Err(format!("greeting {id} is Mallory's"));
    }
    let row = Greeting {
        id,
        salutation: salutation.to_string(),
        name: name.to_string(),
        language: language.to_string(),
    };
    ctx.current.greetings().insert(row).map_err(|s| s.to_string())?;
    let migrations = ctx.current.migrations();
    let key = from.to_string();
    match migrations.get(&key) {
        Some(mut count) => {
            count.rows += 1;
            migrations.update(count).map_err(|s| s.to_string())
        }
        None => migrations
            .insert(Migrated { from: key, rows: 1 })
            .map(|_| ())
            .map_err(|s| s.to_string()),
    }
}

#[migrate(table = "greetings", from = "<0.5.0")]
pub fn migrate_greetings(ctx: ReducerContext, old: Greetings) -> Result<(), String> {
    insert_split(&ctx, old.id, &old.greeting, "en", "0.1")
}

#[migrate(table = "greetings", from = "=0.5.0")]
pub fn migrate_greetings_v5(ctx: ReducerContext, old: GreetingV5) -> Result<(), String> {
    insert_split(&ctx, old.id, &old.greeting, &old.language, "0.5")
}

#[reducer]
pub fn hello(ctx: ReducerContext, name: String) -> Result<(), Status> {
    let row = Greeting {
        id: 0,
        salutation: "Hello".to_string(),
        name,
        language: "en".to_string(),
    };
    ctx.current.greetings().insert(row).map(|_| ())
}
