// A second module requesting the Input authority: refused while another holds it.
#include <interstice/sdk.h>

INTERSTICE_MODULE(wants_input_too, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Input)
