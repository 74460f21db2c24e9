//! What a reducer sees: `ctx.current` (its module's tables, through the
//! accessors #[table] generates), the transaction's recorded inputs, logging,
//! failure, and calls to other modules, local and remote.

use crate::codec::{from_bytes, to_bytes, Decode, Encode};
use crate::host;
use crate::status::Status;

/// The calling module's tables: `ctx.current.greetings()` (the accessor
/// traits that #[table] generates are implemented on it).
#[derive(Clone, Copy, Default)]
pub struct Current;

/// Log levels (abi::LogLevel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// The context of one reducer call.
#[derive(Clone, Copy, Default)]
pub struct ReducerContext {
    pub current: Current,
}

fn text(s: &str) -> (*const u8, i32) {
    (s.as_ptr(), s.len() as i32)
}

impl ReducerContext {
    /// The context of the call in progress (the macros make one per call).
    pub fn new() -> Self {
        ReducerContext { current: Current }
    }

    /// A log record tagged with the module and reducer, at info level.
    pub fn log(&self, message: impl AsRef<str>) {
        self.log_at(LogLevel::Info, message);
    }
    pub fn log_at(&self, level: LogLevel, message: impl AsRef<str>) {
        let (ptr, len) = text(message.as_ref());
        unsafe { host::log(level as i32, ptr, len) };
    }

    /// Fails the reducer: its writes are rolled back, its calls dropped, and
    /// `why` is the error the caller sees.
    pub fn fail(&self, why: impl AsRef<str>) -> ! {
        let (ptr, len) = text(why.as_ref());
        unsafe { host::fail(ptr, len) };
        host::trap()
    }

    /// The transaction's timestamp, in microseconds since the epoch (a
    /// recorded input: the same on every replay).
    pub fn timestamp(&self) -> i64 {
        unsafe { host::tx_timestamp() }
    }

    /// The next value of the transaction's deterministic random stream.
    pub fn random(&self) -> u64 {
        unsafe { host::tx_random() as u64 }
    }

    /// Who called: a module of this node, a peer's node id, `client:<key>`,
    /// `client:anonymous`, or "" for the node itself (init, subscriptions).
    pub fn caller(&self) -> String {
        let length = unsafe { host::tx_caller() };
        String::from_utf8(host::read_result(length)).unwrap_or_default()
    }

    /// Queues `module.reducer(args)` (args: a tuple) to run after this
    /// transaction commits; whether the target exists and takes them.
    pub fn call<A: Encode>(&self, module: &str, reducer: &str, args: A) -> Status {
        let bytes = to_bytes(&args);
        let (m, ml) = text(module);
        let (r, rl) = text(reducer);
        Status::from_code(
            unsafe { host::call_reducer(m, ml, r, rl, bytes.as_ptr(), bytes.len() as i32) } as i64,
        )
    }

    /// Asks `module.query(args)` on this node's executor (a dependency) at
    /// once, inside this transaction; its value, or why there is none.
    pub fn query<R: Decode, A: Encode>(&self, module: &str, query: &str, args: A) -> Result<R, Status> {
        let bytes = to_bytes(&args);
        let (m, ml) = text(module);
        let (q, ql) = text(query);
        let length = unsafe { host::query_call(m, ml, q, ql, bytes.as_ptr(), bytes.len() as i32) };
        if length < 0 {
            return Err(Status::from_code(-(length as i64)));
        }
        from_bytes(&host::read_result(length)).map_err(|_| Status::BadArguments)
    }

    /// Queues `module.reducer(args)` on the remote node `node` (declared in
    /// interstice_module!'s `nodes`), sent after commit: the call id, or 0
    /// if the node or callback is unknown. The outcome runs
    /// `callback(ctx, call_id: u64, ok: bool, error: String)` (#[callback]).
    pub fn call_node<A: Encode>(
        &self,
        node: &str,
        module: &str,
        reducer: &str,
        callback: &str,
        args: A,
    ) -> u64 {
        let bytes = to_bytes(&args);
        let (n, nl) = text(node);
        let (m, ml) = text(module);
        let (r, rl) = text(reducer);
        let (c, cl) = text(callback);
        let id = unsafe { host::call_node(n, nl, m, ml, r, rl, bytes.as_ptr(), bytes.len() as i32, c, cl) };
        id.max(0) as u64
    }

    /// Asks `module.query(args)` of the remote node `node` after commit: the
    /// call id, or 0. The answer, or "timed out" after `timeout_ms`, runs
    /// `callback(ctx, call_id, ok, error, value: Option<R>)` (#[callback]).
    pub fn query_node<A: Encode>(
        &self,
        node: &str,
        module: &str,
        query: &str,
        callback: &str,
        timeout_ms: u32,
        args: A,
    ) -> u64 {
        let bytes = to_bytes(&args);
        let (n, nl) = text(node);
        let (m, ml) = text(module);
        let (q, ql) = text(query);
        let (c, cl) = text(callback);
        let id = unsafe {
            host::query_node(
                n,
                nl,
                m,
                ml,
                q,
                ql,
                bytes.as_ptr(),
                bytes.len() as i32,
                c,
                cl,
                timeout_ms,
            )
        };
        id.max(0) as u64
    }
}

/// What a reducer may return: nothing, or a Result whose error fails it.
pub trait ReducerOutcome {
    /// None on success, else the failure message.
    fn failure(self) -> Option<String>;
}

impl ReducerOutcome for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<E: core::fmt::Display> ReducerOutcome for Result<(), E> {
    fn failure(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

/// Reports a reducer's outcome to the node: 0 done, 1 failed (the message
/// through `fail`).
pub fn finish(outcome: impl ReducerOutcome) -> i32 {
    match outcome.failure() {
        None => 0,
        Some(why) => {
            let (ptr, len) = text(&why);
            unsafe { host::fail(ptr, len) };
            1
        }
    }
}

/// Hands a query's value to the node.
pub fn return_value<T: Encode>(value: &T) -> i32 {
    let bytes = to_bytes(value);
    unsafe { host::query_return(bytes.as_ptr(), bytes.len() as i32) };
    0
}
