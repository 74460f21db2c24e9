// The caller example: on init it calls `hello` on the remote node MyNode
// ("Client !") and logs the outcome when it comes back.
#include <interstice/sdk.h>

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
INTERSTICE_REDUCER(on_hello_result, "call_id", "ok", "error")
