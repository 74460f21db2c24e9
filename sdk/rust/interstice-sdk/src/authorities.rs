//! The authorities (docs/sdk.md, "Inside a reducer"; docs/abi.md,
//! "Authorities"): privileged host access, one module at a time. Each needs
//! `authorities: [File]` (or Gpu, Audio) in interstice_module! and the
//! operator's grant; without them a call gets NotPermitted. What the outside
//! world answers is recorded in the log, so replay sees the same.

use crate::codec::{from_bytes, to_bytes};
use crate::context::ReducerContext;
use crate::host;
use crate::interstice_type;
use crate::status::Status;

fn status(code: i32) -> Result<(), Status> {
    match Status::from_code(code as i64) {
        Status::Ok => Ok(()),
        other => Err(other),
    }
}

fn handle(value: i64) -> Result<u64, Status> {
    if value > 0 {
        Ok(value as u64)
    } else {
        Err(Status::from_code(-value))
    }
}

/// The File authority: this module's own directory on the node. Paths are
/// relative and '/'-separated; absolute paths, '.', '..' and symlinks get
/// PathRefused.
pub struct Files;

impl Files {
    pub fn read(&self, path: &str) -> Result<Vec<u8>, Status> {
        let n = unsafe { host::file_read(path.as_ptr(), path.len() as i32) };
        if n < 0 {
            return Err(Status::from_code(-(n as i64)));
        }
        Ok(host::read_result(n))
    }
    /// Creates or replaces the file (and its directories) atomically.
    pub fn write(&self, path: &str, data: impl AsRef<[u8]>) -> Result<(), Status> {
        let data = data.as_ref();
        status(unsafe {
            host::file_write(path.as_ptr(), path.len() as i32, data.as_ptr(), data.len() as i32)
        })
    }
    /// The names in a directory ("" is the module's own), sorted.
    pub fn list(&self, path: &str) -> Result<Vec<String>, Status> {
        let n = unsafe { host::file_list(path.as_ptr(), path.len() as i32) };
        if n < 0 {
            return Err(Status::from_code(-(n as i64)));
        }
        from_bytes(&host::read_result(n)).map_err(|_| Status::IoError)
    }
    /// Deletes a file, or an empty directory.
    pub fn remove(&self, path: &str) -> Result<(), Status> {
        status(unsafe { host::file_delete(path.as_ptr(), path.len() as i32) })
    }
}

/// A shader stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShaderStage {
    Vertex = 0,
    Fragment = 1,
    Compute = 2,
}

/// Buffer usages (combine with `|`).
pub mod usage {
    pub const VERTEX: i32 = 1;
    pub const UNIFORM: i32 = 2;
    pub const STORAGE: i32 = 4;
    pub const INDEX: i32 = 8;
}

/// A vertex attribute: format 0 float32, 1 float32x2, 2 float32x3, 3 float32x4.
#[interstice_type]
#[derive(Clone, Debug, Default)]
pub struct GpuAttribute {
    pub location: u32,
    pub format: u32,
    pub offset: u32,
}

/// A render pipeline into RGBA8 targets (abi::GpuPipelineDesc).
#[interstice_type]
#[derive(Clone, Debug, Default)]
pub struct GpuPipelineDesc {
    pub vertex_shader: u64,
    pub fragment_shader: u64,
    /// 0: no vertex buffer (positions from gl_VertexIndex).
    pub vertex_stride: u32,
    pub attributes: Vec<GpuAttribute>,
    pub uniform_buffers: u32,
    pub textures: u32,
    /// A pipeline layout's handle; 0 derives one.
    pub layout: u64,
    pub topology: u32,
    pub blend: u32,
    pub depth: u32,
}

/// One binding of a bind group layout: kind 0 uniform buffer, 1 storage
/// buffer, 2 sampled texture; visibility: 1 vertex, 2 fragment, 4 compute.
#[interstice_type]
#[derive(Clone, Debug, Default)]
pub struct GpuLayoutEntry {
    pub binding: u32,
    pub kind: u32,
    pub visibility: u32,
}

/// One resource of a bind group: a buffer, or a texture and its sampler.
#[interstice_type]
#[derive(Clone, Debug, Default)]
pub struct GpuBindGroupEntry {
    pub binding: u32,
    pub resource: u64,
    pub sampler: u64,
}

