use interstice_sdk::*;

#[reducer]
pub fn store(ctx: ReducerContext, map: std::collections::HashMap<u32, u32>) {
    ctx.log(format!("{}", map.len()));
}

fn main() {}
