// Test fixture: calls the File authority's functions without requesting it.
#include <interstice/sdk.h>

INTERSTICE_MODULE(file_intruder, "0.1.0", interstice::Visibility::Private)

void peek(interstice::ReducerContext& ctx, std::string path) {
  interstice::abi::Status status;
  auto data = ctx.files().read(path, &status);
  ctx.log(data ? "read it" : "status " + std::to_string(static_cast<int>(status)));
  ctx.log("write: status " + std::to_string(static_cast<int>(ctx.files().write(path, "x"))));
}
INTERSTICE_REDUCER(peek, "path")
