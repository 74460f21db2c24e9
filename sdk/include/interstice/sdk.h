// The Interstice C++ module SDK. Include this one header, build with
// interstice_add_module() (sdk/interstice_module.cmake), and declare:
//
//   INTERSTICE_MODULE(hello, "0.1.0", interstice::Visibility::Public)
//
//   struct Greeting {
//     uint64_t id = 0;
//     std::string greeting;
//     INTERSTICE_TYPE(Greeting, id, greeting)
//   };
//   INTERSTICE_TABLE(greetings, Greeting, primary_key(&Greeting::id),
//                    auto_inc(&Greeting::id), public_table())
//
//   void hello(interstice::ReducerContext& ctx, std::string name) {
//     ctx.table<greetings>().insert({0, "Hello, " + name + "!"});
//   }
//   INTERSTICE_REDUCER(hello, "name")
//
//   void on_greeting(interstice::ReducerContext& ctx, Greeting row) { ctx.log(row.greeting); }
//   INTERSTICE_SUBSCRIBE(on_greeting, "hello.greetings.insert")
//
// Modules are wasm32-wasi reactors built with clang-19 and libc++, without
// exceptions: a reducer fails with ctx.fail("why"), which rolls back its
// transaction. docs/sdk.md is the guide.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "abi/gpu.h"
#include "abi/host_calls.h"
#include "abi/input_event.h"
#include "abi/schedule.h"
#include "abi/schema.h"
#include "interstice/host.h"

namespace interstice {

using abi::Bytes;
using abi::InputEvent;
using abi::ScheduleAt;
using abi::Visibility;

class ReducerContext;

namespace sdk::detail {

struct ReducerEntry {
  void* function;
  // Decodes the arguments and calls `function`; returns an abi status.
  int32_t (*invoke)(void* function, ReducerContext& ctx, abi::Reader& args);
};

struct Registry {
  abi::ModuleSchema schema;
  abi::TypeRegistry types;
  std::vector<ReducerEntry> reducers;
};

inline Registry& registry() {
  static Registry r;
  return r;
}

inline std::vector<uint8_t> read_result(int32_t length) {
  std::vector<uint8_t> bytes(static_cast<size_t>(length));
  if (length > 0) host::ihost_result_read(bytes.data());
  return bytes;
}

}  // namespace sdk::detail

// ---------------------------------------------------------------- tables --

namespace sdk::table_options {

enum class OptionKind {
  PrimaryKey,
  AutoInc,
  Index,
  Visibility,
  Persistence,
  Default,
  Schedule,
  View
};

template <typename Row, typename M>
struct PrimaryKey {
  static constexpr OptionKind kind = OptionKind::PrimaryKey;
  M Row::* member;
};
template <typename Row, typename M>
struct AutoInc {
  static constexpr OptionKind kind = OptionKind::AutoInc;
  M Row::* member;
};
template <typename Row, typename M>
struct Index {
  static constexpr OptionKind kind = OptionKind::Index;
  M Row::* member;
  const char* name;
  bool unique;
};
template <typename Row, typename M, typename V>
struct Default {
  static constexpr OptionKind kind = OptionKind::Default;
  using Column = M;
  M Row::* member;
  V value;  // converted to M when the schema is built
};
template <typename Row>
struct Schedule {
  static constexpr OptionKind kind = OptionKind::Schedule;
  abi::ScheduleAt Row::* member;
  const char* reducer;
};
struct TableView {
  static constexpr OptionKind kind = OptionKind::View;
  const char* condition;
};
struct TableVisibility {
  static constexpr OptionKind kind = OptionKind::Visibility;
  Visibility value;
};
struct TablePersistence {
  static constexpr OptionKind kind = OptionKind::Persistence;
  abi::Persistence value;
};

template <typename M>
inline constexpr bool kKeyType =
    std::is_integral_v<M> || std::is_same_v<M, std::string> || std::is_same_v<M, Bytes>;

template <typename Row, typename M>
constexpr PrimaryKey<Row, M> primary_key(M Row::* member) {
  static_assert(kKeyType<M>, "a primary key must be an integer, bool, std::string or Bytes");
  return {member};
}
template <typename Row, typename M>
constexpr AutoInc<Row, M> auto_inc(M Row::* member) {
  static_assert(std::is_integral_v<M> && !std::is_same_v<M, bool>,
                "an auto_inc column must be an integer");
  return {member};
}
template <typename Row, typename M>
constexpr Index<Row, M> index(M Row::* member, const char* name) {
  static_assert(kKeyType<M>, "an indexed column must be an integer, bool, std::string or Bytes");
  return {member, name, false};
}
template <typename Row, typename M>
constexpr Index<Row, M> unique_index(M Row::* member, const char* name) {
  static_assert(kKeyType<M>, "an indexed column must be an integer, bool, std::string or Bytes");
  return {member, name, true};
}
// The value `member` takes in the rows the table already holds when this
// version of the module adds the column (docs/sdk.md, "Changing a published
// module"): column_default(&Player::level, 1), column_default(&Player::title, "").
template <typename Row, typename M, typename V>
constexpr Default<Row, M, V> column_default(M Row::* member, V value) {
  static_assert(std::is_constructible_v<M, V>,
                "a column default must convert to the column's type");
  return {member, value};
}
// Makes the table a schedule (docs/sdk.md, "Schedules"): each row fires
// `reducer(ReducerContext&, Row)` at its ScheduleAt `member`, once or every
// period.
template <typename Row>
constexpr Schedule<Row> scheduled(abi::ScheduleAt Row::* member, const char* reducer) {
  return {member, reducer};
}
// Makes the table a view (docs/sdk.md, "Views"): a peer or client reads
// only the rows that satisfy `condition`, a SQL condition over the columns
// in which :reader is the reader's identity (what ctx.caller() is when that
// reader calls): view("owner = :reader OR shared = true").
constexpr TableView view(const char* condition) {
  return {condition};
}
constexpr TableVisibility public_table() {
  return {Visibility::Public};
}
constexpr TablePersistence stateful() {
  return {abi::Persistence::Stateful};
}
constexpr TablePersistence ephemeral() {
  return {abi::Persistence::Ephemeral};
}

}  // namespace sdk::table_options

namespace sdk::detail {

// The field index of `member` in Row's INTERSTICE_TYPE list, or -1.
template <typename Row, typename M>
int32_t column_of(M Row::* member) {
  int32_t index = 0, found = -1;
  abi::for_each_field<Row>([&](auto field) {
    if constexpr (std::is_same_v<decltype(field.member), M Row::*>)
      if (field.member == member) found = index;
    ++index;
  });
  return found;
}

template <typename T>
struct TableId {
  static inline int32_t value = -1;
};

template <typename Options>
struct KeyOf;
template <>
struct KeyOf<std::tuple<>> {
  using type = void;
};
template <typename First, typename... Rest>
struct KeyOf<std::tuple<First, Rest...>> {
  using type = typename KeyOf<std::tuple<Rest...>>::type;
};
template <typename Row, typename M, typename... Rest>
struct KeyOf<std::tuple<table_options::PrimaryKey<Row, M>, Rest...>> {
  using type = M;
};

inline void fail_registration(const std::string& message) {
  registry().schema.name = "invalid module: " + message;  // refused by the host at load
}

template <typename T>
int32_t register_table() {
  using Row = typename T::Row;
  Registry& reg = registry();
  abi::TableDef def;
  def.name = std::string(T::table_name());
  (void)abi::type_of<Row>(reg.types);
  def.row_type = std::string(Row::interstice_type_name());
  auto column = [&](int32_t c, const char* what) -> uint32_t {
    if (c < 0)
      fail_registration("table " + def.name + ": the " + what +
                        " is not listed in INTERSTICE_TYPE");
    return static_cast<uint32_t>(c);
  };
  std::apply(
      [&](auto... option) {
        auto apply_one = [&](auto opt) {
          using table_options::OptionKind;
          constexpr OptionKind kind = decltype(opt)::kind;
          if constexpr (kind == OptionKind::PrimaryKey)
            def.primary_key = column(column_of(opt.member), "primary key");
          else if constexpr (kind == OptionKind::AutoInc)
            def.auto_inc.push_back(column(column_of(opt.member), "auto_inc column"));
          else if constexpr (kind == OptionKind::Index)
            def.indexes.push_back(abi::IndexDef{
                opt.name, column(column_of(opt.member), "indexed column"), opt.unique});
          else if constexpr (kind == OptionKind::Visibility)
            def.visibility = opt.value;
          else if constexpr (kind == OptionKind::View)
            def.view = opt.condition;
          else if constexpr (kind == OptionKind::Schedule)
            def.schedule.push_back(
                abi::ScheduleDef{column(column_of(opt.member), "schedule column"), opt.reducer});
          else if constexpr (kind == OptionKind::Default)
            def.defaults.push_back(
                abi::ColumnDefault{column(column_of(opt.member), "defaulted column"),
                                   abi::to_bytes(typename decltype(opt)::Column(opt.value))});
          else
            def.persistence = opt.value;
        };
        (apply_one(option), ...);
      },
      T::options());
  static_assert(!std::is_void_v<typename KeyOf<decltype(T::options())>::type>,
                "INTERSTICE_TABLE needs primary_key(&Row::member)");
  TableId<T>::value = static_cast<int32_t>(reg.schema.tables.size());
  reg.schema.tables.push_back(std::move(def));
  return TableId<T>::value;
}

}  // namespace sdk::detail

// The outcome of Table::insert: the stored row (auto_inc columns assigned),
// or why it was refused.
template <typename Row>
struct InsertResult {
  std::optional<Row> row;
  abi::Status status = abi::Status::Ok;
  bool ok() const { return row.has_value(); }
};

// The outcome of ReducerContext::query: the query's value, or why there is
// none.
template <typename R>
struct QueryResult {
  std::optional<R> value;
  abi::Status status = abi::Status::Ok;
  bool ok() const { return value.has_value(); }
};

// Rows from a scan, decoded one at a time as the loop advances; the host
// walks its index without copying the table.
template <typename Row>
class RowRange {
 public:
  explicit RowRange(int32_t iter) : iter_(iter) {}
  RowRange(RowRange&& other) noexcept : iter_(std::exchange(other.iter_, -1)) {}
  RowRange(const RowRange&) = delete;
  ~RowRange() {
    if (iter_ >= 0) sdk::host::ihost_iter_close(iter_);
  }

