// The narrow interfaces behind privileged host calls. The runtime checks that
// the calling module holds the authority, then hands the call to the
// back-end the node plugged in (src/authority/*); without one, the call
// reports Status::Unavailable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "abi/gpu.h"
#include "abi/host_calls.h"
#include "abi/serialize.h"
#include "runtime/transaction.h"

namespace interstice::runtime {

// Why a back-end call failed: the status the module sees, and a message the
// runtime logs at debug level.
struct AuthorityError {
  abi::Status status;
  std::string message;
};

// The File authority: each module's own directory. Paths are relative, '/'
// separated; the back-end refuses anything that would leave the directory.
class FileBackend {
 public:
  virtual ~FileBackend() = default;
  virtual bool read(std::string_view module, std::string_view path, Bytes* data,
                    AuthorityError* error) = 0;
  // Replaces the file atomically (a crash leaves the old or the new bytes).
  virtual bool write(std::string_view module, std::string_view path, ByteView data,
                     AuthorityError* error) = 0;
  // The names in a directory ("" is the module's own), sorted.
  virtual bool list(std::string_view module, std::string_view path, std::vector<std::string>* names,
                    AuthorityError* error) = 0;
  virtual bool remove(std::string_view module, std::string_view path, AuthorityError* error) = 0;
};

// The Gpu authority, a small handle-based API modelled on WebGPU (docs/abi.md,
// "Gpu"). Handles are per module, positive, and never reused; every failure
// is an AuthorityError for the module, never an abort of the node.
using abi::GpuAttribute;
using abi::GpuPipelineDesc;

class GpuBackend {
 public:
  virtual ~GpuBackend() = default;
  virtual uint32_t width() const = 0;
  virtual uint32_t height() const = 0;
  // stage: 0 vertex, 1 fragment, 2 compute; `source` is GLSL, or SPIR-V
  // (by its magic).
  virtual uint64_t create_shader(std::string_view module, uint32_t stage, ByteView source,
                                 AuthorityError* error) = 0;
  // usage: 1 vertex, 2 uniform, 4 storage, 8 index (bits).
  virtual uint64_t create_buffer(std::string_view module, uint64_t size, uint32_t usage,
                                 AuthorityError* error) = 0;
  virtual bool write_buffer(std::string_view module, uint64_t buffer, uint64_t offset,
                            ByteView data, AuthorityError* error) = 0;
  virtual uint64_t create_pipeline(std::string_view module, const GpuPipelineDesc& desc,
                                   AuthorityError* error) = 0;
  // Compute: a pipeline over `storage_buffers` storage buffers (set 0,
  // bindings 0..n-1); a dispatch runs to completion before it returns.
  virtual uint64_t create_compute_pipeline(std::string_view module, uint64_t shader,
                                           uint32_t storage_buffers, AuthorityError* error) = 0;
  virtual bool dispatch(std::string_view module, uint64_t pipeline,
                        const std::vector<uint64_t>& buffers, uint32_t x, uint32_t y, uint32_t z,
                        AuthorityError* error) = 0;
  // Copies [offset, offset + size) of a buffer out (after a dispatch, say).
  virtual bool read_buffer(std::string_view module, uint64_t buffer, uint64_t offset, uint64_t size,
                           Bytes* data, AuthorityError* error) = 0;
  // A frame: begin (clearing to the colour), draws, end (submitted, and the
  // pixels become the frame's image).
  virtual bool begin_frame(std::string_view module, const float clear[4],
                           AuthorityError* error) = 0;
  // RGBA8 textures to sample, and samplers (filter: 0 nearest, 1 linear).
  virtual uint64_t create_texture(std::string_view module, uint32_t width, uint32_t height,
                                  AuthorityError* error) = 0;
  // Replaces all of a texture's pixels (width * height * 4 bytes, top row first).
  virtual bool write_texture(std::string_view module, uint64_t texture, ByteView rgba,
                             AuthorityError* error) = 0;
  virtual uint64_t create_sampler(std::string_view module, uint32_t filter,
                                  AuthorityError* error) = 0;
  // A bind group: a pipeline's resources (as `bindings` below), bound once.
  virtual uint64_t create_bind_group(std::string_view module, uint64_t pipeline,
                                     const std::vector<uint64_t>& bindings,
                                     AuthorityError* error) = 0;
  // `bindings`: one buffer per uniform binding of the pipeline, in order, then
  // a (texture, sampler) pair per texture binding; or one bind group made for
  // this pipeline.
  virtual bool draw(std::string_view module, uint64_t pipeline, uint64_t vertex_buffer,
                    const std::vector<uint64_t>& bindings, uint32_t vertex_count,
                    uint32_t instance_count, AuthorityError* error) = 0;
  virtual bool end_frame(std::string_view module, AuthorityError* error) = 0;

  // Explicit layouts: bind group layouts, pipeline layouts over them (set
  // index = position), bind groups made for a layout, and the layouts of a
  // pipeline (a derived one included).
  virtual uint64_t create_bind_group_layout(std::string_view module,
                                            const std::vector<abi::GpuLayoutEntry>& entries,
                                            AuthorityError* error) = 0;
  virtual uint64_t create_pipeline_layout(std::string_view module,
                                          const std::vector<uint64_t>& bind_group_layouts,
                                          AuthorityError* error) = 0;
  virtual uint64_t pipeline_bind_group_layout(std::string_view module, uint64_t pipeline,
                                              uint32_t index, AuthorityError* error) = 0;
  virtual uint64_t create_bind_group_with_layout(std::string_view module, uint64_t layout,
                                                 const std::vector<abi::GpuBindGroupEntry>& entries,
                                                 AuthorityError* error) = 0;
  virtual uint64_t create_compute_pipeline_with_layout(std::string_view module, uint64_t shader,
                                                       uint64_t layout, AuthorityError* error) = 0;

