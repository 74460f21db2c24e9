use interstice_sdk::*;

#[table]
pub struct Points {
    #[primary_key]
    pub x: f64,
}

fn main() {}
