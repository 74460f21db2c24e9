#include "storage/snapshot.h"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "storage/crc32c.h"
#include "storage/transaction_log.h"

namespace interstice::storage {
namespace {

// Version 2 added pending_calls, version 3 peer_calls, version 4 remote_positions,
// version 5 the query flag and deadline of pending calls; older snapshots still read.
constexpr char kMagic[8] = {'I', 'S', 'T', 'S', 'N', 'A', 'P', '5'};
constexpr char kMagicV4[8] = {'I', 'S', 'T', 'S', 'N', 'A', 'P', '4'};
constexpr char kMagicV3[8] = {'I', 'S', 'T', 'S', 'N', 'A', 'P', '3'};
constexpr char kMagicV1[8] = {'I', 'S', 'T', 'S', 'N', 'A', 'P', '1'};
constexpr char kMagicV2[8] = {'I', 'S', 'T', 'S', 'N', 'A', 'P', '2'};

struct SnapshotDataV4 {
  uint64_t offset = 0;
  std::vector<std::string> initialized;
  std::vector<TableImage> tables;
  std::vector<RemoteCallRecordV1> pending_calls;
  std::vector<PeerCallRecord> peer_calls;
  std::vector<RemotePositionRecord> remote_positions;
  INTERSTICE_TYPE(SnapshotDataV4, offset, initialized, tables, pending_calls, peer_calls,
                  remote_positions)
};

struct SnapshotDataV3 {
  uint64_t offset = 0;
  std::vector<std::string> initialized;
  std::vector<TableImage> tables;
  std::vector<RemoteCallRecordV1> pending_calls;
  std::vector<PeerCallRecord> peer_calls;
  INTERSTICE_TYPE(SnapshotDataV3, offset, initialized, tables, pending_calls, peer_calls)
};

struct SnapshotDataV2 {
  uint64_t offset = 0;
  std::vector<std::string> initialized;
  std::vector<TableImage> tables;
  std::vector<RemoteCallRecordV1> pending_calls;
  INTERSTICE_TYPE(SnapshotDataV2, offset, initialized, tables, pending_calls)
};

struct SnapshotDataV1 {
  uint64_t offset = 0;
  std::vector<std::string> initialized;
  std::vector<TableImage> tables;
  INTERSTICE_TYPE(SnapshotDataV1, offset, initialized, tables)
};
constexpr size_t kHeader = 20;                 // magic, u64 offset, u32 crc of the rest
constexpr uint64_t kMaxSnapshot = 1ull << 36;  // 64 GiB decompressed

std::string snapshot_name(uint64_t offset) {
  return fmt::format("{:020}.snapshot", offset);
}

bool is_snapshot(const std::string& name) {
  return name.size() == 29 && name.ends_with(".snapshot");
}

Result<std::vector<uint8_t>> compress(std::span<const uint8_t> data) {
  std::vector<uint8_t> out(ZSTD_compressBound(data.size()));
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
  size_t n = ZSTD_compress2(ctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(ctx);
  if (ZSTD_isError(n)) return base::make_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

// The frame's declared content size is only a claim: memory is reserved for
// at most kMaxUpfront bytes of it and otherwise grows as data actually
// decompresses, so a few damaged bytes claiming 64 GiB allocate nothing
// much; output beyond (or short of) the claim is an error.
Result<std::vector<uint8_t>> decompress(std::span<const uint8_t> data) {
  constexpr uint64_t kMaxUpfront = 16u << 20;
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxSnapshot)
    return base::make_error("not a zstd frame with a known size");
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return base::make_error("zstd: out of memory");
  std::vector<uint8_t> out;
  out.reserve(std::min<uint64_t>(size, kMaxUpfront));
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::vector<uint8_t> chunk(ZSTD_DStreamOutSize());
  for (;;) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    size_t r = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(r)) return base::make_error(std::string("zstd: ") + ZSTD_getErrorName(r));
    if (out.size() + o.pos > size)
      return base::make_error("the data decompresses to more than its declared size");
    out.insert(out.end(), chunk.data(), chunk.data() + o.pos);
    if (r == 0) break;  // the frame is complete
    if (in.pos == in.size && o.pos < o.size) return base::make_error("zstd: truncated frame");
  }
  if (in.pos != in.size) return base::make_error("zstd: bytes after the frame");
  if (out.size() != size) return base::make_error("the data decompresses to less than declared");
  return out;
}

Result<SnapshotData> read_snapshot(Env& env, const std::filesystem::path& path) {
  auto file = env.read_file(path);
  if (!file) return file.take_error();
  const std::vector<uint8_t>& d = *file;
  bool v1 = d.size() >= kHeader && std::memcmp(d.data(), kMagicV1, 8) == 0;
  bool v2 = d.size() >= kHeader && std::memcmp(d.data(), kMagicV2, 8) == 0;
  bool v3 = d.size() >= kHeader && std::memcmp(d.data(), kMagicV3, 8) == 0;
  bool v4 = d.size() >= kHeader && std::memcmp(d.data(), kMagicV4, 8) == 0;
  if (d.size() < kHeader || (!v1 && !v2 && !v3 && !v4 && std::memcmp(d.data(), kMagic, 8) != 0))
    return base::make_error("not a snapshot (bad header)");
  uint32_t crc;
  std::memcpy(&crc, d.data() + 16, 4);
  std::span<const uint8_t> body(d.data() + kHeader, d.size() - kHeader);
  if (crc32c_extend(crc32c(d.data() + 8, 8), body.data(), body.size()) != crc)
    return base::make_error("checksum mismatch");
  auto raw = decompress(body);
  if (!raw) return raw.take_error();
  std::string why;
  if (v1) {
    auto old = abi::from_bytes<SnapshotDataV1>(*raw, &why);
    if (!old) return base::make_error("its contents do not decode: " + why);
    return SnapshotData{old->offset, std::move(old->initialized), std::move(old->tables), {}, {},
                        {}};
  }
  if (v2) {
    auto old = abi::from_bytes<SnapshotDataV2>(*raw, &why);
    if (!old) return base::make_error("its contents do not decode: " + why);
    return SnapshotData{old->offset,
                        std::move(old->initialized),
                        std::move(old->tables),
                        upgrade_calls(std::move(old->pending_calls)),
                        {},
                        {}};
  }
  if (v3) {
    auto old = abi::from_bytes<SnapshotDataV3>(*raw, &why);
    if (!old) return base::make_error("its contents do not decode: " + why);
    return SnapshotData{old->offset,
                        std::move(old->initialized),
                        std::move(old->tables),
                        upgrade_calls(std::move(old->pending_calls)),
                        std::move(old->peer_calls),
                        {}};
  }
  if (v4) {
    auto old = abi::from_bytes<SnapshotDataV4>(*raw, &why);
    if (!old) return base::make_error("its contents do not decode: " + why);
    return SnapshotData{old->offset,
                        std::move(old->initialized),
                        std::move(old->tables),
                        upgrade_calls(std::move(old->pending_calls)),
                        std::move(old->peer_calls),
                        std::move(old->remote_positions)};
  }
  auto data = abi::from_bytes<SnapshotData>(*raw, &why);
  if (!data) return base::make_error("its contents do not decode: " + why);
  return std::move(*data);
}

}  // namespace

