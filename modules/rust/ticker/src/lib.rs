//! The ticker test fixture in Rust, the same module as the C++ one
//! (modules/testkit/ticker.cc): each row of the scheduled table `ticks`
//! fires on_tick at its time, once or every period, and on_tick records the
//! firing in `fired` with the transaction's timestamp (the time it was due).
//! A tick labelled "fail" fails every time. `loads` gets a row on every load.
use interstice_sdk::*;

interstice_module!(visibility: Public);

#[table(public, name = "ticks", scheduled = "on_tick")]
pub struct Tick {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub at: ScheduleAt,
    pub label: String,
}

#[table(public, name = "fired")]
pub struct Fired {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub label: String,
    pub due_us: i64,       // the row's time when it fired
    pub timestamp_us: i64, // the transaction's
}

#[table(public, name = "loads")]
pub struct Load {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub timestamp_us: i64,
}

#[reducer]
pub fn on_tick(ctx: ReducerContext, tick: Tick) -> Result<(), String> {
    if tick.label == "fail" {
        return Err("the tick labelled fail always fails".to_string());
    }
    let fired = Fired {
        id: 0,
        label: tick.label,
        due_us: tick.at.at_us,
        timestamp_us: ctx.timestamp(),
    };
    ctx.current
        .fired()
        .insert(fired)
        .map(|_| ())
        .map_err(|s| s.to_string())
}

/// Fires `label` once, `delay_us` from now.
#[reducer]
pub fn once(ctx: ReducerContext, label: String, delay_us: i64) -> Result<(), Status> {
    let at = ScheduleAt::once(ctx.timestamp() + delay_us);
    ctx.current.ticks().insert(Tick { id: 0, at, label }).map(|_| ())
}

/// Fires `label` every `period_us`, the first time a period from now.
#[reducer]
pub fn every(ctx: ReducerContext, label: String, period_us: i64) -> Result<(), Status> {
    let at = ScheduleAt::every(ctx.timestamp() + period_us, period_us);
    ctx.current.ticks().insert(Tick { id: 0, at, label }).map(|_| ())
}

/// Cancels every tick labelled `label`: a schedule is a row.
#[reducer]
pub fn cancel(ctx: ReducerContext, label: String) {
    let ticks = ctx.current.ticks();
    let doomed: Vec<u64> = ticks.scan().filter(|t| t.label == label).map(|t| t.id).collect();
    for id in doomed {
        ticks.delete(&id);
    }
}

#[reducer(on = "load")]
pub fn on_load(ctx: ReducerContext) -> Result<(), Status> {
    ctx.current
        .loads()
        .insert(Load {
            id: 0,
            timestamp_us: ctx.timestamp(),
        })
        .map(|_| ())
}
