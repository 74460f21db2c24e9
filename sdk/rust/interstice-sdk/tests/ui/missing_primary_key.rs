use interstice_sdk::*;

#[table]
pub struct Notes {
    pub id: u64,
    pub text: String,
}

fn main() {}
