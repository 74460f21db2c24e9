// The caller example: on init it calls `hello` on the remote node MyNode
// ("Client !"), logs the outcome when it comes back, and logs every greeting
// inserted into MyNode's hello.greetings table (a remote subscription) and
// every peer that connects or leaves.
#include <interstice/sdk.h>

#include "../hello/hello_types.h"

INTERSTICE_MODULE(caller, "0.1.0", interstice::Visibility::Public)
INTERSTICE_NODE("MyNode", "127.0.0.1:8080")

void init(interstice::ReducerContext& ctx) {
  uint64_t id =
      ctx.call_node("MyNode", "hello", "hello", "on_hello_result", std::string("Client !"));
  ctx.log(id ? "called hello on MyNode" : "could not call hello on MyNode");
}
INTERSTICE_INIT(init)

void on_hello_result(interstice::ReducerContext& ctx, uint64_t call_id, bool ok,
                     std::string error) {
  ctx.log(ok ? "hello on MyNode answered: ok (caller " + ctx.caller().substr(0, 8) + "…)"
             : "hello on MyNode failed: " + error);
}
INTERSTICE_CALLBACK(on_hello_result, "call_id", "ok", "error")

// The row type is hello's own (hello_types.h); the remote node checks that
// the two match when it accepts the subscription.
void on_remote_greeting(interstice::ReducerContext& ctx, Greetings row) {
  ctx.log("MyNode greeted: #" + std::to_string(row.id) + " \"" + row.greeting + "\"");
}
INTERSTICE_SUBSCRIBE(on_remote_greeting, "MyNode.hello.greetings.insert", "row")

void on_peer_connect(interstice::ReducerContext& ctx, std::string node_id, std::string address) {
  ctx.log("peer " + node_id.substr(0, 8) + "… connected (" + address + ")");
}
INTERSTICE_SUBSCRIBE(on_peer_connect, "peer.connect", "node_id", "address")

void on_peer_disconnect(interstice::ReducerContext& ctx, std::string node_id, std::string address) {
  ctx.log("peer " + node_id.substr(0, 8) + "… disconnected (" + address + ")");
}
INTERSTICE_SUBSCRIBE(on_peer_disconnect, "peer.disconnect", "node_id", "address")
