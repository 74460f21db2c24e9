// Test fixture: calls privileged functions (File, Gpu) without requesting
// their authorities.
#include <interstice/sdk.h>

INTERSTICE_MODULE(intruder, "0.1.0", interstice::Visibility::Private)

void peek(interstice::ReducerContext& ctx, std::string path) {
  interstice::abi::Status status;
  auto data = ctx.files().read(path, &status);
  ctx.log(data ? "read it" : "status " + std::to_string(static_cast<int>(status)));
  ctx.log("write: status " + std::to_string(static_cast<int>(ctx.files().write(path, "x"))));
}
INTERSTICE_REDUCER(peek, "path")

void draw(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  ctx.log("shader: " + std::to_string(gpu.shader(interstice::Gpu::Vertex, "void main() {}")));
  ctx.log("begin_frame: status " + std::to_string(static_cast<int>(gpu.begin_frame(0, 0, 0))));
}
INTERSTICE_REDUCER(draw)
