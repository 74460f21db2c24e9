// Version 0.4.0 of hello: the same rows, other indexes. Its greetings table
// drops by_greeting for a unique index on the greeting: publishing it keeps
// the greetings (indexed anew) unless two share a greeting, which refuses it.
#include <interstice/sdk.h>

#include "../hello/hello_types.h"

INTERSTICE_MODULE(hello, "0.4.0", interstice::Visibility::Public)

INTERSTICE_TABLE(greetings, Greetings, primary_key(&Greetings::id), auto_inc(&Greetings::id),
                 unique_index(&Greetings::greeting, "unique_greeting"), public_table())

void hello(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greetings{0, "Hello, " + name + "!", TestCustomType{4}});
}
INTERSTICE_REDUCER(hello, "name")