  class iterator {
   public:
    explicit iterator(int32_t iter) : iter_(iter) { advance(); }
    iterator() = default;
    const Row& operator*() const { return *row_; }
    const Row* operator->() const { return &*row_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator==(const iterator& other) const {
      return row_.has_value() == other.row_.has_value();
    }

   private:
    void advance() {
      int32_t length = iter_ >= 0 ? sdk::host::ihost_iter_next(iter_) : -1;
      if (length < 0) {
        row_.reset();
        return;
      }
      row_ = abi::from_bytes<Row>(sdk::detail::read_result(length));
    }
    int32_t iter_ = -1;
    std::optional<Row> row_;
  };

  iterator begin() { return iterator(iter_); }
  iterator end() { return iterator(); }
  std::vector<Row> collect() {
    std::vector<Row> rows;
    for (const Row& row : *this) rows.push_back(row);
    return rows;
  }

 private:
  int32_t iter_;
};

// Access to one table inside a reducer: ctx.table<greetings>().
template <typename T>
class Table {
 public:
  using Row = typename T::Row;
  using Key = typename sdk::detail::KeyOf<decltype(T::options())>::type;

  // Inserts `row`; auto_inc columns holding 0 are assigned by the host.
  InsertResult<Row> insert(Row row) const {
    std::vector<uint8_t> bytes = abi::to_bytes(row);
    int64_t r =
        sdk::host::ihost_table_insert(id(), bytes.data(), static_cast<int32_t>(bytes.size()));
    if (r < 0) return {std::nullopt, static_cast<abi::Status>(-r)};
    assign_auto_inc(row, r);
    return {std::move(row), abi::Status::Ok};
  }
  std::optional<Row> get(const Key& key) const {
    std::vector<uint8_t> bytes = abi::to_bytes(key);
    int32_t length =
        sdk::host::ihost_table_get(id(), bytes.data(), static_cast<int32_t>(bytes.size()));
    if (length < 0) return std::nullopt;
    return abi::from_bytes<Row>(sdk::detail::read_result(length));
  }
  // Replaces the row with the same primary key; NotFound if there is none.
  abi::Status update(const Row& row) const {
    std::vector<uint8_t> bytes = abi::to_bytes(row);
    return static_cast<abi::Status>(
        sdk::host::ihost_table_update(id(), bytes.data(), static_cast<int32_t>(bytes.size())));
  }
  // True if a row was deleted.
  bool remove(const Key& key) const {
    std::vector<uint8_t> bytes = abi::to_bytes(key);
    return sdk::host::ihost_table_delete(id(), bytes.data(), static_cast<int32_t>(bytes.size())) ==
           0;
  }
  uint64_t count() const { return static_cast<uint64_t>(sdk::host::ihost_table_count(id())); }
  // Every row, in primary-key order.
  RowRange<Row> scan() const { return open<Key>(-1, nullptr, nullptr); }
  // Rows with lo <= primary key <= hi, in key order.
  RowRange<Row> range(const Key& lo, const Key& hi) const { return open(-1, &lo, &hi); }
  // Rows whose indexed column `Member` equals `value`.
  template <auto Member, typename V>
  RowRange<Row> find(const V& value) const {
    return open(index_of<Member>(), &value, &value);
  }
  // Rows with lo <= indexed column `Member` <= hi, in column order.
  template <auto Member, typename V>
  RowRange<Row> range_by(const V& lo, const V& hi) const {
    return open(index_of<Member>(), &lo, &hi);
  }

