//! The runtime benchmark's module in Rust, the same as the C++ one
//! (modules/bench/bench_module.cc): a no-op reducer, a single-row insert,
//! and a table with eight subscribers for fan-out. bench/runtime_bench
//! runs both and prints their figures side by side.
use std::sync::atomic::{AtomicU64, Ordering};

use interstice_sdk::*;

interstice_module!(visibility: Private);

#[table]
pub struct Entries {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub value: u64,
}

#[table]
pub struct Events {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub value: u64,
}

#[reducer]
pub fn noop(_ctx: ReducerContext) {}

#[reducer]
pub fn insert(ctx: ReducerContext, value: u64) -> Result<(), Status> {
    ctx.current.entries().insert(Entries { id: 0, value }).map(|_| ())
}

#[reducer]
pub fn emit(ctx: ReducerContext, value: u64) -> Result<(), Status> {
    ctx.current.events().insert(Events { id: 0, value }).map(|_| ())
}

static SEEN: AtomicU64 = AtomicU64::new(0);

macro_rules! subscribers {
    ($($name:ident),*) => {$(
        #[reducer(on = "bench.events.insert")]
        pub fn $name(_ctx: ReducerContext, row: Events) {
            SEEN.fetch_add(row.value, Ordering::Relaxed);
        }
    )*};
}
subscribers!(on_event_1, on_event_2, on_event_3, on_event_4, on_event_5, on_event_6, on_event_7, on_event_8);
