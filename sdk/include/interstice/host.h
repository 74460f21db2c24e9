// The host functions an Interstice module imports (docs/abi.md, "Host calls").
// Internal to the SDK: modules use ReducerContext and Table instead. The C
// names carry a prefix so that they cannot clash with libc (log, ...).
#pragma once

#include <cstdint>

#define INTERSTICE_HOST_IMPORT(name) __attribute__((import_module("interstice"), import_name(name)))

namespace interstice::sdk::host {
extern "C" {
INTERSTICE_HOST_IMPORT("log") void ihost_log(int32_t level, const void* ptr, int32_t len);
INTERSTICE_HOST_IMPORT("fail") void ihost_fail(const void* ptr, int32_t len);
INTERSTICE_HOST_IMPORT("table_insert")
int64_t ihost_table_insert(int32_t table, const void* row, int32_t len);
INTERSTICE_HOST_IMPORT("table_update")
int32_t ihost_table_update(int32_t table, const void* row, int32_t len);
INTERSTICE_HOST_IMPORT("table_delete")
int32_t ihost_table_delete(int32_t table, const void* key, int32_t len);
INTERSTICE_HOST_IMPORT("table_get")
int32_t ihost_table_get(int32_t table, const void* key, int32_t len);
INTERSTICE_HOST_IMPORT("table_count") int64_t ihost_table_count(int32_t table);
INTERSTICE_HOST_IMPORT("table_scan")
int32_t ihost_table_scan(int32_t table, int32_t index, const void* lo, int32_t lo_len,
                         const void* hi, int32_t hi_len, int32_t flags);
INTERSTICE_HOST_IMPORT("iter_next") int32_t ihost_iter_next(int32_t iter);
INTERSTICE_HOST_IMPORT("iter_close") void ihost_iter_close(int32_t iter);
INTERSTICE_HOST_IMPORT("result_read") void ihost_result_read(void* dst);
INTERSTICE_HOST_IMPORT("tx_timestamp") int64_t ihost_tx_timestamp();
INTERSTICE_HOST_IMPORT("tx_random") int64_t ihost_tx_random();
INTERSTICE_HOST_IMPORT("tx_caller") int32_t ihost_tx_caller();
INTERSTICE_HOST_IMPORT("call_node")
int64_t ihost_call_node(const void* alias, int32_t alias_len, const void* module,
                        int32_t module_len, const void* reducer, int32_t reducer_len,
                        const void* args, int32_t args_len, const void* callback,
                        int32_t callback_len);
INTERSTICE_HOST_IMPORT("query_node")
int64_t ihost_query_node(const void* alias, int32_t alias_len, const void* module,
                         int32_t module_len, const void* query, int32_t query_len, const void* args,
                         int32_t args_len, const void* callback, int32_t callback_len,
                         uint32_t timeout_ms);
INTERSTICE_HOST_IMPORT("file_read") int32_t ihost_file_read(const void* path, int32_t path_len);
INTERSTICE_HOST_IMPORT("file_write")
int32_t ihost_file_write(const void* path, int32_t path_len, const void* data, int32_t data_len);
INTERSTICE_HOST_IMPORT("file_list") int32_t ihost_file_list(const void* path, int32_t path_len);
INTERSTICE_HOST_IMPORT("file_delete")
int32_t ihost_file_delete(const void* path, int32_t path_len);
INTERSTICE_HOST_IMPORT("gpu_surface_size") int64_t ihost_gpu_surface_size();
INTERSTICE_HOST_IMPORT("gpu_create_shader")
int64_t ihost_gpu_create_shader(int32_t stage, const void* src, int32_t src_len);
INTERSTICE_HOST_IMPORT("gpu_create_buffer")
int64_t ihost_gpu_create_buffer(int64_t size, int32_t usage);
INTERSTICE_HOST_IMPORT("gpu_write_buffer")
int32_t ihost_gpu_write_buffer(int64_t buffer, int64_t offset, const void* data, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_create_pipeline")
int64_t ihost_gpu_create_pipeline(const void* desc, int32_t desc_len);
INTERSTICE_HOST_IMPORT("gpu_begin_frame")
int32_t ihost_gpu_begin_frame(float r, float g, float b, float a);
INTERSTICE_HOST_IMPORT("gpu_draw")
int32_t ihost_gpu_draw(int64_t pipeline, int64_t vertex_buffer, const void* uniforms,
                       int32_t uniforms_len, int32_t vertex_count, int32_t instance_count);
INTERSTICE_HOST_IMPORT("gpu_end_frame") int32_t ihost_gpu_end_frame();
INTERSTICE_HOST_IMPORT("gpu_create_bind_group")
int64_t ihost_gpu_create_bind_group(int64_t pipeline, const void* bindings, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_surface_format") int32_t ihost_gpu_surface_format();
INTERSTICE_HOST_IMPORT("gpu_create_texture")
int64_t ihost_gpu_create_texture(int32_t width, int32_t height);
INTERSTICE_HOST_IMPORT("gpu_write_texture")
int32_t ihost_gpu_write_texture(int64_t texture, const void* rgba, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_create_sampler") int64_t ihost_gpu_create_sampler(int32_t filter);
INTERSTICE_HOST_IMPORT("gpu_create_compute_pipeline")
int64_t ihost_gpu_create_compute_pipeline(int64_t shader, int32_t storage_buffers);
INTERSTICE_HOST_IMPORT("gpu_dispatch")
int32_t ihost_gpu_dispatch(int64_t pipeline, const void* buffers, int32_t buffers_len, int32_t x,
                           int32_t y, int32_t z);
INTERSTICE_HOST_IMPORT("gpu_read_buffer")
int32_t ihost_gpu_read_buffer(int64_t buffer, int64_t offset, int32_t size);
INTERSTICE_HOST_IMPORT("gpu_create_bind_group_layout")
int64_t ihost_gpu_create_bind_group_layout(const void* entries, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_create_pipeline_layout")
int64_t ihost_gpu_create_pipeline_layout(const void* layouts, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_pipeline_bind_group_layout")
int64_t ihost_gpu_pipeline_bind_group_layout(int64_t pipeline, int32_t index);
INTERSTICE_HOST_IMPORT("gpu_create_bind_group_with_layout")
int64_t ihost_gpu_create_bind_group_with_layout(int64_t layout, const void* entries, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_create_compute_pipeline_with_layout")
int64_t ihost_gpu_create_compute_pipeline_with_layout(int64_t shader, int64_t layout);
INTERSTICE_HOST_IMPORT("gpu_create_command_encoder") int64_t ihost_gpu_create_command_encoder();
INTERSTICE_HOST_IMPORT("gpu_begin_render_pass")
int64_t ihost_gpu_begin_render_pass(int64_t encoder, int64_t target, float r, float g, float b,
                                    float a, int32_t load);
INTERSTICE_HOST_IMPORT("gpu_begin_render_pass_depth")
int64_t ihost_gpu_begin_render_pass_depth(int64_t encoder, int64_t target, float r, float g,
                                          float b, float a, int32_t load, int64_t depth,
                                          float depth_clear);
INTERSTICE_HOST_IMPORT("gpu_create_depth_texture")
int64_t ihost_gpu_create_depth_texture(int32_t width, int32_t height);
INTERSTICE_HOST_IMPORT("gpu_begin_compute_pass")
int64_t ihost_gpu_begin_compute_pass(int64_t encoder);
INTERSTICE_HOST_IMPORT("gpu_pass_set_pipeline")
int32_t ihost_gpu_pass_set_pipeline(int64_t pass, int64_t pipeline);
INTERSTICE_HOST_IMPORT("gpu_pass_set_bind_group")
int32_t ihost_gpu_pass_set_bind_group(int64_t pass, int32_t index, int64_t group);
INTERSTICE_HOST_IMPORT("gpu_pass_set_vertex_buffer")
int32_t ihost_gpu_pass_set_vertex_buffer(int64_t pass, int64_t buffer);
INTERSTICE_HOST_IMPORT("gpu_pass_set_index_buffer")
int32_t ihost_gpu_pass_set_index_buffer(int64_t pass, int64_t buffer, int32_t format);
INTERSTICE_HOST_IMPORT("gpu_pass_draw_indexed")
int32_t ihost_gpu_pass_draw_indexed(int64_t pass, int32_t index_count, int32_t instance_count,
                                    int32_t first_index, int32_t base_vertex,
                                    int32_t first_instance);
INTERSTICE_HOST_IMPORT("gpu_pass_draw")
int32_t ihost_gpu_pass_draw(int64_t pass, int32_t vertex_count, int32_t instance_count,
                            int32_t first_vertex, int32_t first_instance);
INTERSTICE_HOST_IMPORT("gpu_pass_dispatch")
int32_t ihost_gpu_pass_dispatch(int64_t pass, int32_t x, int32_t y, int32_t z);
INTERSTICE_HOST_IMPORT("gpu_pass_end") int32_t ihost_gpu_pass_end(int64_t pass);
INTERSTICE_HOST_IMPORT("gpu_encoder_copy_buffer")
int32_t ihost_gpu_encoder_copy_buffer(int64_t encoder, int64_t source, int64_t source_offset,
                                      int64_t destination, int64_t destination_offset,
                                      int64_t size);
INTERSTICE_HOST_IMPORT("gpu_encoder_finish") int64_t ihost_gpu_encoder_finish(int64_t encoder);
INTERSTICE_HOST_IMPORT("gpu_queue_submit")
int32_t ihost_gpu_queue_submit(const void* buffers, int32_t len);
INTERSTICE_HOST_IMPORT("gpu_get_current_texture") int64_t ihost_gpu_get_current_texture();
INTERSTICE_HOST_IMPORT("gpu_present") int32_t ihost_gpu_present();
INTERSTICE_HOST_IMPORT("gpu_release") int32_t ihost_gpu_release(int64_t handle);
INTERSTICE_HOST_IMPORT("audio_open") int32_t ihost_audio_open(int32_t rate, int32_t channels);
INTERSTICE_HOST_IMPORT("audio_push") int32_t ihost_audio_push(const void* samples, int32_t len);
INTERSTICE_HOST_IMPORT("audio_close") int32_t ihost_audio_close();
INTERSTICE_HOST_IMPORT("audio_capture_open")
int32_t ihost_audio_capture_open(int32_t rate, int32_t channels);
INTERSTICE_HOST_IMPORT("audio_capture_read") int32_t ihost_audio_capture_read(int32_t max_bytes);
INTERSTICE_HOST_IMPORT("audio_capture_close") int32_t ihost_audio_capture_close();
INTERSTICE_HOST_IMPORT("call_reducer")
int32_t ihost_call_reducer(const void* module, int32_t module_len, const void* reducer,
                           int32_t reducer_len, const void* args, int32_t args_len);
INTERSTICE_HOST_IMPORT("query_call")
int32_t ihost_query_call(const void* module, int32_t module_len, const void* query,
                         int32_t query_len, const void* args, int32_t args_len);
INTERSTICE_HOST_IMPORT("query_return") void ihost_query_return(const void* value, int32_t len);
}
}  // namespace interstice::sdk::host