 private:
  static int32_t id() { return sdk::detail::TableId<T>::value; }

  template <auto Member>
  static int32_t index_of() {
    const abi::TableDef& def = sdk::detail::registry().schema.tables[id()];
    int32_t column = sdk::detail::column_of(Member);
    for (size_t i = 0; i < def.indexes.size(); ++i)
      if (static_cast<int32_t>(def.indexes[i].column) == column) return static_cast<int32_t>(i);
    return -2;  // the host answers "no such index"
  }

  template <typename V>
  RowRange<Row> open(int32_t index, const V* lo, const V* hi) const {
    std::vector<uint8_t> lo_bytes, hi_bytes;
    if (lo) lo_bytes = abi::to_bytes(*lo);
    if (hi) hi_bytes = abi::to_bytes(*hi);
    int32_t flags = (lo ? 1 : 0) | (hi ? 2 : 0);
    return RowRange<Row>(sdk::host::ihost_table_scan(
        id(), index, lo_bytes.data(), static_cast<int32_t>(lo_bytes.size()), hi_bytes.data(),
        static_cast<int32_t>(hi_bytes.size()), flags));
  }

  static void assign_auto_inc(Row& row, int64_t value) {
    std::apply(
        [&](auto... option) {
          auto one = [&](auto opt) {
            if constexpr (decltype(opt)::kind == sdk::table_options::OptionKind::AutoInc) {
              using M = std::remove_reference_t<decltype(row.*(opt.member))>;
              if (row.*(opt.member) == 0) row.*(opt.member) = static_cast<M>(value);
            }
          };
          (one(option), ...);
        },
        T::options());
  }
};

// ---------------------------------------------------------- authorities --

// The File authority: this module's own directory on the node. Every call
// needs INTERSTICE_REQUEST_AUTHORITY(File) and the operator's grant; without
// it the status is NotPermitted. Paths are relative and '/'-separated;
// absolute paths, '.', '..' and symlinks get PathRefused.
class Files {
 public:
  // The file's bytes, or nullopt (the reason in *status, if given).
  std::optional<Bytes> read(std::string_view path, abi::Status* status = nullptr) const {
    int32_t n = sdk::host::ihost_file_read(path.data(), static_cast<int32_t>(path.size()));
    if (status) *status = n < 0 ? static_cast<abi::Status>(-n) : abi::Status::Ok;
    if (n < 0) return std::nullopt;
    return Bytes{sdk::detail::read_result(n)};
  }
  // Creates or replaces the file (and its directories) atomically.
  abi::Status write(std::string_view path, std::span<const uint8_t> data) const {
    return static_cast<abi::Status>(
        sdk::host::ihost_file_write(path.data(), static_cast<int32_t>(path.size()), data.data(),
                                    static_cast<int32_t>(data.size())));
  }
  abi::Status write(std::string_view path, std::string_view text) const {
    return write(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }
  // The names in a directory ("" is the module's own), sorted.
  std::optional<std::vector<std::string>> list(std::string_view path = "",
                                               abi::Status* status = nullptr) const {
    int32_t n = sdk::host::ihost_file_list(path.data(), static_cast<int32_t>(path.size()));
    if (status) *status = n < 0 ? static_cast<abi::Status>(-n) : abi::Status::Ok;
    if (n < 0) return std::nullopt;
    return abi::from_bytes<std::vector<std::string>>(sdk::detail::read_result(n));
  }
  // Deletes a file, or an empty directory.
  abi::Status remove(std::string_view path) const {
    return static_cast<abi::Status>(
        sdk::host::ihost_file_delete(path.data(), static_cast<int32_t>(path.size())));
  }
};

// The Gpu authority (INTERSTICE_REQUEST_AUTHORITY(Gpu)): a small
// WebGPU-like API. Creating functions return a handle > 0, or -status
// (abi::Status: NotPermitted, ShaderError, InvalidHandle, GpuError, …);
// the others return the status. A frame is either immediate (begin_frame,
// draws, end_frame) or encoded (current_texture, an encoder's render pass,
// submit, present), usually in the `render` subscription. docs/sdk.md, "Gpu".
using abi::GpuAttribute;
using abi::GpuBindGroupEntry;
using abi::GpuLayoutEntry;
using abi::GpuPipelineDesc;

class Gpu {
 public:
  enum Stage : int32_t { Vertex = 0, Fragment = 1, Compute = 2 };
  enum Usage : int32_t { VertexBuffer = 1, UniformBuffer = 2, StorageBuffer = 4, IndexBuffer = 8 };
  // (width << 32 | height) of the surface, or -status.
  int64_t surface_size() const { return sdk::host::ihost_gpu_surface_size(); }
  int64_t shader(Stage stage, std::string_view glsl) const {
    return sdk::host::ihost_gpu_create_shader(stage, glsl.data(),
                                              static_cast<int32_t>(glsl.size()));
  }
  int64_t buffer(uint64_t size, int32_t usage) const {
    return sdk::host::ihost_gpu_create_buffer(static_cast<int64_t>(size), usage);
  }
  abi::Status write(int64_t buffer, uint64_t offset, const void* data, size_t size) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_write_buffer(
        buffer, static_cast<int64_t>(offset), data, static_cast<int32_t>(size)));
  }
  int64_t pipeline(const GpuPipelineDesc& desc) const {
    std::vector<uint8_t> bytes = abi::to_bytes(desc);
    return sdk::host::ihost_gpu_create_pipeline(bytes.data(), static_cast<int32_t>(bytes.size()));
  }
  abi::Status begin_frame(float r, float g, float b, float a = 1.0f) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_begin_frame(r, g, b, a));
  }
  // `bindings`: the uniform buffers, then a (texture, sampler) pair per texture.
  abi::Status draw(int64_t pipeline, int64_t vertex_buffer, const std::vector<uint64_t>& bindings,
                   uint32_t vertex_count, uint32_t instance_count = 1) const {
    std::vector<uint8_t> bytes = abi::to_bytes(bindings);
    return static_cast<abi::Status>(sdk::host::ihost_gpu_draw(
        pipeline, vertex_buffer, bytes.data(), static_cast<int32_t>(bytes.size()),
        static_cast<int32_t>(vertex_count), static_cast<int32_t>(instance_count)));
  }
  abi::Status end_frame() const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_end_frame());
  }
  // The surface's pixel format: 0 is RGBA8 unorm (the only one), or -status.
  int32_t surface_format() const { return sdk::host::ihost_gpu_surface_format(); }
  // A bind group: `pipeline`'s resources (as draw's `bindings`), bound once;
  // draw(pipeline, vertex_buffer, {group}, …) then uses it.
  int64_t bind_group(int64_t pipeline, const std::vector<uint64_t>& bindings) const {
    std::vector<uint8_t> bytes = abi::to_bytes(bindings);
    return sdk::host::ihost_gpu_create_bind_group(pipeline, bytes.data(),
                                                  static_cast<int32_t>(bytes.size()));
  }
  // Textures (RGBA8) and samplers; a draw binds (texture, sampler) pairs
  // after the uniform buffers.
  enum Filter : int32_t { Nearest = 0, Linear = 1 };
  int64_t texture(uint32_t width, uint32_t height) const {
    return sdk::host::ihost_gpu_create_texture(static_cast<int32_t>(width),
                                               static_cast<int32_t>(height));
  }
  abi::Status write_texture(int64_t texture, const void* rgba, size_t size) const {
    return static_cast<abi::Status>(
        sdk::host::ihost_gpu_write_texture(texture, rgba, static_cast<int32_t>(size)));
  }
  int64_t sampler(Filter filter) const { return sdk::host::ihost_gpu_create_sampler(filter); }
  // Compute: a pipeline over storage buffers (set 0, bindings 0..n-1); a
  // dispatch runs to completion; read copies a buffer's bytes out.
  int64_t compute_pipeline(int64_t shader, uint32_t storage_buffers) const {
    return sdk::host::ihost_gpu_create_compute_pipeline(shader,
                                                        static_cast<int32_t>(storage_buffers));
  }
  abi::Status dispatch(int64_t pipeline, const std::vector<uint64_t>& buffers, uint32_t x,
                       uint32_t y = 1, uint32_t z = 1) const {
    std::vector<uint8_t> bytes = abi::to_bytes(buffers);
    return static_cast<abi::Status>(sdk::host::ihost_gpu_dispatch(
        pipeline, bytes.data(), static_cast<int32_t>(bytes.size()), static_cast<int32_t>(x),
        static_cast<int32_t>(y), static_cast<int32_t>(z)));
  }
  std::optional<std::vector<uint8_t>> read(int64_t buffer, uint64_t offset, uint32_t size,
                                           abi::Status* status = nullptr) const {
    int32_t n = sdk::host::ihost_gpu_read_buffer(buffer, static_cast<int64_t>(offset),
                                                 static_cast<int32_t>(size));
    if (status) *status = n < 0 ? static_cast<abi::Status>(-n) : abi::Status::Ok;
    if (n < 0) return std::nullopt;
    return sdk::detail::read_result(n);
  }

  // Explicit layouts (WebGPU's createBindGroupLayout, createPipelineLayout,
  // getBindGroupLayout and createBindGroup). A GpuPipelineDesc with a
  // `layout` takes its resources from it; so does compute_pipeline_with_layout.
  int64_t bind_group_layout(const std::vector<GpuLayoutEntry>& entries) const {
    std::vector<uint8_t> bytes = abi::to_bytes(entries);
    return sdk::host::ihost_gpu_create_bind_group_layout(bytes.data(),
                                                         static_cast<int32_t>(bytes.size()));
  }
  int64_t pipeline_layout(const std::vector<uint64_t>& bind_group_layouts) const {
    std::vector<uint8_t> bytes = abi::to_bytes(bind_group_layouts);
    return sdk::host::ihost_gpu_create_pipeline_layout(bytes.data(),
                                                       static_cast<int32_t>(bytes.size()));
  }
  int64_t pipeline_bind_group_layout(int64_t pipeline, uint32_t index) const {
    return sdk::host::ihost_gpu_pipeline_bind_group_layout(pipeline, static_cast<int32_t>(index));
  }
  int64_t bind_group_of_layout(int64_t layout,
                               const std::vector<GpuBindGroupEntry>& entries) const {
    std::vector<uint8_t> bytes = abi::to_bytes(entries);
    return sdk::host::ihost_gpu_create_bind_group_with_layout(layout, bytes.data(),
                                                              static_cast<int32_t>(bytes.size()));
  }
  int64_t compute_pipeline_with_layout(int64_t shader, int64_t layout) const {
    return sdk::host::ihost_gpu_create_compute_pipeline_with_layout(shader, layout);
  }

  // Command encoders (WebGPU's model): record passes into an encoder, finish
  // it into a command buffer, submit command buffers (each once; they run to
  // completion, in order). A render pass targets a texture or
  // current_texture(), the surface's texture of this frame, which present()
  // shows; after a present or a window resize it is SurfaceOutdated.
  int64_t command_encoder() const { return sdk::host::ihost_gpu_create_command_encoder(); }
  // With a `depth` texture (depth_texture(w, h), the target's size), the pass
  // has a depth attachment, cleared to `depth_clear`; pipelines with a
  // GpuPipelineDesc::depth test run only in such passes.
  int64_t begin_render_pass(int64_t encoder, int64_t target, float r, float g, float b,
                            float a = 1.0f, bool load = false, int64_t depth = 0,
                            float depth_clear = 1.0f) const {
    if (depth == 0)
      return sdk::host::ihost_gpu_begin_render_pass(encoder, target, r, g, b, a, load ? 1 : 0);
    return sdk::host::ihost_gpu_begin_render_pass_depth(encoder, target, r, g, b, a, load ? 1 : 0,
                                                        depth, depth_clear);
  }
  int64_t depth_texture(uint32_t width, uint32_t height) const {
    return sdk::host::ihost_gpu_create_depth_texture(static_cast<int32_t>(width),
                                                     static_cast<int32_t>(height));
  }
  int64_t begin_compute_pass(int64_t encoder) const {
    return sdk::host::ihost_gpu_begin_compute_pass(encoder);
  }
  abi::Status set_pipeline(int64_t pass, int64_t pipeline) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_pass_set_pipeline(pass, pipeline));
  }
  abi::Status set_bind_group(int64_t pass, uint32_t index, int64_t group) const {
    return static_cast<abi::Status>(
        sdk::host::ihost_gpu_pass_set_bind_group(pass, static_cast<int32_t>(index), group));
  }
  abi::Status set_vertex_buffer(int64_t pass, int64_t buffer) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_pass_set_vertex_buffer(pass, buffer));
  }
  enum IndexFormat : int32_t { Uint16 = 0, Uint32 = 1 };
  abi::Status set_index_buffer(int64_t pass, int64_t buffer, IndexFormat format) const {
    return static_cast<abi::Status>(
        sdk::host::ihost_gpu_pass_set_index_buffer(pass, buffer, format));
  }
  abi::Status pass_draw_indexed(int64_t pass, uint32_t index_count, uint32_t instance_count = 1,
                                uint32_t first_index = 0, int32_t base_vertex = 0,
                                uint32_t first_instance = 0) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_pass_draw_indexed(
        pass, static_cast<int32_t>(index_count), static_cast<int32_t>(instance_count),
        static_cast<int32_t>(first_index), base_vertex, static_cast<int32_t>(first_instance)));
  }
  abi::Status pass_draw(int64_t pass, uint32_t vertex_count, uint32_t instance_count = 1,
                        uint32_t first_vertex = 0, uint32_t first_instance = 0) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_pass_draw(
        pass, static_cast<int32_t>(vertex_count), static_cast<int32_t>(instance_count),
        static_cast<int32_t>(first_vertex), static_cast<int32_t>(first_instance)));
  }
  abi::Status pass_dispatch(int64_t pass, uint32_t x, uint32_t y = 1, uint32_t z = 1) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_pass_dispatch(
        pass, static_cast<int32_t>(x), static_cast<int32_t>(y), static_cast<int32_t>(z)));
  }
  abi::Status end_pass(int64_t pass) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_pass_end(pass));
  }
  abi::Status copy_buffer(int64_t encoder, int64_t source, uint64_t source_offset,
                          int64_t destination, uint64_t destination_offset, uint64_t size) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_encoder_copy_buffer(
        encoder, source, static_cast<int64_t>(source_offset), destination,
        static_cast<int64_t>(destination_offset), static_cast<int64_t>(size)));
  }
  int64_t finish(int64_t encoder) const { return sdk::host::ihost_gpu_encoder_finish(encoder); }
  abi::Status submit(const std::vector<uint64_t>& command_buffers) const {
    std::vector<uint8_t> bytes = abi::to_bytes(command_buffers);
    return static_cast<abi::Status>(
        sdk::host::ihost_gpu_queue_submit(bytes.data(), static_cast<int32_t>(bytes.size())));
  }
  int64_t current_texture() const { return sdk::host::ihost_gpu_get_current_texture(); }
  abi::Status present() const { return static_cast<abi::Status>(sdk::host::ihost_gpu_present()); }
  // Destroys an object (WebGPU's destroy()): refused while another live
  // object or a recorded command uses it; an encoder is simply dropped.
  // Objects otherwise live until the module is removed.
  abi::Status release(int64_t handle) const {
    return static_cast<abi::Status>(sdk::host::ihost_gpu_release(handle));
  }
};

