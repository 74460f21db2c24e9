//! The caller example in Rust, behaving exactly like the C++ one
//! (modules/caller): on init it calls `hello` on the remote node MyNode
//! ("Client !"), logs the outcome when it comes back, and logs every
//! greeting inserted into MyNode's hello.greetings (a remote subscription)
//! and every peer that connects or leaves.
use interstice_sdk::*;

interstice_module!(visibility: Public, nodes: [("MyNode", "127.0.0.1:8080")]);

// hello's row type; the remote node checks that the two match structurally
// when it accepts the subscription.
#[interstice_type]
pub struct TestCustomType {
    pub val: u32,
}

#[interstice_type]
pub struct Greetings {
    pub id: u64,
    pub greeting: String,
    pub custom: TestCustomType,
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

#[reducer(on = "init")]
pub fn init(ctx: ReducerContext) {
    let id = ctx.call_node(
        "MyNode",
        "hello",
        "hello",
        "on_hello_result",
        ("Client !".to_string(),),
    );
    ctx.log(if id != 0 {
        "called hello on MyNode"
    } else {
        "could not call hello on MyNode"
    });
}

#[callback]
pub fn on_hello_result(ctx: ReducerContext, _call_id: u64, ok: bool, error: String) {
    if ok {
        ctx.log(format!(
            "hello on MyNode answered: ok (caller {}…)",
            short(&ctx.caller())
        ));
    } else {
        ctx.log(format!("hello on MyNode failed: {error}"));
    }
}

#[reducer(on = "MyNode.hello.greetings.insert")]
pub fn on_remote_greeting(ctx: ReducerContext, row: Greetings) {
    ctx.log(format!("MyNode greeted: #{} \"{}\"", row.id, row.greeting));
}

#[reducer(on = "peer.connect")]
pub fn on_peer_connect(ctx: ReducerContext, node_id: String, address: String) {
    ctx.log(format!("peer {}… connected ({})", short(&node_id), address));
}

#[reducer(on = "peer.disconnect")]
pub fn on_peer_disconnect(ctx: ReducerContext, node_id: String, address: String) {
    ctx.log(format!("peer {}… disconnected ({})", short(&node_id), address));
}
