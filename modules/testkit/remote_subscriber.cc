// Test fixture: subscribes to a private table of another node (testkit.secrets)
// and to hello.greetings with a row type that does not match; the other node
// refuses both.
#include <interstice/sdk.h>

#include "testkit_types.h"

INTERSTICE_MODULE(remote_subscriber, "0.1.0", interstice::Visibility::Private)
INTERSTICE_NODE("Server", "127.0.0.1:1")

struct WrongCustom {
  uint32_t val = 0;
  INTERSTICE_TYPE(WrongCustom, val)
};

// hello's Greetings has `greeting` as a string.
struct WrongGreetings {
  uint64_t id = 0;
  uint32_t greeting = 0;
  WrongCustom custom;
  INTERSTICE_TYPE(WrongGreetings, id, greeting, custom)
};

void on_secret(interstice::ReducerContext& ctx, Secret secret) {
  ctx.log("secret " + secret.text);
}
INTERSTICE_SUBSCRIBE(on_secret, "Server.testkit.secrets.insert", "secret")

void on_greeting(interstice::ReducerContext& ctx, WrongGreetings row) {
  ctx.log("greeting " + std::to_string(row.greeting));
}
INTERSTICE_SUBSCRIBE(on_greeting, "Server.hello.greetings.insert", "row")
