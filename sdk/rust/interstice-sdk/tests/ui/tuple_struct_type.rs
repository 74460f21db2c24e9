use interstice_sdk::*;

#[interstice_type]
pub struct Pair(u32, u32);

fn main() {}
