// A module whose subscription names a table it does not have: the runtime
// must refuse to load it.
#include <interstice/sdk.h>

INTERSTICE_MODULE(bad_subscription, "0.1.0", interstice::Visibility::Private)

void on_nothing(interstice::ReducerContext& ctx) {}
INTERSTICE_SUBSCRIBE(on_nothing, "bad_subscription.nothing.insert")