// The Audio authority (INTERSTICE_REQUEST_AUTHORITY(Audio)): one output
// stream of float samples, interleaved by channel. open returns Unavailable
// where the node has no audio device: a normal condition to handle.
class Audio {
 public:
  abi::Status open(uint32_t sample_rate, uint32_t channels) const {
    return static_cast<abi::Status>(sdk::host::ihost_audio_open(static_cast<int32_t>(sample_rate),
                                                                static_cast<int32_t>(channels)));
  }
  abi::Status push(std::span<const float> samples) const {
    return static_cast<abi::Status>(sdk::host::ihost_audio_push(
        samples.data(), static_cast<int32_t>(samples.size() * sizeof(float))));
  }
  // The queued samples still play; then the stream closes.
  abi::Status close() const { return static_cast<abi::Status>(sdk::host::ihost_audio_close()); }

  // Capture: open_capture starts recording (Unavailable without a capture
  // device); read_capture takes up to `max_samples` of what was captured
  // since, oldest first (possibly none yet). What a reducer reads is
  // recorded in the log, so replay hears the same samples.
  abi::Status open_capture(uint32_t sample_rate, uint32_t channels) const {
    return static_cast<abi::Status>(sdk::host::ihost_audio_capture_open(
        static_cast<int32_t>(sample_rate), static_cast<int32_t>(channels)));
  }
  std::optional<std::vector<float>> read_capture(uint32_t max_samples,
                                                 abi::Status* status = nullptr) const {
    int32_t n = sdk::host::ihost_audio_capture_read(static_cast<int32_t>(max_samples * 4));
    if (status) *status = n < 0 ? static_cast<abi::Status>(-n) : abi::Status::Ok;
    if (n < 0) return std::nullopt;
    std::vector<uint8_t> bytes = sdk::detail::read_result(n);
    std::vector<float> samples(bytes.size() / sizeof(float));
    std::memcpy(samples.data(), bytes.data(), samples.size() * sizeof(float));
    return samples;
  }
  abi::Status close_capture() const {
    return static_cast<abi::Status>(sdk::host::ihost_audio_capture_close());
  }
};

