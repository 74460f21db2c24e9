//! The graphics example in Rust, behaving exactly like the C++ one
//! (modules/graphics): it holds Gpu and Input; every frame (`render`) it
//! draws a triangle in the current colour on a dark blue background, a key
//! press cycles the colour, and every input event is logged. The pipeline is
//! built on the first frame after a (re)start: GPU handles belong to the
//! running node, so they live in an ephemeral table. It uses the
//! WebGPU-shaped path: a bind group layout and pipeline layout, a bind
//! group, and per frame a command encoder with one render pass into the
//! surface's current texture, submitted and presented.
use interstice_sdk::*;

interstice_module!(visibility: Private, authorities: [Gpu, Input]);

#[table(ephemeral)]
pub struct Scene {
    #[primary_key]
    pub id: u32,
    pub pipeline: i64,
    pub color_buffer: i64,
    pub bind_group: i64,
}

/// Which colour the triangle has: logged, so it survives restarts.
#[table]
pub struct Look {
    #[primary_key]
    pub id: u32,
    pub color: u32,
}

const COLORS: [[f32; 4]; 3] = [
    [1.0, 0.5, 0.0, 1.0], // orange
    [0.0, 0.8, 0.2, 1.0], // green
    [0.9, 0.1, 0.6, 1.0], // magenta
];

const VERTEX_SHADER: &str = r#"#version 450
vec2 positions[3] = vec2[](vec2(0.0, -0.5), vec2(0.5, 0.5), vec2(-0.5, 0.5));
void main() { gl_Position = vec4(positions[gl_VertexIndex], 0.0, 1.0); }
"#;

const FRAGMENT_SHADER: &str = r#"#version 450
layout(set = 0, binding = 0) uniform Color { vec4 color; };
layout(location = 0) out vec4 out_color;
void main() { out_color = color; }
"#;

fn build_scene(ctx: &ReducerContext) -> Result<Scene, String> {
    let gpu = ctx.gpu();
    let failed = |what: &str, status: Status| format!("could not create {what} (status {})", status as i32);
    let vs = gpu
        .shader(ShaderStage::Vertex, VERTEX_SHADER)
        .map_err(|s| failed("the shaders", s))?;
    let fs = gpu
        .shader(ShaderStage::Fragment, FRAGMENT_SHADER)
        .map_err(|s| failed("the shaders", s))?;
    let color = gpu
        .buffer(16, usage::UNIFORM)
        .map_err(|s| failed("the colour buffer", s))?;
    // One uniform buffer (the colour) at binding 0, seen by the fragment stage.
    let pipeline = (|| {
        let layout = gpu.bind_group_layout(&[GpuLayoutEntry {
            binding: 0,
            kind: 0,
            visibility: 2,
        }])?;
        let pipeline_layout = gpu.pipeline_layout(&[layout])?;
        let group = gpu.bind_group_of_layout(
            layout,
            &[GpuBindGroupEntry {
                binding: 0,
                resource: color,
                sampler: 0,
            }],
        )?;
        let desc = GpuPipelineDesc {
            vertex_shader: vs,
            fragment_shader: fs,
            layout: pipeline_layout,
            ..Default::default()
        };
        Ok::<_, Status>((gpu.pipeline(&desc)?, group))
    })();
    let (pipeline, group) = pipeline.map_err(|s| failed("the pipeline", s))?;
    let scene = Scene {
        id: 0,
        pipeline: pipeline as i64,
        color_buffer: color as i64,
        bind_group: group as i64,
    };
    let stored = ctx.current.scene().insert(scene).map_err(|s| s.to_string())?;
    ctx.log("pipeline ready");
    Ok(stored)
}

fn current_color(ctx: &ReducerContext) -> u32 {
    ctx.current.look().get(&0).map(|look| look.color).unwrap_or(0)
}

#[reducer(on = "render")]
pub fn on_render(ctx: ReducerContext, frame: u64) {
    let scene = match ctx.current.scene().get(&0) {
        Some(scene) => scene,
        None => match build_scene(&ctx) {
            Ok(scene) => scene,
            Err(why) => return ctx.log_at(LogLevel::Error, why),
        },
    };
    let gpu = ctx.gpu();
    let color: Vec<u8> = COLORS[(current_color(&ctx) % 3) as usize]
        .iter()
        .flat_map(|c| c.to_le_bytes())
        .collect();
    let drawn = (|| {
        gpu.write(scene.color_buffer as u64, 0, &color)?;
        let encoder = gpu.command_encoder()?;
        let pass = gpu.begin_render_pass(encoder, gpu.current_texture()?, [0.05, 0.05, 0.2, 1.0])?;
        gpu.set_pipeline(pass, scene.pipeline as u64)?;
        gpu.set_bind_group(pass, 0, scene.bind_group as u64)?;
        gpu.pass_draw(pass, 3)?;
        gpu.end_pass(pass)?;
        gpu.submit(&[gpu.finish(encoder)?])?;
        gpu.present()
    })();
    if let Err(status) = drawn {
        ctx.log_at(
            LogLevel::Error,
            format!("frame {frame} failed: status {}", status as i32),
        );
    }
}

#[reducer(on = "input")]
pub fn on_input(ctx: ReducerContext, event: InputEvent) {
    match event.kind {
        input::KEY_DOWN => {
            let next = (current_color(&ctx) + 1) % 3;
            let looks = ctx.current.look();
            let done = if looks.get(&0).is_some() {
                looks.update(Look { id: 0, color: next })
            } else {
                looks.insert(Look { id: 0, color: next }).map(|_| ())
            };
            if let Err(status) = done {
                ctx.fail(format!("could not change the colour: {status}"));
            }
            ctx.log(format!("key {} down: colour {next}", event.key));
        }
        input::MOUSE_DOWN => ctx.log(format!(
            "mouse button {} at {},{}",
            event.button, event.x, event.y
        )),
        input::RESIZE => ctx.log(format!("window resized to {}x{}", event.width, event.height)),
        input::CLOSE => ctx.log("window closed"),
        kind => ctx.log(format!("input event {kind}")),
    }
}
