// Version 0.2.0 of hello: the same table, one more reducer. Replacing hello
// with it keeps the greetings.
#include <interstice/sdk.h>

#include "../hello/hello_types.h"

INTERSTICE_MODULE(hello, "0.2.0", interstice::Visibility::Public)

INTERSTICE_TABLE(greetings, Greetings, primary_key(&Greetings::id), auto_inc(&Greetings::id),
                 index(&Greetings::greeting, "by_greeting"), public_table())

void init(interstice::ReducerContext& ctx) {
  ctx.log("Hello world (v2) !");
}
INTERSTICE_INIT(init)

void hello(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greetings{0, "Hello, " + name + "!", TestCustomType{2}});
}
INTERSTICE_REDUCER(hello, "name")

void goodbye(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greetings{0, "Goodbye, " + name + "!", TestCustomType{2}});
}
INTERSTICE_REDUCER(goodbye, "name")
