// Version 0.6.0 of hello: its greetings change shape (the text is split into
// the salutation and the name), which no default can do, so it declares a
// migration for each older shape. A greeting of Mallory's cannot be
// migrated: the migration fails, and the publish with it.
#include <interstice/sdk.h>

#include "../hello/hello_types.h"

INTERSTICE_MODULE(hello, "0.6.0", interstice::Visibility::Public)

struct Greeting {
  uint64_t id = 0;
  std::string salutation;
  std::string name;
  std::string language;
  INTERSTICE_TYPE(Greeting, id, salutation, name, language)
};
INTERSTICE_TABLE(greetings, Greeting, primary_key(&Greeting::id), auto_inc(&Greeting::id),
                 public_table())

// Every row migrated, by the version it came from.
struct Migrated {
  std::string from;
  uint64_t rows = 0;
  INTERSTICE_TYPE(Migrated, from, rows)
};
INTERSTICE_TABLE(migrations, Migrated, primary_key(&Migrated::from), public_table())

// The shape of 0.5.0's rows (0.1.0 to 0.4.0 have `Greetings`, without the language).
struct GreetingV5 {
  uint64_t id = 0;
  std::string greeting;
  TestCustomType custom;
  std::string language;
  INTERSTICE_TYPE(GreetingV5, id, greeting, custom, language)
};

// "Hello, Ann!" -> {"Hello", "Ann"}.
void insert_split(interstice::ReducerContext& ctx, uint64_t id, const std::string& text,
                  const std::string& language, const std::string& from) {
  size_t comma = text.find(", ");
  if (comma == std::string::npos) ctx.fail("greeting " + std::to_string(id) + " has no comma");
  std::string name = text.substr(comma + 2);
  while (!name.empty() && (name.back() == '!' || name.back() == ' ')) name.pop_back();
  if (name == "Mallory") ctx.fail("greeting " + std::to_string(id) + " is Mallory's");
  ctx.table<greetings>().insert(Greeting{id, text.substr(0, comma), name, language});
  Migrated count = ctx.table<migrations>().get(from).value_or(Migrated{from, 0});
  ++count.rows;
  if (count.rows == 1)
    ctx.table<migrations>().insert(count);
  else
    ctx.table<migrations>().update(count);
}

void migrate_greetings(interstice::ReducerContext& ctx, Greetings old) {
  insert_split(ctx, old.id, old.greeting, "en", "0.1");
}
INTERSTICE_MIGRATE(greetings, migrate_greetings, "<0.5.0")

void migrate_greetings_v5(interstice::ReducerContext& ctx, GreetingV5 old) {
  insert_split(ctx, old.id, old.greeting, old.language, "0.5");
}
INTERSTICE_MIGRATE(greetings, migrate_greetings_v5, "=0.5.0")

void hello(interstice::ReducerContext& ctx, std::string name) {
  ctx.table<greetings>().insert(Greeting{0, "Hello", name, "en"});
}
INTERSTICE_REDUCER(hello, "name")
