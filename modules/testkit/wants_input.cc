// Requests the Input authority and depends on hello ^0.1.0 (authority and
// dependency checks at load).
#include <interstice/sdk.h>

INTERSTICE_MODULE(wants_input, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Input)
INTERSTICE_DEPENDENCY("hello", "^0.1.0")

void ping(interstice::ReducerContext& ctx) {
  ctx.log("pong");
}
INTERSTICE_REDUCER(ping)