// ------------------------------------------------------------- reducers --

class ReducerContext {
 public:
  // Writes to the node's log, tagged with this module and reducer.
  void log(std::string_view message, abi::LogLevel level = abi::LogLevel::Info) const {
    sdk::host::ihost_log(static_cast<int32_t>(level), message.data(),
                         static_cast<int32_t>(message.size()));
  }
  // The transaction's timestamp (microseconds since the Unix epoch), recorded
  // in the log: the same on every replay.
  int64_t timestamp() const { return sdk::host::ihost_tx_timestamp(); }
  // Deterministic per-transaction random numbers.
  uint64_t random() const { return static_cast<uint64_t>(sdk::host::ihost_tx_random()); }
  // Who called this reducer: the calling module's name for calls made with
  // call(), empty for calls from the node's interface, init and subscriptions.
  std::string caller() const {
    return std::string(as_text(sdk::detail::read_result(sdk::host::ihost_tx_caller())));
  }
  // Queues a call of `module.reducer(args...)`, run after this reducer's
  // transaction commits (and not at all if it fails). The status says
  // whether the target exists and takes these arguments.
  template <typename... Args>
  abi::Status call(std::string_view module, std::string_view reducer, const Args&... args) const {
    std::vector<uint8_t> bytes = abi::to_bytes(std::make_tuple(args...));
    return static_cast<abi::Status>(sdk::host::ihost_call_reducer(
        module.data(), static_cast<int32_t>(module.size()), reducer.data(),
        static_cast<int32_t>(reducer.size()), bytes.data(), static_cast<int32_t>(bytes.size())));
  }
  // Queues a call of `module.reducer(args...)` on the remote node declared as
  // `alias` (INTERSTICE_NODE), sent after this transaction commits. Its
  // outcome later runs this module's reducer `callback(ReducerContext&,
  // uint64_t call_id, bool ok, std::string error)`. Returns the call id, or 0
  // when the alias or callback is unknown.
  template <typename... Args>
  uint64_t call_node(std::string_view alias, std::string_view module, std::string_view reducer,
                     std::string_view callback, const Args&... args) const {
    std::vector<uint8_t> bytes = abi::to_bytes(std::make_tuple(args...));
    int64_t id = sdk::host::ihost_call_node(alias.data(), static_cast<int32_t>(alias.size()),
                                            module.data(), static_cast<int32_t>(module.size()),
                                            reducer.data(), static_cast<int32_t>(reducer.size()),
                                            bytes.data(), static_cast<int32_t>(bytes.size()),
                                            callback.data(), static_cast<int32_t>(callback.size()));
    return id < 0 ? 0 : static_cast<uint64_t>(id);
  }
  // Asks the query `module.query(args...)` of the remote node `alias`
  // (INTERSTICE_NODE) once this transaction commits, and returns the call id
  // (0 if the alias or callback is unknown, or the timeout is not 1 ms to an
  // hour). The answer runs `callback(ctx, call_id, ok, error,
  // std::optional<R> value)` (INTERSTICE_CALLBACK) as a transaction of its
  // own: with the value, or with ok false and why (the peer refused, the
  // query failed, "timed out" when no answer came within `timeout_ms` of
  // this transaction's time). The peer answers through its views.
  template <typename... Args>
  uint64_t query_node(std::string_view alias, std::string_view module, std::string_view query,
                      std::string_view callback, uint32_t timeout_ms, const Args&... args) const {
    std::vector<uint8_t> bytes = abi::to_bytes(std::make_tuple(args...));
    int64_t id = sdk::host::ihost_query_node(
        alias.data(), static_cast<int32_t>(alias.size()), module.data(),
        static_cast<int32_t>(module.size()), query.data(), static_cast<int32_t>(query.size()),
        bytes.data(), static_cast<int32_t>(bytes.size()), callback.data(),
        static_cast<int32_t>(callback.size()), timeout_ms);
    return id < 0 ? 0 : static_cast<uint64_t>(id);
  }
  // Asks the query `module.query(args...)` (INTERSTICE_QUERY) and returns
  // its value, at once, inside this transaction: the module must run on
  // this one's executor, which a dependency does (INTERSTICE_DEPENDENCY).
  // Without a value, `status` says why (NoSuchModule, NoSuchReducer,
  // NotPermitted: not a query, BadArguments, Unavailable: another executor,
  // QueryFailed).
  template <typename R, typename... Args>
  QueryResult<R> query(std::string_view module, std::string_view query, const Args&... args) const {
    std::vector<uint8_t> bytes = abi::to_bytes(std::make_tuple(args...));
    int32_t length = sdk::host::ihost_query_call(module.data(), static_cast<int32_t>(module.size()),
                                                 query.data(), static_cast<int32_t>(query.size()),
                                                 bytes.data(), static_cast<int32_t>(bytes.size()));
    if (length < 0) return {std::nullopt, static_cast<abi::Status>(-length)};
    return {abi::from_bytes<R>(sdk::detail::read_result(length)), abi::Status::Ok};
  }
  // Fails the reducer: its writes are rolled back and `why` is reported.
  [[noreturn]] void fail(std::string_view why) const {
    sdk::host::ihost_fail(why.data(), static_cast<int32_t>(why.size()));
    __builtin_trap();
  }
  template <typename T>
  Table<T> table() const {
    return Table<T>();
  }
  // The File authority (see Files).
  Files files() const { return Files(); }
  // The Gpu authority (see Gpu).
  Gpu gpu() const { return Gpu(); }
  // The Audio authority (see Audio).
  Audio audio() const { return Audio(); }

