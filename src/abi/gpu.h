// The Gpu authority's descriptors, shared by the host and the SDK (encoded
// in the canonical encoding across the host call; docs/abi.md, "Gpu").
#pragma once

#include <cstdint>
#include <vector>

#include "abi/reflect.h"

namespace interstice::abi {

struct GpuAttribute {
  uint32_t location = 0;
  uint32_t format = 0;  // 0 float32, 1 float32x2, 2 float32x3, 3 float32x4
  uint32_t offset = 0;
  INTERSTICE_TYPE(GpuAttribute, location, format, offset)
};

// A render pipeline into RGBA8 targets.
struct GpuPipelineDesc {
  uint64_t vertex_shader = 0;
  uint64_t fragment_shader = 0;
  uint32_t vertex_stride = 0;  // 0: no vertex buffer (positions from gl_VertexIndex)
  std::vector<GpuAttribute> attributes;
  uint32_t uniform_buffers = 0;  // bindings 0..n-1 of set 0, seen by both stages
  // Sampled textures (combined with a sampler) at the bindings after the
  // uniform buffers, seen by the fragment stage.
  uint32_t textures = 0;
  // A pipeline layout's handle; 0 derives one from uniform_buffers and
  // textures (which must then be the only resources).
  uint64_t layout = 0;
  uint32_t topology = 0;  // GpuTopology
  uint32_t blend = 0;     // GpuBlend
  uint32_t depth = 0;     // GpuDepth: with a test, only in passes with a depth attachment
  INTERSTICE_TYPE(GpuPipelineDesc, vertex_shader, fragment_shader, vertex_stride, attributes,
                  uniform_buffers, textures, layout, topology, blend, depth)
};

// The depth test (and write) of a pipeline: none, or keep fragments nearer
// than (or as near as) what the depth attachment holds.
enum GpuDepth : uint32_t { GpuDepthNone = 0, GpuDepthLess = 1, GpuDepthLessEqual = 2 };

enum GpuTopology : uint32_t {
  GpuTriangleList = 0,
  GpuTriangleStrip = 1,
  GpuLineList = 2,
  GpuLineStrip = 3,
  GpuPointList = 4,
};
// How a fragment's colour meets the target's: replaced, mixed by the
// fragment's alpha (src * a + dst * (1 - a)), or added.
enum GpuBlend : uint32_t { GpuBlendReplace = 0, GpuBlendAlpha = 1, GpuBlendAdd = 2 };

// One binding of a bind group layout.
enum GpuBindingKind : uint32_t {
  GpuUniformBuffer = 0,
  GpuStorageBuffer = 1,
  GpuSampledTexture = 2,  // a texture and its sampler (a combined image sampler)
};
enum GpuStageBits : uint32_t { GpuVertexStage = 1, GpuFragmentStage = 2, GpuComputeStage = 4 };
struct GpuLayoutEntry {
  uint32_t binding = 0;
  uint32_t kind = 0;        // GpuBindingKind
  uint32_t visibility = 0;  // GpuStageBits
  INTERSTICE_TYPE(GpuLayoutEntry, binding, kind, visibility)
};

// One resource of a bind group: a buffer, or a texture and its sampler.
struct GpuBindGroupEntry {
  uint32_t binding = 0;
  uint64_t resource = 0;  // the buffer or texture handle
  uint64_t sampler = 0;   // for a GpuSampledTexture binding
  INTERSTICE_TYPE(GpuBindGroupEntry, binding, resource, sampler)
};

}  // namespace interstice::abi
