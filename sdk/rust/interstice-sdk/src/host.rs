//! The host functions a module imports (docs/abi.md, "Host calls"), in
//! import module `interstice`. Internal: modules use ReducerContext.
#![allow(dead_code)]

#[link(wasm_import_module = "interstice")]
extern "C" {
    pub fn log(level: i32, ptr: *const u8, len: i32);
    pub fn fail(ptr: *const u8, len: i32);
    pub fn table_insert(table: i32, row: *const u8, len: i32) -> i64;
    pub fn table_update(table: i32, row: *const u8, len: i32) -> i32;
    pub fn table_delete(table: i32, key: *const u8, len: i32) -> i32;
    pub fn table_get(table: i32, key: *const u8, len: i32) -> i32;
    pub fn table_count(table: i32) -> i64;
    pub fn table_scan(
        table: i32,
        index: i32,
        lo: *const u8,
        lo_len: i32,
        hi: *const u8,
        hi_len: i32,
        flags: i32,
    ) -> i32;
    pub fn iter_next(iter: i32) -> i32;
    pub fn iter_close(iter: i32);
    pub fn result_read(dst: *mut u8);
    pub fn tx_timestamp() -> i64;
    pub fn tx_random() -> i64;
    pub fn tx_caller() -> i32;
    pub fn call_reducer(
        module: *const u8,
        module_len: i32,
        reducer: *const u8,
        reducer_len: i32,
        args: *const u8,
        args_len: i32,
    ) -> i32;
    pub fn query_call(
        module: *const u8,
        module_len: i32,
        query: *const u8,
        query_len: i32,
        args: *const u8,
        args_len: i32,
    ) -> i32;
    pub fn query_return(ptr: *const u8, len: i32);
    pub fn call_node(
        alias: *const u8,
        alias_len: i32,
        module: *const u8,
        module_len: i32,
        reducer: *const u8,
        reducer_len: i32,
        args: *const u8,
        args_len: i32,
        callback: *const u8,
        callback_len: i32,
    ) -> i64;
    pub fn query_node(
        alias: *const u8,
        alias_len: i32,
        module: *const u8,
        module_len: i32,
        query: *const u8,
        query_len: i32,
        args: *const u8,
        args_len: i32,
        callback: *const u8,
        callback_len: i32,
        timeout_ms: u32,
    ) -> i64;
}

/// The current result (what table_get, iter_next, tx_caller... produced),
/// `length` bytes of it.
pub fn read_result(length: i32) -> Vec<u8> {
    let mut out = vec![0u8; length.max(0) as usize];
    unsafe { result_read(out.as_mut_ptr()) };
    out
}
