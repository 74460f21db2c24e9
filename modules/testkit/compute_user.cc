// Test fixture: doubles 64 numbers on the Gpu with a compute shader and logs
// their sum (2 * (0 + 1 + … + 63) = 4032 when it works).
#include <interstice/sdk.h>

#include <cstring>

INTERSTICE_MODULE(compute_user, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(Gpu)

// Each run's sum, so that replay must reproduce what the Gpu computed.
struct Sum {
  uint64_t id = 0;
  uint32_t sum = 0;
  INTERSTICE_TYPE(Sum, id, sum)
};
INTERSTICE_TABLE(sums, Sum, primary_key(&Sum::id), auto_inc(&Sum::id))

void double_all(interstice::ReducerContext& ctx) {
  interstice::Gpu gpu = ctx.gpu();
  int64_t shader = gpu.shader(interstice::Gpu::Compute, R"(#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) buffer Numbers { uint values[]; };
void main() { values[gl_GlobalInvocationID.x] *= 2u; })");
  int64_t numbers = gpu.buffer(64 * 4, interstice::Gpu::StorageBuffer);
  int64_t pipeline = shader > 0 ? gpu.compute_pipeline(shader, 1) : shader;
  if (numbers <= 0 || pipeline <= 0) {
    ctx.log("setup failed: " + std::to_string(std::min(numbers, pipeline)));
    return;
  }
  uint32_t values[64];
  for (uint32_t i = 0; i < 64; ++i) values[i] = i;
  gpu.write(numbers, 0, values, sizeof values);
  interstice::abi::Status status = gpu.dispatch(pipeline, {static_cast<uint64_t>(numbers)}, 1);
  auto bytes = gpu.read(numbers, 0, sizeof values);
  if (status != interstice::abi::Status::Ok || !bytes) {
    ctx.log("dispatch: status " + std::to_string(static_cast<int>(status)));
    return;
  }
  std::memcpy(values, bytes->data(), sizeof values);
  uint32_t sum = 0;
  for (uint32_t v : values) sum += v;
  ctx.table<sums>().insert(Sum{0, sum});
  ctx.log("sum " + std::to_string(sum));
}
INTERSTICE_REDUCER(double_all)