 private:
  static std::string_view as_text(const std::vector<uint8_t>& bytes) {
    return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
};

namespace sdk::detail {

template <typename... Args, size_t... I>
int32_t invoke_reducer(void (*fn)(ReducerContext&, Args...), ReducerContext& ctx, abi::Reader& r,
                       std::index_sequence<I...>) {
  std::tuple<std::decay_t<Args>...> args;
  (abi::decode(r, std::get<I>(args)), ...);
  if (!r.ok() || !r.at_end()) return 2;
  fn(ctx, std::move(std::get<I>(args))...);
  return 0;
}

template <typename... Args>
int32_t register_reducer(const char* name, void (*fn)(ReducerContext&, Args...),
                         std::initializer_list<const char*> param_names, const char* event,
                         abi::ReducerKind kind = abi::ReducerKind::Callable) {
  static_assert((abi::Encodable<std::decay_t<Args>> && ...),
                "every reducer parameter after the ReducerContext must be an encodable type");
  Registry& reg = registry();
  abi::ReducerDef def{name, {}, kind};
  std::vector<abi::Type> types{abi::type_of<std::decay_t<Args>>(reg.types)...};
  auto names = param_names.begin();
  for (size_t i = 0; i < types.size(); ++i) {
    std::string param = names != param_names.end() ? *names++ : "arg" + std::to_string(i);
    def.params.push_back(abi::Field{std::move(param), std::move(types[i])});
  }
  reg.schema.reducers.push_back(std::move(def));
  reg.reducers.push_back(
      ReducerEntry{reinterpret_cast<void*>(fn), [](void* f, ReducerContext& ctx, abi::Reader& r) {
                     auto typed = reinterpret_cast<void (*)(ReducerContext&, Args...)>(f);
                     return invoke_reducer(typed, ctx, r, std::index_sequence_for<Args...>{});
                   }});
  if (event) reg.schema.subscriptions.push_back(abi::SubscriptionDef{event, name});
  return static_cast<int32_t>(reg.reducers.size() - 1);
}

inline int32_t add_migration(const char* table, const char* reducer, const char* from) {
  registry().schema.migrations.push_back(abi::MigrationDef{table, from, reducer});
  return 0;
}

// A query registered as a reducer whose body hands the value to the host.
template <auto Fn>
struct QueryWrapper;
template <typename R, typename... Args, R (*Fn)(ReducerContext&, Args...)>
struct QueryWrapper<Fn> {
  using Result = R;
  static void call(ReducerContext& ctx, Args... args) {
    std::vector<uint8_t> value = abi::to_bytes(Fn(ctx, std::move(args)...));
    sdk::host::ihost_query_return(value.data(), static_cast<int32_t>(value.size()));
  }
};

template <auto Fn>
int32_t register_query(const char* name, std::initializer_list<const char*> param_names) {
  using R = typename QueryWrapper<Fn>::Result;
  static_assert(abi::Encodable<R>, "a query must return an encodable type");
  Registry& reg = registry();
  int32_t id = register_reducer(name, &QueryWrapper<Fn>::call, param_names, nullptr,
                                abi::ReducerKind::Query);
  reg.schema.reducers.back().result.push_back(abi::type_of<R>(reg.types));
  return id;
}

inline int32_t request_authority(abi::Authority authority) {
  registry().schema.authorities.push_back(authority);
  return 0;
}

inline int32_t add_dependency(const char* module, const char* requirement) {
  registry().schema.dependencies.push_back(abi::DependencyDef{module, requirement, ""});
  return 0;
}

inline int32_t add_node(const char* alias, const char* address) {
  registry().schema.nodes.push_back(abi::NodeDef{alias, address});
  return 0;
}

inline int32_t register_module(const char* name, const char* version, Visibility visibility) {
  abi::ModuleSchema& s = registry().schema;
  if (s.name.empty()) s.name = name;  // keeps an earlier "invalid module" marker
  auto parsed = abi::SemVer::parse(version);
  if (!parsed)
    fail_registration(std::string("version '") + version + "' is not MAJOR.MINOR.PATCH");
  else
    s.version = *parsed;
  s.visibility = visibility;
  return 0;
}

// [u32 length][encoded schema], built on first request.
inline const uint8_t* encoded_schema() {
  static std::vector<uint8_t> bytes;
  if (bytes.empty()) {
    Registry& reg = registry();
    reg.schema.types = reg.types.defs;
    std::vector<uint8_t> body = abi::to_bytes(reg.schema);
    abi::Writer w(bytes);
    w.length(body.size());
    w.raw(body.data(), body.size());
  }
  return bytes.data();
}

inline int32_t run_reducer(int32_t id, uint8_t* args, int32_t length) {
  Registry& reg = registry();
  if (id < 0 || static_cast<size_t>(id) >= reg.reducers.size()) return 2;
  ReducerContext ctx;
  abi::Reader r(std::span<const uint8_t>(args, static_cast<size_t>(length)));
  int32_t status = reg.reducers[id].invoke(reg.reducers[id].function, ctx, r);
  std::free(args);
  return status;
}

}  // namespace sdk::detail
}  // namespace interstice

