use interstice_sdk::*;

#[reducer]
pub fn hello(name: String) {
    let _ = name;
}

fn main() {}
