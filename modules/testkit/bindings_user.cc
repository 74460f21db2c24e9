// Test fixture built against bindings that `interstice bindings` generated
// from hello.wasm at build time: it calls hello through the typed Local
// binding on init and subscribes to hello's greetings with the generated row
// type, logging each one.
#include <interstice/sdk.h>

#include "hello_bindings.h"

INTERSTICE_MODULE(bindings_user, "0.1.0", interstice::Visibility::Private)
INTERSTICE_DEPENDENCY("hello", "^0.1.0")

void init(interstice::ReducerContext& ctx) {
  interstice::abi::Status status = hello_bindings::Local{ctx}.hello("bindings");
  ctx.log(status == interstice::abi::Status::Ok ? "called hello" : "could not call hello");
}
INTERSTICE_INIT(init)

void on_greeting(interstice::ReducerContext& ctx, hello_bindings::Greetings row) {
  ctx.log("greeting #" + std::to_string(row.id) + ": " + row.greeting);
}
INTERSTICE_SUBSCRIBE(on_greeting, HELLO_GREETINGS_INSERT, "row")