Result<void> write_snapshot(Env& env, const std::filesystem::path& dir, const SnapshotData& data) {
  if (auto r = env.create_dirs(dir); !r) return r;
  auto compressed = compress(abi::to_bytes(data));
  if (!compressed) return compressed.take_error();
  std::vector<uint8_t> file(kMagic, kMagic + 8);
  uint8_t offset[8];
  std::memcpy(offset, &data.offset, 8);
  file.insert(file.end(), offset, offset + 8);
  uint32_t crc = crc32c_extend(crc32c(offset, 8), compressed->data(), compressed->size());
  uint8_t crc_bytes[4];
  std::memcpy(crc_bytes, &crc, 4);
  file.insert(file.end(), crc_bytes, crc_bytes + 4);
  file.insert(file.end(), compressed->begin(), compressed->end());
  return env.write_atomically(dir / snapshot_name(data.offset), file);
}

Result<std::optional<SnapshotData>> read_snapshot_at(Env& env, const std::filesystem::path& dir,
                                                     uint64_t offset) {
  std::filesystem::path path = dir / snapshot_name(offset);
  if (!env.exists(path)) return std::optional<SnapshotData>();
  auto data = read_snapshot(env, path);
  if (!data) return data.take_error();
  return std::optional<SnapshotData>(std::move(*data));
}

Result<std::optional<SnapshotData>> read_newest_snapshot(Env& env, const std::filesystem::path& dir,
                                                         std::vector<std::string>* warnings) {
  if (!env.exists(dir)) return std::optional<SnapshotData>();
  auto names = env.list(dir);
  if (!names) return names.take_error();
  for (auto it = names->rbegin(); it != names->rend(); ++it) {
    if (!is_snapshot(*it)) continue;
    auto data = read_snapshot(env, dir / *it);
    if (data) return std::optional<SnapshotData>(std::move(data).value());
    warnings->push_back(
        fmt::format("snapshot {} is damaged ({}); trying an older one", *it, data.error().message));
  }
  return std::optional<SnapshotData>();
}

Result<void> apply_retention(Env& env, const std::filesystem::path& log_dir,
                             const std::filesystem::path& snapshot_dir, uint64_t offset,
                             Retention retention) {
  if (retention == Retention::Keep) return {};
  auto snapshots = env.list(snapshot_dir);
  if (!snapshots) return snapshots.take_error();
  for (const std::string& name : *snapshots)
    if (is_snapshot(name) && name < snapshot_name(offset))
      if (auto r = env.remove(snapshot_dir / name); !r) return r;
  auto names = env.list(log_dir);
  if (!names) return names.take_error();
  std::vector<std::string> segments;
  for (const std::string& n : *names)
    if (segment_first_offset(n)) segments.push_back(n);
  // Segment i holds offsets [first_i, first_{i+1}); it is covered when
  // first_{i+1} - 1 <= offset. The newest segment is always kept.
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    uint64_t next_first = *segment_first_offset(segments[i + 1]);
    if (next_first - 1 > offset) break;
    if (retention == Retention::Archive) {
      auto data = env.read_file(log_dir / segments[i]);
      if (!data) return data.take_error();
      auto compressed = compress(*data);
      if (!compressed) return compressed.take_error();
      if (auto r = env.create_dirs(log_dir / "archive"); !r) return r;
      if (auto r = env.write_atomically(log_dir / "archive" / (segments[i] + ".zst"), *compressed);
          !r)
        return r;
    }
    if (auto r = env.remove(log_dir / segments[i]); !r) return r;
  }
  return env.sync_dir(log_dir);
}

}  // namespace interstice::storage