/// The Gpu authority: the WebGPU-shaped path (docs/sdk.md, "Gpu").
/// Creating calls return a handle, or the status that refused it.
pub struct Gpu;

impl Gpu {
    /// (width, height) of the surface.
    pub fn surface_size(&self) -> Result<(u32, u32), Status> {
        let v = unsafe { host::gpu_surface_size() };
        if v < 0 {
            return Err(Status::from_code(-v));
        }
        Ok(((v >> 32) as u32, v as u32))
    }
    pub fn shader(&self, stage: ShaderStage, glsl: &str) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_shader(stage as i32, glsl.as_ptr(), glsl.len() as i32) })
    }
    pub fn buffer(&self, size: u64, usage: i32) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_buffer(size as i64, usage) })
    }
    pub fn write(&self, buffer: u64, offset: u64, data: &[u8]) -> Result<(), Status> {
        status(unsafe {
            host::gpu_write_buffer(buffer as i64, offset as i64, data.as_ptr(), data.len() as i32)
        })
    }
    pub fn pipeline(&self, desc: &GpuPipelineDesc) -> Result<u64, Status> {
        let bytes = to_bytes(desc);
        handle(unsafe { host::gpu_create_pipeline(bytes.as_ptr(), bytes.len() as i32) })
    }
    pub fn bind_group_layout(&self, entries: &[GpuLayoutEntry]) -> Result<u64, Status> {
        let bytes = to_bytes(&entries.to_vec());
        handle(unsafe { host::gpu_create_bind_group_layout(bytes.as_ptr(), bytes.len() as i32) })
    }
    pub fn pipeline_layout(&self, bind_group_layouts: &[u64]) -> Result<u64, Status> {
        let bytes = to_bytes(&bind_group_layouts.to_vec());
        handle(unsafe { host::gpu_create_pipeline_layout(bytes.as_ptr(), bytes.len() as i32) })
    }
    pub fn bind_group_of_layout(&self, layout: u64, entries: &[GpuBindGroupEntry]) -> Result<u64, Status> {
        let bytes = to_bytes(&entries.to_vec());
        handle(unsafe {
            host::gpu_create_bind_group_with_layout(layout as i64, bytes.as_ptr(), bytes.len() as i32)
        })
    }
    pub fn command_encoder(&self) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_command_encoder() })
    }
    /// A render pass into `target` (a texture, or current_texture()),
    /// cleared to (r, g, b, a).
    pub fn begin_render_pass(&self, encoder: u64, target: u64, rgba: [f32; 4]) -> Result<u64, Status> {
        let [r, g, b, a] = rgba;
        handle(unsafe { host::gpu_begin_render_pass(encoder as i64, target as i64, r, g, b, a, 0) })
    }
    pub fn set_pipeline(&self, pass: u64, pipeline: u64) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_set_pipeline(pass as i64, pipeline as i64) })
    }
    pub fn set_bind_group(&self, pass: u64, index: u32, group: u64) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_set_bind_group(pass as i64, index as i32, group as i64) })
    }
    pub fn set_vertex_buffer(&self, pass: u64, buffer: u64) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_set_vertex_buffer(pass as i64, buffer as i64) })
    }
    pub fn pass_draw(&self, pass: u64, vertex_count: u32) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_draw(pass as i64, vertex_count as i32, 1, 0, 0) })
    }
    pub fn end_pass(&self, pass: u64) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_end(pass as i64) })
    }
    pub fn finish(&self, encoder: u64) -> Result<u64, Status> {
        handle(unsafe { host::gpu_encoder_finish(encoder as i64) })
    }
    pub fn submit(&self, command_buffers: &[u64]) -> Result<(), Status> {
        let bytes = to_bytes(&command_buffers.to_vec());
        status(unsafe { host::gpu_queue_submit(bytes.as_ptr(), bytes.len() as i32) })
    }
    /// The surface's texture of this frame, which present() shows.
    pub fn current_texture(&self) -> Result<u64, Status> {
        handle(unsafe { host::gpu_get_current_texture() })
    }
    pub fn present(&self) -> Result<(), Status> {
        status(unsafe { host::gpu_present() })
    }
    /// Immediate frames: begin_frame, draws, end_frame (`uniforms`: the
    /// pipeline's resources, or a bind group).
    pub fn begin_frame(&self, rgba: [f32; 4]) -> Result<(), Status> {
        let [r, g, b, a] = rgba;
        status(unsafe { host::gpu_begin_frame(r, g, b, a) })
    }
    pub fn draw(
        &self,
        pipeline: u64,
        vertex_buffer: u64,
        uniforms: &[u64],
        vertex_count: u32,
    ) -> Result<(), Status> {
        let bytes = to_bytes(&uniforms.to_vec());
        status(unsafe {
            host::gpu_draw(
                pipeline as i64,
                vertex_buffer as i64,
                bytes.as_ptr(),
                bytes.len() as i32,
                vertex_count as i32,
                1,
            )
        })
    }
    pub fn end_frame(&self) -> Result<(), Status> {
        status(unsafe { host::gpu_end_frame() })
    }
    /// A bind group of `pipeline`'s resources (as draw's `uniforms`).
    pub fn bind_group(&self, pipeline: u64, bindings: &[u64]) -> Result<u64, Status> {
        let bytes = to_bytes(&bindings.to_vec());
        handle(unsafe { host::gpu_create_bind_group(pipeline as i64, bytes.as_ptr(), bytes.len() as i32) })
    }
    /// The surface's pixel format (a VkFormat).
    pub fn surface_format(&self) -> i32 {
        unsafe { host::gpu_surface_format() }
    }
    /// An RGBA8 texture, written with write_texture.
    pub fn texture(&self, width: u32, height: u32) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_texture(width as i32, height as i32) })
    }
    pub fn write_texture(&self, texture: u64, rgba: &[u8]) -> Result<(), Status> {
        status(unsafe { host::gpu_write_texture(texture as i64, rgba.as_ptr(), rgba.len() as i32) })
    }
    /// A sampler: filter 0 nearest, 1 linear.
    pub fn sampler(&self, filter: i32) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_sampler(filter) })
    }
    /// A compute pipeline over `storage_buffers` storage buffers (set 0).
    pub fn compute_pipeline(&self, shader: u64, storage_buffers: u32) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_compute_pipeline(shader as i64, storage_buffers as i32) })
    }
    pub fn compute_pipeline_with_layout(&self, shader: u64, layout: u64) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_compute_pipeline_with_layout(shader as i64, layout as i64) })
    }
    /// Runs a compute pipeline to completion over `buffers`.
    pub fn dispatch(&self, pipeline: u64, buffers: &[u64], groups: [u32; 3]) -> Result<(), Status> {
        let bytes = to_bytes(&buffers.to_vec());
        let [x, y, z] = groups;
        status(unsafe {
            host::gpu_dispatch(
                pipeline as i64,
                bytes.as_ptr(),
                bytes.len() as i32,
                x as i32,
                y as i32,
                z as i32,
            )
        })
    }
    /// A buffer's bytes (recorded in the log, so replay reads the same).
    pub fn read(&self, buffer: u64, offset: u64, size: u32) -> Result<Vec<u8>, Status> {
        let n = unsafe { host::gpu_read_buffer(buffer as i64, offset as i64, size as i32) };
        if n < 0 {
            return Err(Status::from_code(-(n as i64)));
        }
        Ok(host::read_result(n))
    }
    pub fn pipeline_bind_group_layout(&self, pipeline: u64, index: u32) -> Result<u64, Status> {
        handle(unsafe { host::gpu_pipeline_bind_group_layout(pipeline as i64, index as i32) })
    }
    /// A depth attachment of the target's size, for begin_render_pass_depth.
    pub fn depth_texture(&self, width: u32, height: u32) -> Result<u64, Status> {
        handle(unsafe { host::gpu_create_depth_texture(width as i32, height as i32) })
    }
    /// A render pass with a depth attachment cleared to `depth_clear`;
    /// `load` keeps the target's pixels instead of clearing them.
    pub fn begin_render_pass_depth(
        &self,
        encoder: u64,
        target: u64,
        rgba: [f32; 4],
        load: bool,
        depth: u64,
        depth_clear: f32,
    ) -> Result<u64, Status> {
        let [r, g, b, a] = rgba;
        handle(unsafe {
            host::gpu_begin_render_pass_depth(
                encoder as i64,
                target as i64,
                r,
                g,
                b,
                a,
                load as i32,
                depth as i64,
                depth_clear,
            )
        })
    }
    pub fn begin_compute_pass(&self, encoder: u64) -> Result<u64, Status> {
        handle(unsafe { host::gpu_begin_compute_pass(encoder as i64) })
    }
    /// `format`: 0 u16 indices, 1 u32.
    pub fn set_index_buffer(&self, pass: u64, buffer: u64, format: i32) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_set_index_buffer(pass as i64, buffer as i64, format) })
    }
    pub fn pass_draw_indexed(&self, pass: u64, index_count: u32) -> Result<(), Status> {
        status(unsafe { host::gpu_pass_draw_indexed(pass as i64, index_count as i32, 1, 0, 0, 0) })
    }
    pub fn pass_dispatch(&self, pass: u64, groups: [u32; 3]) -> Result<(), Status> {
        let [x, y, z] = groups;
        status(unsafe { host::gpu_pass_dispatch(pass as i64, x as i32, y as i32, z as i32) })
    }
    pub fn copy_buffer(
        &self,
        encoder: u64,
        source: u64,
        source_offset: u64,
        destination: u64,
        destination_offset: u64,
        size: u64,
    ) -> Result<(), Status> {
        status(unsafe {
            host::gpu_encoder_copy_buffer(
                encoder as i64,
                source as i64,
                source_offset as i64,
                destination as i64,
                destination_offset as i64,
                size as i64,
            )
        })
    }
    /// Destroys an object nothing uses any more.
    pub fn release(&self, handle: u64) -> Result<(), Status> {
        status(unsafe { host::gpu_release(handle as i64) })
    }
}

