// The host <-> module contract: the names of the functions a module exports
// and the host functions it may import (module "interstice"), with the status
// codes they return. Shared by the runtime and the SDK; docs/abi.md, "Host
// calls", describes each one.
#pragma once

#include <cstdint>

namespace interstice::abi {

inline constexpr const char* kHostModule = "interstice";

// Exports of every Interstice module.
namespace exports {
// () -> i32: address of [u32 length][encoded ModuleSchema] in linear memory.
inline constexpr const char* kSchema = "__interstice_schema";
// (i32 size) -> i32: a buffer the host may write `size` bytes into.
inline constexpr const char* kAlloc = "__interstice_alloc";
// (i32 reducer, i32 args_ptr, i32 args_len) -> i32 status: runs a reducer
// with its arguments encoded as a tuple. 0 = ok, 1 = the reducer failed
// (message set with `fail`), 2 = undecodable arguments.
inline constexpr const char* kReducer = "__interstice_reducer";
// () -> (): static constructors (WASI reactor); called once after instantiation.
inline constexpr const char* kInitialize = "_initialize";
}  // namespace exports

// Host functions, imported from module "interstice".
namespace host {
inline constexpr const char* kLog = "log";              // (level, ptr, len)
inline constexpr const char* kFail = "fail";            // (ptr, len): the reducer's error
inline constexpr const char* kInsert = "table_insert";  // (table, ptr, len) -> i64
inline constexpr const char* kUpdate = "table_update";  // (table, ptr, len) -> i32
inline constexpr const char* kDelete = "table_delete";  // (table, key_ptr, key_len) -> i32
inline constexpr const char* kGet = "table_get";        // (table, key_ptr, key_len) -> i32
inline constexpr const char* kCount = "table_count";    // (table) -> i64
inline constexpr const char* kScan = "table_scan";      // (table, index, lo.., hi..) -> i32
inline constexpr const char* kNext = "iter_next";       // (iter) -> i32
inline constexpr const char* kClose = "iter_close";     // (iter)
inline constexpr const char* kRead = "result_read";     // (dst_ptr)
inline constexpr const char* kTime = "tx_timestamp";    // () -> i64 microseconds
inline constexpr const char* kRandom = "tx_random";     // () -> i64
inline constexpr const char* kCaller = "tx_caller";     // () -> i32 (result: the caller's name)
// (module_ptr, module_len, reducer_ptr, reducer_len, args_ptr, args_len) -> i32
// status: queues a call of another reducer, run after this transaction commits.
inline constexpr const char* kCall = "call_reducer";
// (alias_ptr, alias_len, module_ptr, module_len, reducer_ptr, reducer_len, args_ptr,
//  args_len, callback_ptr, callback_len) -> i64 call id, or -status: queues a call of
// a reducer on the remote node `alias` (declared in the schema's nodes), sent after
// this transaction commits; its outcome runs `callback(call_id, ok, error)`.
inline constexpr const char* kCallNode = "call_node";
// (alias_ptr, alias_len, module_ptr, module_len, query_ptr, query_len, args_ptr,
//  args_len, callback_ptr, callback_len, timeout_ms) -> i64 call id, or -status: asks
// a query of a module on the remote node `alias`, sent after this transaction
// commits; its outcome runs `callback(call_id, ok, error, value)` (value: an
// optional of the query's result), with ok false and "timed out" if no answer
// came within `timeout_ms` (1 to kMaxQueryTimeoutMs) of the transaction's time.
inline constexpr const char* kQueryNode = "query_node";
inline constexpr uint32_t kMaxQueryTimeoutMs = 3'600'000;
// (module_ptr, module_len, query_ptr, query_len, args_ptr, args_len) -> i32 length
// (result: the encoded value), or -status: asks a query of a module on this
// node's same executor (a dependency), inside this transaction.
inline constexpr const char* kQueryCall = "query_call";
// (ptr, len): a query's return value, encoded.
inline constexpr const char* kQueryReturn = "query_return";
// The File authority (docs/abi.md, "Authorities"): paths are relative to the
// module's own directory.
// (path_ptr, path_len) -> i32 length (result: the bytes), or -status
inline constexpr const char* kFileRead = "file_read";
// (path_ptr, path_len, data_ptr, data_len) -> i32 status
inline constexpr const char* kFileWrite = "file_write";
// (path_ptr, path_len) -> i32 length (result: vector<string>, encoded), or -status
inline constexpr const char* kFileList = "file_list";
// (path_ptr, path_len) -> i32 status
inline constexpr const char* kFileDelete = "file_delete";
// The Gpu authority (docs/abi.md, "Gpu"). Handles are i64 > 0; failures are -status.
inline constexpr const char* kGpuSurfaceSize = "gpu_surface_size";  // () -> i64 (w << 32 | h)
// (stage, src_ptr, src_len) -> i64 shader handle
inline constexpr const char* kGpuCreateShader = "gpu_create_shader";
// (size: i64, usage) -> i64 buffer handle
inline constexpr const char* kGpuCreateBuffer = "gpu_create_buffer";
// (buffer: i64, offset: i64, ptr, len) -> i32 status
inline constexpr const char* kGpuWriteBuffer = "gpu_write_buffer";
// (desc_ptr, desc_len: an encoded GpuPipelineDesc) -> i64 pipeline handle
inline constexpr const char* kGpuCreatePipeline = "gpu_create_pipeline";
// (r, g, b, a: f32) -> i32 status: begins a frame cleared to that colour
inline constexpr const char* kGpuBeginFrame = "gpu_begin_frame";
// (pipeline: i64, vertex_buffer: i64 or 0, uniforms_ptr, uniforms_len (encoded
//  vector<u64>), vertex_count, instance_count) -> i32 status
inline constexpr const char* kGpuDraw = "gpu_draw";
inline constexpr const char* kGpuEndFrame = "gpu_end_frame";  // () -> i32 status
// (width, height) -> i64 texture handle (RGBA8, sampled)
inline constexpr const char* kGpuCreateTexture = "gpu_create_texture";
// (texture: i64, ptr, len: width * height * 4) -> i32 status
inline constexpr const char* kGpuWriteTexture = "gpu_write_texture";
// (filter: 0 nearest, 1 linear) -> i64 sampler handle
inline constexpr const char* kGpuCreateSampler = "gpu_create_sampler";
// (pipeline: i64, bindings_ptr, bindings_len (encoded vector<u64>)) -> i64 bind group
inline constexpr const char* kGpuCreateBindGroup = "gpu_create_bind_group";
// () -> i32: the surface's pixel format (0: RGBA8 unorm, the only one)
inline constexpr const char* kGpuSurfaceFormat = "gpu_surface_format";
// (shader: i64, storage_buffers) -> i64 compute pipeline handle
inline constexpr const char* kGpuCreateCompute = "gpu_create_compute_pipeline";
// (pipeline: i64, buffers_ptr, buffers_len (encoded vector<u64>), x, y, z) -> i32 status
inline constexpr const char* kGpuDispatch = "gpu_dispatch";
// (buffer: i64, offset: i64, size) -> i32 length (result: the bytes), or -status
inline constexpr const char* kGpuReadBuffer = "gpu_read_buffer";
// Explicit layouts. (entries_ptr, len: encoded vector<GpuLayoutEntry>) -> i64
inline constexpr const char* kGpuCreateBindGroupLayout = "gpu_create_bind_group_layout";
// (layouts_ptr, len: encoded vector<u64> of bind group layouts) -> i64
inline constexpr const char* kGpuCreatePipelineLayout = "gpu_create_pipeline_layout";
// (pipeline: i64, index) -> i64 bind group layout
inline constexpr const char* kGpuPipelineBindGroupLayout = "gpu_pipeline_bind_group_layout";
// (layout: i64, entries_ptr, len: encoded vector<GpuBindGroupEntry>) -> i64
inline constexpr const char* kGpuCreateBindGroupWithLayout = "gpu_create_bind_group_with_layout";
// (shader: i64, layout: i64) -> i64 compute pipeline
inline constexpr const char* kGpuCreateComputeWithLayout =
    "gpu_create_compute_pipeline_with_layout";
// Command encoders. () -> i64 encoder
inline constexpr const char* kGpuCreateCommandEncoder = "gpu_create_command_encoder";
// (encoder: i64, target: i64 texture, r, g, b, a: f32, load: i32) -> i64 pass
inline constexpr const char* kGpuBeginRenderPass = "gpu_begin_render_pass";
// (encoder: i64, target: i64, r, g, b, a: f32, load, depth: i64, depth_clear: f32) -> i64 pass
inline constexpr const char* kGpuBeginRenderPassDepth = "gpu_begin_render_pass_depth";
// (width, height) -> i64 depth texture
inline constexpr const char* kGpuCreateDepthTexture = "gpu_create_depth_texture";
// (encoder: i64) -> i64 pass
inline constexpr const char* kGpuBeginComputePass = "gpu_begin_compute_pass";
// (pass: i64, pipeline: i64) -> i32 status
inline constexpr const char* kGpuPassSetPipeline = "gpu_pass_set_pipeline";
// (pass: i64, index, bind_group: i64) -> i32 status
inline constexpr const char* kGpuPassSetBindGroup = "gpu_pass_set_bind_group";
// (pass: i64, buffer: i64) -> i32 status
inline constexpr const char* kGpuPassSetVertexBuffer = "gpu_pass_set_vertex_buffer";
// (pass: i64, buffer: i64, format: 0 u16 / 1 u32) -> i32 status
inline constexpr const char* kGpuPassSetIndexBuffer = "gpu_pass_set_index_buffer";
// (pass: i64, index_count, instance_count, first_index, base_vertex, first_instance) -> i32
inline constexpr const char* kGpuPassDrawIndexed = "gpu_pass_draw_indexed";
// (pass: i64, vertex_count, instance_count, first_vertex, first_instance) -> i32 status
inline constexpr const char* kGpuPassDraw = "gpu_pass_draw";
// (pass: i64, x, y, z) -> i32 status
inline constexpr const char* kGpuPassDispatch = "gpu_pass_dispatch";
inline constexpr const char* kGpuPassEnd = "gpu_pass_end";  // (pass: i64) -> i32 status
// (encoder: i64, source: i64, source_offset: i64, destination: i64,
//  destination_offset: i64, size: i64) -> i32 status
inline constexpr const char* kGpuEncoderCopyBuffer = "gpu_encoder_copy_buffer";
// (encoder: i64) -> i64 command buffer
inline constexpr const char* kGpuEncoderFinish = "gpu_encoder_finish";
// (buffers_ptr, len: encoded vector<u64> of command buffers) -> i32 status
inline constexpr const char* kGpuQueueSubmit = "gpu_queue_submit";
// () -> i64 the surface's texture for this frame
inline constexpr const char* kGpuCurrentTexture = "gpu_get_current_texture";
inline constexpr const char* kGpuPresent = "gpu_present";  // () -> i32 status
// (handle: i64) -> i32 status: destroys one object of the module
inline constexpr const char* kGpuRelease = "gpu_release";
// The Audio authority: one output stream of f32 samples, interleaved.
// (sample_rate, channels) -> i32 status (Unavailable: no audio device)
inline constexpr const char* kAudioOpen = "audio_open";
// (samples_ptr, byte_len) -> i32 status
inline constexpr const char* kAudioPush = "audio_push";
inline constexpr const char* kAudioClose = "audio_close";  // () -> i32 status
// (sample_rate, channels) -> i32 status (Unavailable: no capture device)
inline constexpr const char* kAudioCaptureOpen = "audio_capture_open";
// (max_bytes) -> i32 length (result: f32 samples, oldest first), or -status
inline constexpr const char* kAudioCaptureRead = "audio_capture_read";
inline constexpr const char* kAudioCaptureClose = "audio_capture_close";  // () -> i32 status
}  // namespace host

// Status codes returned (negated where the call returns a length or value).
enum class Status : int32_t {
  Ok = 0,
  NotFound = 1,          // no row with that key
  DuplicateKey = 2,      // primary key or unique index already present
  InvalidRow = 3,        // bytes are not a valid row of the table
  NoSuchTable = 4,       //
  NoSuchIndex = 5,       //
  NoSuchIterator = 6,    //
  BadPointer = 7,        // pointer/length outside linear memory
  NotInTransaction = 8,  // table calls outside a reducer
  NoSuchModule = 9,      // call_reducer: no module of that name is loaded
  NoSuchReducer = 10,    // call_reducer: the module has no such reducer
  BadArguments = 11,     // call_reducer: the arguments do not match its parameters
  NoSuchNode = 12,       // call_node: the alias is not among the schema's nodes
  NotPermitted = 13,     // no authority for this call, or a reducer modules may not call
  Unavailable = 14,      // the node has no back-end for this authority
  PathRefused = 15,      // file: absolute, '..', or leaving the module's directory
  IoError = 16,          // file: the host's file system failed
  NoFrame = 17,          // gpu: a draw or end_frame without begin_frame (or a second begin)
  InvalidHandle = 18,    // gpu: not a live handle of this module, or of the wrong kind
  ShaderError = 19,      // gpu: the shader did not compile (the message is logged)
  GpuError = 20,         // gpu: the device failed or refused (the message is logged)
  SurfaceOutdated = 21,  // gpu: the surface texture was presented or resized; take the new one
  QuotaExceeded = 22,    // file: the directory's quota; tables: their memory limit; calls: too many
  ReadOnly = 23,         // a query tried to write a table or call a reducer
  QueryFailed = 24,      // query_call: the query failed (the node logs why)
};

enum class LogLevel : int32_t { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

}  // namespace interstice::abi
