//! Test fixture, the same as the C++ compute_user: doubles 64 numbers on the
//! Gpu with a compute shader and logs their sum (2 * (0 + 1 + … + 63) = 4032
//! when it works).
use interstice_sdk::*;

interstice_module!(visibility: Private, authorities: [Gpu]);

/// Each run's sum, so that replay must reproduce what the Gpu computed.
#[table]
pub struct Sums {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub sum: u32,
}

const SHADER: &str = r#"#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) buffer Numbers { uint values[]; };
void main() { values[gl_GlobalInvocationID.x] *= 2u; }"#;

#[reducer]
pub fn double_all(ctx: ReducerContext) {
    let gpu = ctx.gpu();
    let setup = (|| {
        let shader = gpu.shader(ShaderStage::Compute, SHADER)?;
        let numbers = gpu.buffer(64 * 4, usage::STORAGE)?;
        Ok::<_, Status>((numbers, gpu.compute_pipeline(shader, 1)?))
    })();
    let (numbers, pipeline) = match setup {
        Ok(handles) => handles,
        Err(status) => return ctx.log(format!("setup failed: -{}", status as i32)),
    };
    let values: Vec<u8> = (0u32..64).flat_map(|v| v.to_le_bytes()).collect();
    let doubled = gpu
        .write(numbers, 0, &values)
        .and_then(|_| gpu.dispatch(pipeline, &[numbers], [1, 1, 1]))
        .and_then(|_| gpu.read(numbers, 0, 64 * 4));
    let bytes = match doubled {
        Ok(bytes) => bytes,
        Err(status) => return ctx.log(format!("dispatch: status {}", status as i32)),
    };
    let sum: u32 = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .sum();
    if let Err(status) = ctx.current.sums().insert(Sums { id: 0, sum }) {
        ctx.fail(format!("could not record the sum: {status}"));
    }
    ctx.log(format!("sum {sum}"));
}
