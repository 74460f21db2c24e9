use interstice_sdk::*;

#[table]
pub struct Names {
    #[primary_key(auto_inc)]
    pub name: String,
}

fn main() {}
