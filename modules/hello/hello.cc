// The hello module: a greetings table, a `hello` reducer that inserts into it,
// an `init` hook, and a subscription that logs every inserted greeting.
#include <interstice/sdk.h>

#include "hello_types.h"

INTERSTICE_MODULE(hello, "0.1.0", interstice::Visibility::Public)

INTERSTICE_TABLE(greetings, Greetings, primary_key(&Greetings::id), auto_inc(&Greetings::id),
                 index(&Greetings::greeting, "by_greeting"), public_table())

void init(interstice::ReducerContext& ctx) {
  ctx.log("Hello world !");
}
INTERSTICE_INIT(init)

void hello(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greetings{0, "Hello, " + name + "!", TestCustomType{0}});
}
INTERSTICE_REDUCER(hello, "name")

void on_greeting_insert(interstice::ReducerContext& ctx, Greetings inserted_row) {
  ctx.log("Inserted greeting: {id: " + std::to_string(inserted_row.id) + ", greeting: \"" +
          inserted_row.greeting + "\", custom: {val: " + std::to_string(inserted_row.custom.val) +
          "}}");
}
INTERSTICE_SUBSCRIBE(on_greeting_insert, "hello.greetings.insert", "inserted_row")