  // Command encoders (WebGPU's model). An encoder records passes one at a
  // time (begin, commands, end) and buffer copies between them; finish makes
  // a command buffer, and submit runs command buffers in order, to
  // completion, each once. A render pass targets a texture or the surface's
  // current texture, cleared to `clear` or (load) keeping its pixels, and
  // optionally a depth texture (`depth` 0: none) of the same size.
  virtual uint64_t create_command_encoder(std::string_view module, AuthorityError* error) = 0;
  virtual uint64_t begin_render_pass(std::string_view module, uint64_t encoder, uint64_t target,
                                     const float clear[4], bool load, uint64_t depth,
                                     float depth_clear, AuthorityError* error) = 0;
  // A depth texture (32-bit float): only ever a render pass's depth
  // attachment, which the pass clears to its depth_clear value; pipelines
  // with a depth test run only in passes that have one.
  virtual uint64_t create_depth_texture(std::string_view module, uint32_t width, uint32_t height,
                                        AuthorityError* error) = 0;
  virtual uint64_t begin_compute_pass(std::string_view module, uint64_t encoder,
                                      AuthorityError* error) = 0;
  virtual bool set_pipeline(std::string_view module, uint64_t pass, uint64_t pipeline,
                            AuthorityError* error) = 0;
  virtual bool set_bind_group(std::string_view module, uint64_t pass, uint32_t index,
                              uint64_t group, AuthorityError* error) = 0;
  virtual bool set_vertex_buffer(std::string_view module, uint64_t pass, uint64_t buffer,
                                 AuthorityError* error) = 0;
  // An index buffer (usage bit 8): format 0 uint16, 1 uint32.
  virtual bool set_index_buffer(std::string_view module, uint64_t pass, uint64_t buffer,
                                uint32_t format, AuthorityError* error) = 0;
  virtual bool pass_draw_indexed(std::string_view module, uint64_t pass, uint32_t index_count,
                                 uint32_t instance_count, uint32_t first_index, int32_t base_vertex,
                                 uint32_t first_instance, AuthorityError* error) = 0;
  virtual bool pass_draw(std::string_view module, uint64_t pass, uint32_t vertex_count,
                         uint32_t instance_count, uint32_t first_vertex, uint32_t first_instance,
                         AuthorityError* error) = 0;
  virtual bool pass_dispatch(std::string_view module, uint64_t pass, uint32_t x, uint32_t y,
                             uint32_t z, AuthorityError* error) = 0;
  virtual bool end_pass(std::string_view module, uint64_t pass, AuthorityError* error) = 0;
  virtual bool copy_buffer(std::string_view module, uint64_t encoder, uint64_t source,
                           uint64_t source_offset, uint64_t destination,
                           uint64_t destination_offset, uint64_t size, AuthorityError* error) = 0;
  virtual uint64_t finish_encoder(std::string_view module, uint64_t encoder,
                                  AuthorityError* error) = 0;
  virtual bool submit(std::string_view module, const std::vector<uint64_t>& command_buffers,
                      AuthorityError* error) = 0;
  // The surface's texture for this frame (the same handle until present or
  // a resize, after which using it is SurfaceOutdated); present shows it.
  virtual uint64_t current_texture(std::string_view module, AuthorityError* error) = 0;
  virtual bool present(std::string_view module, AuthorityError* error) = 0;
  // Destroys one object of the module: refused (GpuError) while another
  // live object or a recorded command uses it, or (NoFrame) while the
  // module's immediate frame is open. Dropping an encoder drops its passes.
  virtual bool release(std::string_view module, uint64_t handle, AuthorityError* error) = 0;
  // Destroys every object of the module (it was unloaded).
  virtual void release_all(std::string_view module) = 0;
  // The window changed size: the surface follows (between transactions).
  virtual bool resize(uint32_t width, uint32_t height, std::string* why) = 0;
  // Drops a frame left open (its reducer failed, or never ended it).
  virtual void abandon_frame() = 0;
  // The last finished frame: RGBA8, width * height * 4 bytes, top row first.
  virtual const std::vector<uint8_t>& frame() const = 0;
  virtual uint64_t frames() const = 0;
};

// The Audio authority: one output stream of 32-bit float samples,
// interleaved by channel. Having no audio device is a normal condition:
// open reports it as Unavailable.
class AudioBackend {
 public:
  virtual ~AudioBackend() = default;
  virtual bool open(std::string_view module, uint32_t sample_rate, uint32_t channels,
                    AuthorityError* error) = 0;
  // Queues samples for playback (at most a few seconds ahead).
  virtual bool push(std::string_view module, ByteView samples, AuthorityError* error) = 0;
  // Plays what is queued, then closes the stream.
  virtual bool close(std::string_view module, AuthorityError* error) = 0;

  // Capture: one input stream of 32-bit float samples, interleaved by
  // channel (Unavailable where there is no capture device). What is captured
  // waits for read_capture, at most a few seconds of it (older samples are
  // dropped first).
  virtual bool open_capture(std::string_view module, uint32_t sample_rate, uint32_t channels,
                            AuthorityError* error) = 0;
  // Takes up to `max_bytes` (whole frames) of what was captured, oldest first.
  virtual bool read_capture(std::string_view module, uint32_t max_bytes, Bytes* samples,
                            AuthorityError* error) = 0;
  virtual bool close_capture(std::string_view module, AuthorityError* error) = 0;
};

}  // namespace interstice::runtime
