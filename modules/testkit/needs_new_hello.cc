// Depends on a hello version that does not exist: refused at load.
#include <interstice/sdk.h>

INTERSTICE_MODULE(needs_new_hello, "0.1.0", interstice::Visibility::Private)
INTERSTICE_DEPENDENCY("hello", "^2.0.0")
