// Version 0.3.0 of hello with a changed row type: replacing a hello whose
// greetings table has rows must be refused.
#include <interstice/sdk.h>

INTERSTICE_MODULE(hello, "0.3.0", interstice::Visibility::Public)

struct Greetings {
  uint64_t id = 0;
  std::string greeting;
  uint32_t language = 0;
  INTERSTICE_TYPE(Greetings, id, greeting, language)
};
INTERSTICE_TABLE(greetings, Greetings, primary_key(&Greetings::id), auto_inc(&Greetings::id))