/// The Audio authority: an output stream of interleaved f32 samples.
pub struct Audio;

impl Audio {
    pub fn open(&self, sample_rate: u32, channels: u32) -> Result<(), Status> {
        status(unsafe { host::audio_open(sample_rate as i32, channels as i32) })
    }
    pub fn push(&self, samples: &[f32]) -> Result<(), Status> {
        status(unsafe { host::audio_push(samples.as_ptr() as *const u8, (samples.len() * 4) as i32) })
    }
    /// The queued samples still play; then the stream closes.
    pub fn close(&self) -> Result<(), Status> {
        status(unsafe { host::audio_close() })
    }
    /// Starts recording (Unavailable without a capture device).
    pub fn open_capture(&self, sample_rate: u32, channels: u32) -> Result<(), Status> {
        status(unsafe { host::audio_capture_open(sample_rate as i32, channels as i32) })
    }
    /// Up to `max_samples` of what was captured since the last read, oldest
    /// first (recorded in the log, so replay hears the same).
    pub fn read_capture(&self, max_samples: u32) -> Result<Vec<f32>, Status> {
        let n = unsafe { host::audio_capture_read((max_samples * 4) as i32) };
        if n < 0 {
            return Err(Status::from_code(-(n as i64)));
        }
        let bytes = host::read_result(n);
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    pub fn close_capture(&self) -> Result<(), Status> {
        status(unsafe { host::audio_capture_close() })
    }
}

/// What the Input holder's `#[reducer(on = "input")]` receives
/// (abi::InputEvent): kind 0 key down, 1 key up (key: the SDL keycode),
/// 2 mouse move, 3 mouse down, 4 mouse up (x, y, button), 5 text, 6 resize
/// (width, height), 7 close.
#[interstice_type]
#[derive(Clone, Debug, Default)]
pub struct InputEvent {
    pub kind: u32,
    pub key: i32,
    pub x: i32,
    pub y: i32,
    pub button: u32,
    pub text: String,
    pub width: u32,
    pub height: u32,
}

/// InputEvent kinds.
pub mod input {
    pub const KEY_DOWN: u32 = 0;
    pub const KEY_UP: u32 = 1;
    pub const MOUSE_MOVE: u32 = 2;
    pub const MOUSE_DOWN: u32 = 3;
    pub const MOUSE_UP: u32 = 4;
    pub const TEXT: u32 = 5;
    pub const RESIZE: u32 = 6;
    pub const CLOSE: u32 = 7;
}

impl ReducerContext {
    pub fn files(&self) -> Files {
        Files
    }
    pub fn gpu(&self) -> Gpu {
        Gpu
    }
    pub fn audio(&self) -> Audio {
        Audio
    }
}
