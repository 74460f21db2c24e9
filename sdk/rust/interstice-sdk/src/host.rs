//! The host functions a module imports (docs/abi.md, "Host calls"), in
//! import module `interstice`. Internal: modules use ReducerContext. Built
//! for anything but wasm32 (the SDK's own tests), they panic: there is no
//! node to call.
#![allow(dead_code)]

macro_rules! host_functions {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        #[cfg(target_arch = "wasm32")]
        #[link(wasm_import_module = "interstice")]
        extern "C" {
            $(pub fn $name($($arg: $ty),*) $(-> $ret)?;)*
        }
        $(
            #[cfg(not(target_arch = "wasm32"))]
            #[allow(unused_variables)]
            pub unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
                panic!(concat!("the host call ", stringify!($name), " exists only inside an Interstice node"))
            }
        )*
    };
}

host_functions! {
    fn log(level: i32, ptr: *const u8, len: i32);
    fn fail(ptr: *const u8, len: i32);
    fn table_insert(table: i32, row: *const u8, len: i32) -> i64;
    fn table_update(table: i32, row: *const u8, len: i32) -> i32;
    fn table_delete(table: i32, key: *const u8, len: i32) -> i32;
    fn table_get(table: i32, key: *const u8, len: i32) -> i32;
    fn table_count(table: i32) -> i64;
    fn table_scan(table: i32, index: i32, lo: *const u8, lo_len: i32, hi: *const u8, hi_len: i32,
                  flags: i32) -> i32;
    fn iter_next(iter: i32) -> i32;
    fn iter_close(iter: i32);
    fn result_read(dst: *mut u8);
    fn tx_timestamp() -> i64;
    fn tx_random() -> i64;
    fn tx_caller() -> i32;
    fn call_reducer(module: *const u8, module_len: i32, reducer: *const u8, reducer_len: i32,
                    args: *const u8, args_len: i32) -> i32;
    fn query_call(module: *const u8, module_len: i32, query: *const u8, query_len: i32,
                  args: *const u8, args_len: i32) -> i32;
    fn query_return(ptr: *const u8, len: i32);
    fn call_node(alias: *const u8, alias_len: i32, module: *const u8, module_len: i32,
                 reducer: *const u8, reducer_len: i32, args: *const u8, args_len: i32,
                 callback: *const u8, callback_len: i32) -> i64;
    fn query_node(alias: *const u8, alias_len: i32, module: *const u8, module_len: i32,
                  query: *const u8, query_len: i32, args: *const u8, args_len: i32,
                  callback: *const u8, callback_len: i32, timeout_ms: u32) -> i64;
    fn file_read(path: *const u8, path_len: i32) -> i32;
    fn file_write(path: *const u8, path_len: i32, data: *const u8, data_len: i32) -> i32;
    fn file_list(path: *const u8, path_len: i32) -> i32;
    fn file_delete(path: *const u8, path_len: i32) -> i32;
    fn gpu_surface_size() -> i64;
    fn gpu_create_shader(stage: i32, src: *const u8, src_len: i32) -> i64;
    fn gpu_create_buffer(size: i64, usage: i32) -> i64;
    fn gpu_write_buffer(buffer: i64, offset: i64, data: *const u8, len: i32) -> i32;
    fn gpu_create_pipeline(desc: *const u8, desc_len: i32) -> i64;
    fn gpu_create_bind_group_layout(entries: *const u8, len: i32) -> i64;
    fn gpu_create_pipeline_layout(layouts: *const u8, len: i32) -> i64;
    fn gpu_create_bind_group_with_layout(layout: i64, entries: *const u8, len: i32) -> i64;
    fn gpu_create_command_encoder() -> i64;
    fn gpu_begin_render_pass(encoder: i64, target: i64, r: f32, g: f32, b: f32, a: f32, load: i32) -> i64;
    fn gpu_pass_set_pipeline(pass: i64, pipeline: i64) -> i32;
    fn gpu_pass_set_bind_group(pass: i64, index: i32, group: i64) -> i32;
    fn gpu_pass_set_vertex_buffer(pass: i64, buffer: i64) -> i32;
    fn gpu_pass_draw(pass: i64, vertex_count: i32, instance_count: i32, first_vertex: i32,
                     first_instance: i32) -> i32;
    fn gpu_pass_end(pass: i64) -> i32;
    fn gpu_encoder_finish(encoder: i64) -> i64;
    fn gpu_queue_submit(buffers: *const u8, len: i32) -> i32;
    fn gpu_get_current_texture() -> i64;
    fn gpu_present() -> i32;
    fn gpu_release(handle: i64) -> i32;
    fn gpu_begin_frame(r: f32, g: f32, b: f32, a: f32) -> i32;
    fn gpu_draw(pipeline: i64, vertex_buffer: i64, uniforms: *const u8, uniforms_len: i32, vertex_count: i32,
                instance_count: i32) -> i32;
    fn gpu_end_frame() -> i32;
    fn gpu_create_bind_group(pipeline: i64, bindings: *const u8, len: i32) -> i64;
    fn gpu_surface_format() -> i32;
    fn gpu_create_texture(width: i32, height: i32) -> i64;
    fn gpu_write_texture(texture: i64, rgba: *const u8, len: i32) -> i32;
    fn gpu_create_sampler(filter: i32) -> i64;
    fn gpu_create_compute_pipeline(shader: i64, storage_buffers: i32) -> i64;
    fn gpu_dispatch(pipeline: i64, buffers: *const u8, buffers_len: i32, x: i32, y: i32, z: i32) -> i32;
    fn gpu_read_buffer(buffer: i64, offset: i64, size: i32) -> i32;
    fn gpu_pipeline_bind_group_layout(pipeline: i64, index: i32) -> i64;
    fn gpu_create_compute_pipeline_with_layout(shader: i64, layout: i64) -> i64;
    fn gpu_begin_render_pass_depth(encoder: i64, target: i64, r: f32, g: f32, b: f32, a: f32, load: i32,
                                   depth: i64, depth_clear: f32) -> i64;
    fn gpu_create_depth_texture(width: i32, height: i32) -> i64;
    fn gpu_begin_compute_pass(encoder: i64) -> i64;
    fn gpu_pass_set_index_buffer(pass: i64, buffer: i64, format: i32) -> i32;
    fn gpu_pass_draw_indexed(pass: i64, index_count: i32, instance_count: i32, first_index: i32,
                             base_vertex: i32, first_instance: i32) -> i32;
    fn gpu_pass_dispatch(pass: i64, x: i32, y: i32, z: i32) -> i32;
    fn gpu_encoder_copy_buffer(encoder: i64, source: i64, source_offset: i64, destination: i64,
                               destination_offset: i64, size: i64) -> i32;
    fn audio_capture_open(rate: i32, channels: i32) -> i32;
    fn audio_capture_read(max_bytes: i32) -> i32;
    fn audio_capture_close() -> i32;
    fn audio_open(rate: i32, channels: i32) -> i32;
    fn audio_push(samples: *const u8, len: i32) -> i32;
    fn audio_close() -> i32;
}

/// The current result (what table_get, iter_next, tx_caller... produced),
/// `length` bytes of it.
pub fn read_result(length: i32) -> Vec<u8> {
    let mut out = vec![0u8; length.max(0) as usize];
    unsafe { result_read(out.as_mut_ptr()) };
    out
}

/// Stops the module here: a trap (the node rolls the call back).
pub fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort()
}