#define INTERSTICE_CONCAT_INNER(a, b) a##b
#define INTERSTICE_CONCAT(a, b) INTERSTICE_CONCAT_INNER(a, b)

// Names the module; exactly once per module, in one source file.
#define INTERSTICE_MODULE(name, version, visibility)                                           \
  static const int32_t interstice_module_registered =                                          \
      ::interstice::sdk::detail::register_module(#name, version, visibility);                  \
  extern "C" __attribute__((export_name("__interstice_schema"))) const uint8_t*                \
  interstice_export_schema() {                                                                 \
    return ::interstice::sdk::detail::encoded_schema();                                        \
  }                                                                                            \
  extern "C" __attribute__((export_name("__interstice_alloc"))) void* interstice_export_alloc( \
      int32_t size) {                                                                          \
    return std::malloc(static_cast<size_t>(size > 0 ? size : 1));                              \
  }                                                                                            \
  extern "C" __attribute__((export_name("__interstice_reducer"))) int32_t                      \
  interstice_export_reducer(int32_t id, uint8_t* args, int32_t length) {                       \
    return ::interstice::sdk::detail::run_reducer(id, args, length);                           \
  }

// Declares table `name` with rows of `Row` and its options: primary_key(&Row::m)
// (required), auto_inc(&Row::m), index(&Row::m, "name"), unique_index(...),
// column_default(&Row::m, value), scheduled(&Row::m, "reducer"), view("condition"),
// public_table(), stateful(), ephemeral().
#define INTERSTICE_TABLE(name, RowType, ...)                        \
  struct name {                                                     \
    using Row = RowType;                                            \
    static constexpr std::string_view table_name() {                \
      return #name;                                                 \
    }                                                               \
    static constexpr auto options() {                               \
      using namespace ::interstice::sdk::table_options;             \
      return std::make_tuple(__VA_ARGS__);                          \
    }                                                               \
  };                                                                \
  static const int32_t INTERSTICE_CONCAT(interstice_table_, name) = \
      ::interstice::sdk::detail::register_table<name>();

// Registers `fn(ReducerContext&, Args...)` as a reducer; optional parameter names follow.
#define INTERSTICE_REDUCER(fn, ...)                                 \
  static const int32_t INTERSTICE_CONCAT(interstice_reducer_, fn) = \
      ::interstice::sdk::detail::register_reducer(#fn, &fn, {__VA_ARGS__}, nullptr);

// Registers `fn` as a reducer that only the modules of this node may call
// (ctx.call); HTTP clients and peers get "internal".
#define INTERSTICE_INTERNAL_REDUCER(fn, ...)                                        \
  static const int32_t INTERSTICE_CONCAT(interstice_reducer_, fn) =                 \
      ::interstice::sdk::detail::register_reducer(#fn, &fn, {__VA_ARGS__}, nullptr, \
                                                  ::interstice::abi::ReducerKind::Internal);

// Registers `fn(ReducerContext&, uint64_t call_id, bool ok, std::string error)`
// as the callback of remote calls (ctx.call_node names it), or with a fourth
// parameter `std::optional<R> value` of remote queries (ctx.query_node): only
// the node calls it, with the outcome; nobody else can forge one.
#define INTERSTICE_CALLBACK(fn, ...)                                                \
  static const int32_t INTERSTICE_CONCAT(interstice_reducer_, fn) =                 \
      ::interstice::sdk::detail::register_reducer(#fn, &fn, {__VA_ARGS__}, nullptr, \
                                                  ::interstice::abi::ReducerKind::Callback);

// Registers `fn` as a reducer that runs on `event` ("init", "module.table.insert", ...).
// Only the node calls it (its arguments are events nobody may forge).
#define INTERSTICE_SUBSCRIBE(fn, event, ...)                        \
  static const int32_t INTERSTICE_CONCAT(interstice_reducer_, fn) = \
      ::interstice::sdk::detail::register_reducer(#fn, &fn, {__VA_ARGS__}, event);

// Registers `R fn(ReducerContext&, Args...)` as a query: a read-only
// question that returns a value. It cannot write tables or call reducers
// (ReadOnly), and is never logged. Modules of this node ask it with
// ctx.query<R>(...), clients with POST /query/MODULE/QUERY or `interstice
// query-call`. Parameter names are optional.
#define INTERSTICE_QUERY(fn, ...)                                 \
  static const int32_t INTERSTICE_CONCAT(interstice_query_, fn) = \
      ::interstice::sdk::detail::register_query<&fn>(#fn, {__VA_ARGS__});

// Declares `fn(ReducerContext&, OldRow old)` the migration of table `table`
// from the versions matching `from` ("<0.5.0", "^0.4", "=0.4.2", "*"): when
// this version replaces one of those, the node calls `fn` once for each row
// of the old version's `table`, in primary-key order, all in one transaction,
// before the new version serves anything. OldRow is a struct of this module
// with the old row's shape (field names and types, in order). `fn` writes the
// rows it wants into this version's tables; the old table's rows are not
// carried over otherwise. If any call fails, nothing changes and the old
// version stays loaded. Only the node calls it.
#define INTERSTICE_MIGRATE(table, fn, from)                                                  \
  static const int32_t INTERSTICE_CONCAT(interstice_reducer_, fn) =                          \
      ::interstice::sdk::detail::register_reducer(#fn, &fn, {"old"}, nullptr,                \
                                                  ::interstice::abi::ReducerKind::Internal); \
  static const int32_t INTERSTICE_CONCAT(interstice_migration_, fn) =                        \
      ::interstice::sdk::detail::add_migration(#table, #fn, from);

// Requests an authority (Gpu, Input, Audio, File); the node grants it by policy.
#define INTERSTICE_REQUEST_AUTHORITY(name)                              \
  static const int32_t INTERSTICE_CONCAT(interstice_authority_, name) = \
      ::interstice::sdk::detail::request_authority(::interstice::abi::Authority::name);

// Needs module `module` loaded on this node, at a version matching
// `requirement` (Cargo spelling: "^1.2.0", "~1.2", ">=1.0.0", "=1.2.3", "*").
#define INTERSTICE_DEPENDENCY(module, requirement)                              \
  static const int32_t INTERSTICE_CONCAT(interstice_dependency_, __COUNTER__) = \
      ::interstice::sdk::detail::add_dependency(module, requirement);

// Declares a remote node this module talks to, by alias and "host:port" (the
// node's peer port). The node connects to it when the module loads.
#define INTERSTICE_NODE(alias, address)                                   \
  static const int32_t INTERSTICE_CONCAT(interstice_node_, __COUNTER__) = \
      ::interstice::sdk::detail::add_node(alias, address);

// Registers `fn(ReducerContext&)` to run once, on the module's first load ever.
#define INTERSTICE_INIT(fn) INTERSTICE_SUBSCRIBE(fn, "init")

// Registers `fn(ReducerContext&)` to run on every load: each start of the
// node, and when this version is published (after init, for a new module).
#define INTERSTICE_LOAD(fn) INTERSTICE_SUBSCRIBE(fn, "load")

// Registers `fn(ReducerContext&, Row)` as the reducer of a scheduled table
// (the table's scheduled(...) option names it). Only the node calls it.
#define INTERSTICE_SCHEDULED(fn, ...)                               \
  static const int32_t INTERSTICE_CONCAT(interstice_reducer_, fn) = \
      ::interstice::sdk::detail::register_reducer(#fn, &fn, {__VA_ARGS__}, nullptr);
