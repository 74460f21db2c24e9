// Version 0.5.0 of hello: its greetings gain a `language` column, declared
// with a default. Publishing it over 0.1.0 keeps every greeting, each with
// language "en", and indexes the new column.
#include <interstice/sdk.h>

#include "../hello/hello_types.h"

INTERSTICE_MODULE(hello, "0.5.0", interstice::Visibility::Public)

struct Greeting {
  uint64_t id = 0;
  std::string greeting;
  TestCustomType custom;
  std::string language;
  INTERSTICE_TYPE(Greeting, id, greeting, custom, language)
};
INTERSTICE_TABLE(greetings, Greeting, primary_key(&Greeting::id), auto_inc(&Greeting::id),
                 index(&Greeting::greeting, "by_greeting"),
                 index(&Greeting::language, "by_language"),
                 column_default(&Greeting::language, "en"), public_table())

void hello(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greeting{0, "Hello, " + name + "!", TestCustomType{5}, "en"});
}
INTERSTICE_REDUCER(hello, "name")

void bonjour(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greeting{0, "Bonjour, " + name + " !", TestCustomType{5}, "fr"});
}
INTERSTICE_REDUCER(bonjour, "name")
