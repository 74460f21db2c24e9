#include "runtime/runtime.h"

#include "base/clock.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "abi/input_event.h"
#include "abi/schema_check.h"
#include "abi/type_match.h"
#include "runtime/host_functions.h"
#include "runtime/publish_plan.h"
#include "runtime/schedules.h"
#include "runtime/splitmix.h"

namespace interstice::runtime {

namespace {

thread_local uint64_t current_logging_offset = 0;

void spdlog_sink(const LogRecord& r) {
  static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::trace,
                                                          spdlog::level::debug, spdlog::level::info,
                                                          spdlog::level::warn, spdlog::level::err};
  std::string where = r.reducer.empty() ? r.module : r.module + "::" + r.reducer;
  current_logging_offset = r.offset;
  spdlog::log(kLevels[static_cast<int>(r.level)], "[{}] {}", where, r.message);
  current_logging_offset = 0;
}

// SplitMix64 of the node seed and the transaction number: every transaction
// gets its own, reproducible, random stream.
uint64_t transaction_seed(uint64_t node_seed, uint64_t number) {
  return splitmix64(node_seed + kGoldenGamma * (number + 1));
}

base::Error error(std::string message) {
  return base::make_error(std::move(message));
}

}  // namespace

Runtime::Runtime(RuntimeOptions options, std::shared_ptr<engine::Engine> engine)
    : options_(std::move(options)), engine_(std::move(engine)) {
  if (!options_.clock) options_.clock = [] { return base::Clock::system().now_micros(); };
  if (!options_.log_sink) options_.log_sink = spdlog_sink;
}

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options) {
  auto engine = engine::Engine::create(options.engine);
  if (!engine) return engine.take_error();
  return std::unique_ptr<Runtime>(new Runtime(std::move(options), std::move(engine).value()));
}

uint64_t logging_offset() {
  return current_logging_offset;
}

void Runtime::emit(LogRecord record) {
  options_.log_sink(record);
}

void Runtime::log(const LoadedModule& module, abi::LogLevel level, std::string message) {
  auto now = std::chrono::steady_clock::now();
  LogBudget& budget = module.log_budget;
  if (now - budget.window_start >= std::chrono::seconds(1)) {
    if (budget.suppressed > 0)
      emit(LogRecord{abi::LogLevel::Warn, module.name, "",
                     fmt::format("{} log lines suppressed (over {} a second)", budget.suppressed,
                                 options_.max_log_lines_per_second)});
    budget = LogBudget{now, 0, 0};
  }
  if (++budget.lines > options_.max_log_lines_per_second) {
    ++budget.suppressed;
    return;
  }
  LogRecord line{level, module.name, module.current_reducer, bounded_text(std::move(message))};
  if (module.hold_logs)
    module.held_logs.push_back(std::move(line));
  else
    emit(std::move(line));
}

void Runtime::release_logs(const LoadedModule& module, uint64_t offset) {
  module.hold_logs = false;
  std::vector<LogRecord> held;
  held.swap(module.held_logs);
  for (LogRecord& line : held) {
    line.offset = offset;
    emit(std::move(line));
  }
}

std::string Runtime::bounded_text(std::string text) const {
  if (text.size() <= options_.max_log_line_bytes) return text;
  size_t cut = text.size() - options_.max_log_line_bytes;
  text.resize(options_.max_log_line_bytes);
  return text + fmt::format("… ({} more bytes)", cut);
}

abi::Status Runtime::check_call_quota(const LoadedModule& module, const Transaction& tx,
                                      size_t arg_bytes) {
  bool too_many = tx.queued_calls() >= options_.max_calls_per_transaction;
  if (!too_many && tx.queued_call_bytes() + arg_bytes <= options_.max_call_bytes_per_transaction)
    return abi::Status::Ok;
  log(module, abi::LogLevel::Warn,
      too_many ? fmt::format("call refused: this transaction already queued {} calls (the limit)",
                             options_.max_calls_per_transaction)
               : fmt::format("call refused: this transaction's calls would hold {} bytes of "
                             "arguments, over the limit of {}",
                             tx.queued_call_bytes() + arg_bytes,
                             options_.max_call_bytes_per_transaction));
  return abi::Status::QuotaExceeded;
}

LoadedModule* Runtime::find(std::string_view module) const {
  for (const auto& m : modules_)
    if (m->name == module) return m.get();
  return nullptr;
}

std::vector<std::string> Runtime::module_names() const {
  std::vector<std::string> names;
  for (const auto& m : modules_) names.push_back(m->name);
  return names;
}

const abi::ModuleSchema* Runtime::schema(std::string_view module) const {
  LoadedModule* m = find(module);
  return m ? &m->schema : nullptr;
}

const Table* Runtime::table(std::string_view module, std::string_view table) const {
  LoadedModule* m = find(module);
  if (!m) return nullptr;
  for (const auto& t : m->tables)
    if (t->name() == table) return t.get();
  return nullptr;
}

Result<std::unique_ptr<LoadedModule>> Runtime::instantiate(ByteView wasm,
                                                           std::string_view source_name) {
  auto compiled = engine_->load(wasm, source_name);
  if (!compiled) return compiled.take_error();
  auto m = std::make_unique<LoadedModule>();
  m->runtime = this;
  m->name = std::string(source_name);
  m->linker = std::make_unique<engine::Linker>(engine_);
  if (auto r = define_interstice_host(*m->linker); !r) return r.take_error();
  if (auto r = define_wasi(*m->linker, *compiled); !r) return r.take_error();
  m->compiled = std::move(*compiled);
  auto instance = fresh_instance(*m, source_name);
  if (!instance) return instance.take_error();
  m->instance = std::move(*instance);
  std::string where(source_name);

  auto schema_fn = m->instance->typed<int32_t()>(abi::exports::kSchema);
  if (!schema_fn)
    return error(where + ": not an Interstice module (it must export " + abi::exports::kSchema +
                 "; build it with the SDK)");
  auto address = (*schema_fn)();
  if (!address) return error(where + ": reading the schema failed: " + address.error().message);
  engine::MemoryView memory = m->instance->memory();
  auto length = memory.load<uint32_t>(static_cast<uint32_t>(*address));
  auto bytes =
      length ? memory.bytes(static_cast<uint32_t>(*address) + 4ull, *length) : std::nullopt;
  if (!bytes) return error(where + ": the schema lies outside the module's memory");
  // The version comes first in every ABI's encoding: say so before the rest
  // fails to decode.
  auto abi_version = bytes->size() >= 4 ? abi::from_bytes<uint32_t>(bytes->first(4)) : std::nullopt;
  if (abi_version && *abi_version != abi::kAbiVersion)
    return error(
        fmt::format("{}: built for ABI version {}, this node speaks version {}: rebuild "
                    "it with this node's SDK",
                    where, *abi_version, abi::kAbiVersion));
  std::string why;
  auto schema = abi::from_bytes<abi::ModuleSchema>(*bytes, &why);
  if (!schema)
    return error(where + ": the schema is not a valid encoded ModuleSchema (" + why + ")");
  m->schema = std::move(*schema);
  return m;
}

Result<std::unique_ptr<engine::Instance>> Runtime::fresh_instance(LoadedModule& m,
                                                                  std::string_view where) {
  engine::InstanceOptions instance_options{options_.limits, &m};
  auto created = engine::Instance::create(*m.linker, *m.compiled, instance_options);
  if (!created) return created.take_error();
  std::unique_ptr<engine::Instance> inst = std::move(*created);
  if (inst->signature(abi::exports::kInitialize).ok()) {
    auto initialize = inst->typed<void()>(abi::exports::kInitialize);
    if (!initialize) return initialize.take_error();
    if (auto r = (*initialize)(); !r)
      return error(std::string(where) + ": static initialization failed: " + r.error().message);
  }
  auto alloc = inst->typed<int32_t(int32_t)>(abi::exports::kAlloc);
  auto reducer = inst->typed<int32_t(int32_t, int32_t, int32_t)>(abi::exports::kReducer);
  if (!alloc || !reducer)
    return error(std::string(where) + ": not an Interstice module (it must export " +
                 abi::exports::kSchema + ", " + abi::exports::kAlloc + " and " +
                 abi::exports::kReducer + "; build it with the SDK)");
  m.alloc = *alloc;
  m.reducer = *reducer;
  return inst;
}

void Runtime::restore_instance(LoadedModule& m) {
  // The old instance must outlive the typed handles until they are replaced.
  std::unique_ptr<engine::Instance> old = std::move(m.instance);
  auto fresh = fresh_instance(m, m.name);
  if (fresh) {
    m.instance = std::move(*fresh);
    return;
  }
  // Cannot happen for a module that instantiated once, short of the host
  // running out of memory; keep the old instance rather than none.
  m.instance = std::move(old);
  m.alloc = *m.instance->typed<int32_t(int32_t)>(abi::exports::kAlloc);
  m.reducer = *m.instance->typed<int32_t(int32_t, int32_t, int32_t)>(abi::exports::kReducer);
  emit(LogRecord{abi::LogLevel::Error, m.name, "",
                 "could not make a fresh instance after a trap: " + fresh.error().message});
}

// "Node.module.table.op": the node must be declared (INTERSTICE_NODE) and
// the reducer take the row (two for update) of one of the module's own
// types; the remote node checks that type against its table's when the
// subscription reaches it.
Result<void> Runtime::check_remote_subscription(const LoadedModule& m, const abi::EventName& event,
                                                const abi::ReducerDef& reducer) const {
  const std::string& alias = event.node;
  std::string text = event.to_string();
  bool declared = std::any_of(m.schema.nodes.begin(), m.schema.nodes.end(),
                              [&](const abi::NodeDef& n) { return n.alias == alias; });
  if (!declared)
    return error(
        fmt::format("module '{}': subscription to '{}': node '{}' is not declared "
                    "(INTERSTICE_NODE)",
                    m.name, text, alias));
  size_t expected = event.op == abi::TableOp::Update ? 2 : 1;
  bool ok = reducer.params.size() == expected;
  for (const abi::Field& p : reducer.params)
    ok = ok && p.type.kind == abi::TypeKind::Named && p.type == reducer.params[0].type;
  if (!ok)
    return error(fmt::format("module '{}': subscription to '{}': reducer {} must take {}", m.name,
                             text, reducer.name,
                             expected == 2 ? "the old and the new row" : "the row"));
  return {};
}

Result<void> Runtime::check_subscriptions(const LoadedModule& m) const {
  using Kind = abi::EventName::Kind;
  for (size_t i = 0; i < m.schema.subscriptions.size(); ++i) {
    const abi::SubscriptionDef& sub = m.schema.subscriptions[i];
    const abi::EventName& event = m.events[i];
    const abi::ReducerDef& reducer = *m.schema.find_reducer(sub.reducer);
    switch (event.kind) {
      case Kind::Init:
      case Kind::Load:
        if (!reducer.params.empty())
          return error(fmt::format("module '{}': {} reducer {} must take no parameters", m.name,
                                   sub.event, reducer.name));
        break;
      case Kind::PeerConnect:
      case Kind::PeerDisconnect: {
        abi::Type text = abi::primitive(abi::TypeKind::String);
        if (reducer.params.size() != 2 || reducer.params[0].type != text ||
            reducer.params[1].type != text)
          return error(
              fmt::format("module '{}': {} reducer {} must take (string node_id, string address)",
                          m.name, sub.event, reducer.name));
        break;
      }
      case Kind::Render:
        if (reducer.params.size() != 1 ||
            reducer.params[0].type != abi::primitive(abi::TypeKind::U64))
          return error(fmt::format("module '{}': render reducer {} must take (uint64_t frame)",
                                   m.name, reducer.name));
        break;
      case Kind::Input: {
        abi::TypeRegistry host_types;
        abi::Type expected = abi::type_of<abi::InputEvent>(host_types);
        std::string mismatch =
            reducer.params.size() != 1
                ? "it takes " + std::to_string(reducer.params.size()) + " parameters"
                : abi::type_mismatch(reducer.params[0].type, abi::TypeResolver(m.schema.types),
                                     expected, abi::TypeResolver(host_types.defs));
        if (!mismatch.empty())
          return error(
              fmt::format("module '{}': input reducer {} must take (interstice::InputEvent): {}",
                          m.name, reducer.name, mismatch));
        break;
      }
      case Kind::RemoteTable:
        if (auto r = check_remote_subscription(m, event, reducer); !r) return r;
        break;
      case Kind::LocalTable: {
        const LoadedModule* owner = event.module == m.name ? &m : find(event.module);
        if (!owner) break;  // the event fires once that module is loaded
        const abi::TableDef* def = owner->schema.find_table(event.table);
        if (!def)
          return error(
              fmt::format("module '{}': subscription to '{}': module '{}' has no table '{}'",
                          m.name, sub.event, event.module, event.table));
        size_t expected = event.op == abi::TableOp::Update ? 2 : 1;
        bool ok = reducer.params.size() == expected;
        for (const abi::Field& p : reducer.params)
          ok = ok && p.type.kind == abi::TypeKind::Named && p.type.name == def->row_type;
        if (!ok)
          return error(fmt::format(
              "module '{}': subscription to '{}': reducer {} must take {} ({})", m.name, sub.event,
              reducer.name, expected == 2 ? "the old and the new row" : "the row", def->row_type));
        break;
      }
    }
  }
  return {};
}

void Runtime::index_subscriptions() {
  table_subscribers_.clear();
  other_subscribers_.clear();
  for (const auto& m : modules_) {
    for (size_t i = 0; i < m->schema.subscriptions.size(); ++i) {
      const abi::EventName& event = m->events[i];
      const abi::ReducerDef* def = m->schema.find_reducer(m->schema.subscriptions[i].reducer);
      Subscriber subscriber{m.get(), static_cast<uint32_t>(def - m->schema.reducers.data())};
      if (event.kind == abi::EventName::Kind::LocalTable)
        table_subscribers_[event.module][event.table][static_cast<size_t>(event.op)].push_back(
            subscriber);
      else if (event.kind != abi::EventName::Kind::Init)
        other_subscribers_[event.to_string()].push_back(subscriber);
    }
  }
}

static const char* authority_name(abi::Authority a) {
  static constexpr const char* kNames[] = {"Gpu", "Input", "Audio", "File"};
  return kNames[static_cast<int>(a)];
}

std::string Runtime::authority_holder(abi::Authority authority) const {
  auto it = holders_.find(authority);
  return it == holders_.end() ? std::string() : it->second;
}

bool Runtime::holds(const LoadedModule& module, abi::Authority authority) const {
  auto it = holders_.find(authority);
  return it != holders_.end() && it->second == module.name;
}

void Runtime::take_authorities(const LoadedModule& module) {
  std::erase_if(holders_, [&](const auto& entry) { return entry.second == module.name; });
  for (abi::Authority a : module.schema.authorities) {
    auto [it, free] = holders_.try_emplace(a, module.name);
    if (!free)  // only with wait_for_authorities: it waits for the holder to go
      emit(LogRecord{abi::LogLevel::Info, module.name, "",
                     fmt::format("waits for the {} authority, which module '{}' holds",
                                 authority_name(a), it->second)});
  }
}

void Runtime::hand_on(abi::Authority authority) {
  if (holders_.count(authority) || std::find(options_.grantable.begin(), options_.grantable.end(),
                                             authority) == options_.grantable.end())
    return;
  for (const auto& m : modules_)
    if (std::find(m->schema.authorities.begin(), m->schema.authorities.end(), authority) !=
        m->schema.authorities.end()) {
      holders_[authority] = m->name;
      emit(LogRecord{abi::LogLevel::Info, m->name, "",
                     fmt::format("granted the {} authority", authority_name(authority))});
      return;
    }
}

void Runtime::grant(abi::Authority authority) {
  if (std::find(options_.grantable.begin(), options_.grantable.end(), authority) ==
      options_.grantable.end())
    options_.grantable.push_back(authority);
  hand_on(authority);
}

void Runtime::revoke(abi::Authority authority) {
  std::erase(options_.grantable, authority);
  auto it = holders_.find(authority);
  if (it == holders_.end()) return;
  LoadedModule* holder = find(it->second);
  holders_.erase(it);
  if (holder)
    emit(LogRecord{abi::LogLevel::Info, holder->name, "",
                   fmt::format("the {} authority was revoked", authority_name(authority))});
}

Result<void> Runtime::admit(LoadedModule& m, std::string_view source_name,
                            const LoadedModule* replacing) const {
  std::vector<std::string> problems = abi::check_schema(m.schema);
  if (!problems.empty()) {
    std::string list;
    for (const std::string& p : problems) list += (list.empty() ? "" : "; ") + p;
    return error(fmt::format("module '{}' ({}) refused: {}", m.schema.name, source_name, list));
  }
  m.events.clear();
  for (const abi::SubscriptionDef& sub : m.schema.subscriptions) {
    auto event = abi::EventName::parse(sub.event);  // check_schema saw that it parses
    if (!event)
      return error(fmt::format("module '{}' ({}) refused: subscription to '{}': no such event",
                               m.schema.name, source_name, sub.event));
    m.events.push_back(std::move(*event));
  }
  for (const abi::DependencyDef& dep : m.schema.dependencies) {
    if (!dep.node.empty()) continue;  // remote: checked by the network layer
    LoadedModule* other = find(dep.module);
    if (!other)
      return error(fmt::format("module '{}' needs module '{}' ({}), which is not loaded",
                               m.schema.name, dep.module, dep.requirement));
    if (!abi::satisfies(other->schema.version, dep.requirement))
      return error(fmt::format("module '{}' needs module '{}' {}, but {} is loaded", m.schema.name,
                               dep.module, dep.requirement, other->schema.version.to_string()));
  }
  for (abi::Authority a : m.schema.authorities) {
    if (std::find(options_.grantable.begin(), options_.grantable.end(), a) ==
        options_.grantable.end())
      return error(
          fmt::format("module '{}' requests the {} authority, which this node does not grant",
                      m.schema.name, authority_name(a)));
    std::string holder = authority_holder(a);
    if (!holder.empty() && (!replacing || holder != replacing->name) &&
        !options_.wait_for_authorities)
      return error(fmt::format("module '{}' requests the {} authority, which module '{}' holds",
                               m.schema.name, authority_name(a), holder));
  }
  return check_subscriptions(m);
}

Result<std::unique_ptr<LoadedModule>> Runtime::prepare(ByteView wasm, std::string_view source_name,
                                                       const LoadedModule* replacing) {
  auto loaded = instantiate(wasm, source_name);
  if (!loaded) return loaded.take_error();
  std::unique_ptr<LoadedModule> m = std::move(loaded).value();
  if (auto r = admit(*m, source_name, replacing); !r) return r.take_error();
  m->name = m->schema.name;
  m->table_memory.limit = options_.max_table_memory;
  for (const abi::TableDef& def : m->schema.tables) {
    m->tables.push_back(std::make_unique<Table>(def, m->schema, &m->table_memory));
    m->has_schedules = m->has_schedules || !def.schedule.empty();
    if (def.view.empty() || !options_.check_view) continue;
    if (std::string why = options_.check_view(*m->tables.back()); !why.empty())
      return error(fmt::format("module '{}' ({}) refused: the view of table {}: {}", m->name,
                               source_name, def.name, why));
  }
  return m;
}

Result<void> Runtime::load(ByteView wasm, std::string_view source_name, bool run_init) {
  auto prepared = prepare(wasm, source_name, nullptr);
  if (!prepared) return prepared.take_error();
  std::unique_ptr<LoadedModule> m = std::move(prepared).value();
  if (find(m->name)) return error(fmt::format("module '{}' is already loaded", m->name));
  LoadedModule* module = m.get();
  m->executor = place(*m);
  take_authorities(*m);
  modules_.push_back(std::move(m));
  index_subscriptions();
  emit(LogRecord{abi::LogLevel::Info, module->name, "",
                 fmt::format("loaded {} {} ({} tables, {} reducers)", module->name,
                             module->schema.version.to_string(), module->schema.tables.size(),
                             module->schema.reducers.size())});
  if (!run_init) return {};
  return this->run_init(module->name);
}

Result<void> Runtime::run_init(std::string_view name) {
  LoadedModule* module = find(name);
  if (!module) return error(fmt::format("no module '{}' is loaded", name));
  Cascade cascade{module->executor};
  for (size_t i = 0; i < module->schema.subscriptions.size(); ++i) {
    if (module->events[i].kind != abi::EventName::Kind::Init) continue;
    uint32_t id =
        static_cast<uint32_t>(module->schema.find_reducer(module->schema.subscriptions[i].reducer) -
                              module->schema.reducers.data());
    if (auto r =
            run(PendingCall{module, id, {}, "", abi::Trigger{abi::TriggerKind::Init}}, &cascade);
        !r) {
      clear_queue(cascade);
      std::string module_name = module->name;
      (void)unload(module_name);
      return error(fmt::format("module '{}': init failed, module not loaded: {}", module_name,
                               r.error().message));
    }
  }
  drain_queue(cascade);
  return {};
}

std::vector<Runtime::TableImage> Runtime::export_tables() const {
  std::vector<TableImage> images;
  for (const auto& m : modules_)
    for (const auto& t : m->tables) {
      if (t->def().persistence == abi::Persistence::Ephemeral) continue;
      TableImage image{m->name, t->name(), t->auto_inc_next(), {}};
      image.rows.reserve(t->size());
      t->for_each([&](const Bytes& row) { image.rows.push_back(row); });
      images.push_back(std::move(image));
    }
  return images;
}

Result<void> Runtime::import_table(const TableImage& image) {
  LoadedModule* m = find(image.module);
  Table* table = m ? m->find_table(image.table) : nullptr;
  if (!table)
    return error(fmt::format("the snapshot holds table {}.{}, which is not loaded", image.module,
                             image.table));
  std::vector<ByteView> columns;
  for (const Bytes& row : image.rows) {
    if (std::string why = table->layout().split(row, &columns); !why.empty())
      return error(fmt::format("the snapshot holds an invalid row for {}.{}: {}", image.module,
                               image.table, why));
    table->restore_insert(row);
  }
  table->set_auto_inc_next(std::max(table->auto_inc_next(), image.auto_inc_next));
  return {};
}

Result<void> Runtime::clear_table(std::string_view module, std::string_view table_name) {
  LoadedModule* m = find(module);
  Table* table = m ? m->find_table(table_name) : nullptr;
  if (!table) return error(fmt::format("no table {}.{} is loaded", module, table_name));
  std::vector<std::string> keys;
  keys.reserve(table->size());
  table->for_each([&](const Bytes& row) { keys.push_back(table->primary_order_key(row)); });
  for (const std::string& pk : keys) table->restore_remove(pk);
  table->set_auto_inc_next(1);
  return {};
}

Result<void> Runtime::replay_call(std::string_view module, std::string_view reducer, ByteView args,
                                  const TransactionInputs& inputs, const abi::Trigger& trigger,
                                  std::vector<TableEvent>* effects) {
  LoadedModule* m = find(module);
  if (!m) return error(fmt::format("no module '{}' is loaded", module));
  const abi::ReducerDef* def = m->schema.find_reducer(reducer);
  if (!def) return error(fmt::format("module '{}' has no reducer '{}'", module, reducer));
  uint32_t id = static_cast<uint32_t>(def - m->schema.reducers.data());
  effects->clear();
  return run(
      PendingCall{m, id, Bytes(args.begin(), args.end()), inputs.caller, trigger, &inputs, effects},
      nullptr);
}

Result<Bytes> Runtime::run_query(LoadedModule& m, const abi::ReducerDef& def, ByteView args,
                                 TransactionInputs inputs, const RowFilter* filter) {
  std::string where = fmt::format("query {}.{}", m.name, def.name);
  if (m.tx)
    return error(where +
                 ": the module is in a call (a query cannot reach a module that is running)");
  Transaction tx(std::move(inputs), /*replay=*/false, /*read_only=*/true);
  tx.set_filter(filter);
  m.tx = &tx;
  m.current_reducer = def.name;
  m.failure.reset();
  m.returned.reset();
  bool trapped = false;
  uint32_t id = static_cast<uint32_t>(&def - m.schema.reducers.data());
  std::string failed = invoke(m, id, args, &trapped, [] {});
  std::optional<Bytes> value = std::move(m.returned);
  m.returned.reset();
  if (failed.empty() && !value) failed = where + " returned nothing";
  abi::TypeResolver types(m.schema.types);
  if (failed.empty() && def.result.size() == 1)
    if (std::string why = abi::validate(*value, def.result[0], types); !why.empty())
      failed = fmt::format("{} returned a value that is not a {}: {}", where,
                           abi::to_string(def.result[0]), why);
  tx.rollback();  // it wrote nothing (it could not); this forgets its cursors' state too
  if (trapped) restore_instance(m);
  m.end_call();
  if (!failed.empty()) {
    emit(LogRecord{abi::LogLevel::Error, m.name, def.name, failed});
    return error(std::move(failed));
  }
  return std::move(*value);
}

// InvalidArgument, naming the parameter types, unless `args` encode the
// parameters of `def` (a reducer or query of `m`).
static Result<void> check_arguments(const LoadedModule& m, const abi::ReducerDef& def,
                                    ByteView args) {
  abi::TypeResolver types(m.schema.types);
  if (std::string why = abi::validate(args, def.params_type(), types); !why.empty())
    return base::make_error(fmt::format("bad arguments for {}.{}{}: {}", m.name, def.name,
                                        abi::to_string(def.params_type()), why),
                            base::ErrorCode::InvalidArgument);
  return {};
}

Result<Bytes> Runtime::query(std::string_view module, std::string_view query, ByteView args,
                             std::string_view caller, const RowFilter* filter) {
  LoadedModule* m = find(module);
  if (!m)
    return base::make_error(fmt::format("no module '{}' is loaded", module),
                            base::ErrorCode::NotFound);
  const abi::ReducerDef* def = m->schema.find_reducer(query);
  if (!def || def->kind != abi::ReducerKind::Query)
    return base::make_error(fmt::format("module '{}' has no query '{}'", module, query),
                            base::ErrorCode::NotFound);
  if (auto r = check_arguments(*m, *def, args); !r) return r.take_error();
  return run_query(*m, *def, args, fresh_inputs(std::string(caller)), filter);
}

abi::Status Runtime::query_from(LoadedModule& caller, std::string_view module,
                                std::string_view query, ByteView args, Bytes* value) {
  LoadedModule* m = find(module);
  if (!m) return abi::Status::NoSuchModule;
  const abi::ReducerDef* def = m->schema.find_reducer(query);
  if (!def) return abi::Status::NoSuchReducer;
  if (def->kind != abi::ReducerKind::Query) return abi::Status::NotPermitted;
  if (m->executor != caller.executor) {
    log(caller, abi::LogLevel::Warn,
        fmt::format("query {}.{}: that module runs on another executor; declare it a "
                    "dependency (INTERSTICE_DEPENDENCY) to ask it queries",
                    module, query));
    return abi::Status::Unavailable;
  }
  abi::TypeResolver types(m->schema.types);
  if (!abi::validate(args, def->params_type(), types).empty()) return abi::Status::BadArguments;
  TransactionInputs inputs{
      caller.tx->inputs().timestamp_us, caller.tx->next_random(), caller.name, {}};
  // A query asked inside a query for an outside reader reads through its views too.
  auto answered = run_query(*m, *def, args, std::move(inputs), caller.tx->filter());
  if (!answered) return abi::Status::QueryFailed;
  *value = std::move(*answered);
  return abi::Status::Ok;
}

std::optional<int64_t> Runtime::fire_due(std::string_view module, std::string_view table_name,
                                         int64_t now_us) {
  LoadedModule* m = find(module);
  Table* table = m ? m->find_table(table_name) : nullptr;
  if (!table || table->def().schedule.empty()) return std::nullopt;
  const abi::ReducerDef* def = m->schema.find_reducer(table->def().schedule[0].reducer);
  uint32_t id = static_cast<uint32_t>(def - m->schema.reducers.data());
  std::optional<int64_t> next;
  auto look_at = [&](int64_t when) { next = next ? std::min(*next, when) : when; };
  std::vector<std::pair<Bytes, abi::ScheduleAt>> due;
  table->for_each([&](const Bytes& row) {
    std::optional<abi::ScheduleAt> at = schedule_of(*table, row);
    if (!at) return;
    if (at->at_us > now_us)
      look_at(at->at_us);
    else if (due.size() < kMaxFiringsPerScan)
      due.emplace_back(row, *at);
    else
      look_at(now_us);  // the rest in the next scan
  });
  for (auto& [row, at] : due) {
    int64_t next_us = abi::next_firing(at, now_us);
    abi::Trigger trigger{abi::TriggerKind::Schedule,    {}, m->name, table->name(), {},
                         static_cast<uint64_t>(next_us)};
    Cascade cascade{m->executor};
    Result<void> fired = run(PendingCall{m, id, std::move(row), "", trigger}, &cascade);
    drain_queue(cascade);
    if (!fired)
      look_at(now_us + 1'000'000);
    else if (next_us != 0)
      look_at(next_us);
    // The module may have been replaced by what the firing triggered: look
    // it up again.
    m = find(module);
    table = m ? m->find_table(table_name) : nullptr;
    if (!table) break;
  }
  return next;
}

Result<void> Runtime::apply(std::string_view module, EventKind kind, std::string_view table_name,
                            ByteView row) {
  LoadedModule* m = find(module);
  Table* table = m ? m->find_table(table_name) : nullptr;
  if (!table)
    return error(
        fmt::format("the log refers to table {}.{}, which is not loaded", module, table_name));
  std::vector<ByteView> columns;
  if (std::string why = table->layout().split(row, &columns); !why.empty())
    return error(
        fmt::format("the log holds an invalid row for {}.{}: {}", module, table_name, why));
  Bytes bytes(row.begin(), row.end());
  std::string pk = table->primary_order_key(bytes);
  switch (kind) {
    case EventKind::Insert:
    case EventKind::Update:
      table->restore_remove(pk);
      table->restore_insert(std::move(bytes));
      table->note_auto_inc(columns);
      break;
    case EventKind::Delete:
      table->restore_remove(pk);
      break;
  }
  return {};
}

namespace {

// A replacement that re-indexes or extends tables with rows is refused if a
// new unique index finds rows that share a value (plan.refusal says which):
// the old rows are checked, the index's column found by name. A new unique
// index on a column the new version adds finds the default in every row.
void check_new_unique_indexes(const LoadedModule& old, const abi::ModuleSchema& next,
                              PublishPlan* plan) {
  if (!plan->refusal.empty()) return;
  for (const TablePlan& t : plan->tables) {
    if ((t.change != TableChange::Reindexed && t.change != TableChange::Extended) || t.rows == 0)
      continue;
    const Table* old_table = old.find_table(t.table);
    const abi::TableDef* next_def = next.find_table(t.table);
    const abi::TypeDef* next_row = next_def ? next.find_type(next_def->row_type) : nullptr;
    if (!old_table || !next_row) continue;
    std::vector<std::optional<uint32_t>> sources =
        column_sources(old.schema, old_table->def(), next, *next_def);
    for (const abi::IndexDef& index :
         new_unique_indexes(old.schema, old_table->def(), next, *next_def)) {
      std::string why;
      if (std::optional<uint32_t> source = sources[index.column])
        why = unique_violation(*old_table, index, *source);
      else if (t.rows > 1)
        why = fmt::format(
            "the new unique index {} of table {} is on the new column {}, whose default all {} "
            "rows would share",
            index.name, t.table, next_row->fields[index.column].name, t.rows);
      if (why.empty()) continue;
      plan->refusal =
          fmt::format("cannot replace module '{}' with {}: {}", next.name, plan->version, why);
      return;
    }
  }
}

// What publishing `next` does to `old`'s tables (null: a new module), the
// unique indexes checked against the rows.
PublishPlan plan_against(const LoadedModule* old, const abi::ModuleSchema& next) {
  std::map<std::string, uint64_t> old_rows;
  if (old)
    for (const auto& table : old->tables) old_rows[table->name()] = table->size();
  PublishPlan plan = plan_publish(old ? &old->schema : nullptr, old_rows, next);
  if (old) check_new_unique_indexes(*old, next, &plan);
  return plan;
}

}  // namespace

Result<void> Runtime::replace(ByteView wasm, std::string_view source_name,
                              const TransactionInputs* migration, TransactionInputs* used) {
  auto prepared = instantiate(wasm, source_name);
  if (!prepared) return prepared.take_error();
  std::string name = (*prepared)->schema.name;
  auto slot = std::find_if(modules_.begin(), modules_.end(),
                           [&](const auto& m) { return m->name == name; });
  if (slot == modules_.end())
    return error(fmt::format("module '{}' is not loaded, so it cannot be replaced", name));
  LoadedModule& old = **slot;
  auto replacement = prepare(wasm, source_name, &old);
  if (!replacement) return replacement.take_error();
  std::unique_ptr<LoadedModule> m = std::move(replacement).value();
  PublishPlan plan = plan_against(&old, m->schema);
  if (!plan.refusal.empty()) return error(plan.refusal);
  TransactionInputs inputs = migration ? *migration : fresh_inputs();
  if (auto r = carry_over(old, *m, plan, inputs); !r) return r;
  if (used) *used = std::move(inputs);
  for (const TablePlan& t : plan.tables)
    if (t.change == TableChange::Migrated)
      emit(LogRecord{abi::LogLevel::Info, name, t.migration,
                     fmt::format("migrated the {} rows of table {}", t.rows, t.table)});
  emit(LogRecord{abi::LogLevel::Info, name, "",
                 fmt::format("replaced {} {} with {}", name, old.schema.version.to_string(),
                             m->schema.version.to_string())});
  take_authorities(*m);
  m->executor = old.executor;
  *slot = std::move(m);
  index_subscriptions();
  return {};
}

// Fills `next`'s tables from `old`'s as the plan says: kept and re-indexed
// rows as they are, extended rows with the new columns' defaults, and then
// the declared migrations, all of them one transaction. On failure `next`
// is to be thrown away, and `old` is unchanged.
TransactionInputs Runtime::fresh_inputs(std::string caller) {
  return TransactionInputs{
      options_.clock(),
      transaction_seed(options_.seed, transactions_.fetch_add(1, std::memory_order_relaxed)),
      std::move(caller),
      {}};
}

Result<void> Runtime::carry_over(const LoadedModule& old, LoadedModule& next,
                                 const PublishPlan& plan, const TransactionInputs& migration) {
  std::vector<ByteView> columns;
  for (const TablePlan& t : plan.tables) {
    const Table* from = old.find_table(t.table);
    Table* to = next.find_table(t.table);
    if (!from || !to) continue;
    to->set_auto_inc_next(from->auto_inc_next());
    if (t.change == TableChange::Kept || t.change == TableChange::Reindexed) {
      from->for_each([&](const Bytes& row) { to->restore_insert(row); });
    } else if (t.change == TableChange::Extended) {
      std::vector<std::optional<uint32_t>> sources =
          column_sources(old.schema, from->def(), next.schema, to->def());
      from->for_each([&](const Bytes& row) {
        (void)from->layout().split(row, &columns);  // stored rows are well-formed
        Bytes wide;
        for (uint32_t c = 0; c < sources.size(); ++c) {
          ByteView value =
              sources[c] ? columns[*sources[c]] : ByteView(to->def().default_of(c)->value);
          wide.insert(wide.end(), value.begin(), value.end());
        }
        to->restore_insert(std::move(wide));
      });
    }
  }
  Transaction tx(migration, /*replay=*/true);  // no privileged calls: none to record
  for (const TablePlan& t : plan.tables) {
    if (t.change != TableChange::Migrated) continue;
    if (auto r = migrate(*old.find_table(t.table), next, t.migration, tx); !r) return r;
  }
  (void)tx.take_events();  // the migrated rows are the new version's state, not events
  return {};
}

Result<void> Runtime::migrate(const Table& from, LoadedModule& next, const std::string& reducer,
                              Transaction& tx) {
  const abi::ReducerDef* def = next.schema.find_reducer(reducer);
  uint32_t id = static_cast<uint32_t>(def - next.schema.reducers.data());
  std::string failed;
  uint64_t rows = 0;
  from.for_each([&](const Bytes& row) {
    if (!failed.empty()) return;
    next.tx = &tx;
    next.current_reducer = reducer;
    next.failure.reset();
    bool trapped = false;
    failed = invoke(next, id, row, &trapped, [] {});
    if (failed.empty() && tx.queued_calls() > 0)
      failed = fmt::format("reducer {}.{} called another reducer, which a migration may not do",
                           next.name, reducer);
    next.end_call();
    ++rows;
  });
  if (!failed.empty())
    return error(fmt::format(
        "cannot replace module '{}' with {}: the migration of table {} failed at its row {} of "
        "{}, so nothing changed: {}",
        next.name, next.schema.version.to_string(), from.name(), rows, from.size(), failed));
  return {};
}

Result<PublishPlan> Runtime::plan_publish(ByteView wasm, std::string_view source_name) {
  auto schema = read_schema(wasm, source_name);
  if (!schema) return schema.take_error();
  LoadedModule* old = find(schema->name);
  PublishPlan plan = plan_against(old, *schema);
  bool migrates = std::any_of(plan.tables.begin(), plan.tables.end(),
                              [](const TablePlan& t) { return t.change == TableChange::Migrated; });
  if (!old || !plan.refusal.empty() || !migrates) return plan;
  // The migrations run on a copy that is then thrown away: the plan says
  // whether they would succeed.
  auto trial = prepare(wasm, source_name, old);
  if (!trial) return trial.take_error();
  if (auto r = carry_over(*old, **trial, plan, fresh_inputs()); !r)
    plan.refusal = r.error().message;
  return plan;
}

Result<abi::ModuleSchema> Runtime::read_schema(ByteView wasm, std::string_view source_name) {
  auto probe = instantiate(wasm, source_name);
  if (!probe) return probe.take_error();
  std::vector<std::string> problems = abi::check_schema((*probe)->schema);
  if (!problems.empty())
    return error(fmt::format("{}: the schema is not valid: {}", source_name, problems.front()));
  return std::move((*probe)->schema);
}

Result<Runtime::Installed> Runtime::install(ByteView wasm, std::string_view source_name) {
  auto probe = instantiate(wasm, source_name);
  if (!probe) return probe.take_error();
  Installed installed{(*probe)->schema.name, find((*probe)->schema.name) != nullptr, {}};
  probe->reset();
  auto done = installed.replaced ? replace(wasm, source_name, nullptr, &installed.migration)
                                 : load(wasm, source_name, /*run_init=*/false);
  if (!done) return done.take_error();
  return installed;
}

Result<void> Runtime::unload(std::string_view module) {
  for (auto it = modules_.begin(); it != modules_.end(); ++it) {
    if ((*it)->name != module) continue;
    std::vector<abi::Authority> freed;
    for (const auto& [authority, holder] : holders_)
      if (holder == module) freed.push_back(authority);
    for (abi::Authority a : freed) holders_.erase(a);
    // Its Gpu objects go with it (a new version published in its place
    // keeps them, as it keeps its rows: that path does not unload).
    if (options_.gpu) options_.gpu->release_all(module);
    modules_.erase(it);
    index_subscriptions();
    for (abi::Authority a : freed) hand_on(a);  // to a module waiting for it
    return {};
  }
  return error(fmt::format("no module '{}' is loaded", module));
}

abi::Status Runtime::check_access(const abi::ModuleSchema& schema, const abi::ReducerDef& reducer,
                                  CallOrigin origin, std::string* why) {
  if (origin == CallOrigin::Node) return abi::Status::Ok;
  auto refuse = [&](std::string_view what) {
    if (why) *why = fmt::format("{}.{} is {}", schema.name, reducer.name, what);
    return abi::Status::NotPermitted;
  };
  if (schema.is_handler(reducer.name))
    return refuse("a subscription handler: only the node calls it, with its events");
  if (reducer.kind == abi::ReducerKind::Callback)
    return refuse("a remote call's callback: only the node calls it, with the outcome");
  if (reducer.kind == abi::ReducerKind::Internal && origin == CallOrigin::Outside)
    return refuse("internal: only the modules of this node may call it");
  return abi::Status::Ok;
}

Result<void> Runtime::call(std::string_view module, std::string_view reducer, ByteView args,
                           std::string_view caller, const abi::Trigger& trigger,
                           CallOrigin origin) {
  LoadedModule* m = find(module);
  if (!m)
    return base::make_error(fmt::format("no module '{}' is loaded", module),
                            base::ErrorCode::NotFound);
  const abi::ReducerDef* def = m->schema.find_reducer(reducer);
  if (!def)
    return base::make_error(fmt::format("module '{}' has no reducer '{}'", module, reducer),
                            base::ErrorCode::NotFound);
  if (std::string why; check_access(m->schema, *def, origin, &why) != abi::Status::Ok)
    return base::make_error(std::move(why), base::ErrorCode::Forbidden);
  if (def->kind == abi::ReducerKind::Query)
    return base::make_error(
        fmt::format("{}.{} is a query, not a reducer: ask it with POST /query/{}/{} or "
                    "`interstice query-call`",
                    module, reducer, module, reducer),
        base::ErrorCode::Forbidden);
  if (auto r = check_arguments(*m, *def, args); !r) return r;
  uint32_t id = static_cast<uint32_t>(def - m->schema.reducers.data());
  Cascade cascade{m->executor};
  Result<void> result = run(
      PendingCall{m, id, Bytes(args.begin(), args.end()), std::string(caller), trigger}, &cascade);
  drain_queue(cascade);
  return result;
}

size_t Runtime::fire(std::string_view module, const abi::EventName& event, ByteView args,
                     std::string_view caller, std::optional<uint32_t> executor,
                     abi::RemotePosition remote) {
  size_t ran = 0;
  Cascade cascade;
  if (executor)
    cascade.home = *executor;
  else if (LoadedModule* m = module.empty() ? nullptr : find(module))
    cascade.home = m->executor;
  auto subscribers = other_subscribers_.find(event.to_string());
  abi::Trigger trigger = abi::Trigger::of(event);
  trigger.remote = remote;
  if (subscribers != other_subscribers_.end()) {
    for (const Subscriber& s : subscribers->second) {
      if (!module.empty() && s.module->name != module) continue;
      const abi::ReducerDef& def = s.module->schema.reducers[s.reducer];
      abi::TypeResolver types(s.module->schema.types);
      if (std::string why = abi::validate(args, def.params_type(), types); !why.empty()) {
        emit(LogRecord{abi::LogLevel::Error, s.module->name, def.name,
                       fmt::format("event {} not delivered: its data is not {}: {}",
                                   event.to_string(), abi::to_string(def.params_type()), why)});
        continue;
      }
      enqueue(cascade, PendingCall{s.module, s.reducer, Bytes(args.begin(), args.end()),
                                   std::string(caller), trigger});
      ++ran;
    }
  }
  drain_queue(cascade);
  return ran;
}

std::string Runtime::invoke(LoadedModule& m, uint32_t reducer, ByteView args, bool* trapped,
                            const std::function<void()>& after_wasm_call) {
  auto where = [&] {
    return fmt::format("reducer {}.{}", m.name, m.schema.reducers[reducer].name);
  };
  int32_t length = static_cast<int32_t>(args.size());
  auto ptr = (*m.alloc)(length);
  after_wasm_call();
  *trapped = !ptr;
  if (!ptr)
    return fmt::format("{}: allocating its arguments failed: {}", where(), ptr.error().message);
  auto target = m.instance->memory().bytes(static_cast<uint32_t>(*ptr), args.size());
  if (!target) return where() + ": the module's allocator returned a bad pointer";
  std::copy(args.begin(), args.end(), target->begin());

  auto status = (*m.reducer)(static_cast<int32_t>(reducer), *ptr, length);
  after_wasm_call();
  *trapped = !status || m.failure;
  if (m.failure) return fmt::format("{} failed: {}", where(), *m.failure);
  if (!status) {
    const base::Error& e = status.error();
    const engine::Trap* trap = engine::trap_of(e);
    return fmt::format("{} trapped: {}", where(), trap ? trap->describe() : e.message);
  }
  if (*status != 0)
    return fmt::format("{} failed: {}", where(),
                       *status == 2 ? "the module could not decode its arguments"
                                    : "status " + std::to_string(*status));
  return {};
}

Result<void> Runtime::run(const PendingCall& call, Cascade* cascade) {
  LoadedModule& m = *call.module;
  const std::string& reducer_name = m.schema.reducers[call.reducer].name;
  const bool scheduled = call.trigger.kind == abi::TriggerKind::Schedule;
  Table* schedule_table = scheduled ? m.find_table(call.trigger.table) : nullptr;
  TransactionInputs inputs = call.recorded ? *call.recorded : fresh_inputs(call.caller);
  if (schedule_table && !call.recorded)  // a firing's time is the time it was due
    if (auto at = schedule_of(*schedule_table, call.args)) inputs.timestamp_us = at->at_us;
  Transaction tx(std::move(inputs), call.recorded != nullptr);
  m.tx = &tx;
  m.current_reducer = reducer_name;
  m.failure.reset();
  m.hold_logs = true;  // until its offset is known (release_logs)
  m.time_host_calls = options_.time_host_calls && options_.time_host_calls();
  m.host_call_times.clear();
  // "reducer M.R", for the messages of a failed call (formatted only then).
  auto where = [&] { return fmt::format("reducer {}.{}", m.name, reducer_name); };

  // A triggered call runs on what is left of its cascade's fuel; the fuel is
  // read before a trap replaces the instance.
  engine::Instance* metered = m.instance.get();
  if (call.fuel_budget > 0) metered->set_fuel_per_call(call.fuel_budget);
  uint64_t fuel = 0;
  auto account_fuel = [&] {
    uint64_t used = metered->last_call_fuel();
    fuel += used;
    if (call.fuel_used) *call.fuel_used += used;
  };
  // Metrics and traces (on_call_end): the clock is read only when observed.
  const bool observed = static_cast<bool>(options_.on_call_end);
  using SteadyClock = std::chrono::steady_clock;
  CallObservation::Time started = observed ? SteadyClock::now() : CallObservation::Time{};
  CallObservation::Time ran = started;
  size_t rows_changed = 0;
  size_t calls_made = 0;
  // While a trace records (time_host_calls), the clock is read when the
  // reducer returns too, to split its span from its commit's.
  const bool traced = observed && m.time_host_calls;
  auto observe = [&](bool ok) {
    if (!observed) return;
    CallObservation::Time ended = SteadyClock::now();
    if (!traced) ran = ended;
    CallObservation seen{m.name, reducer_name, call.trigger, started, ran, ended};
    seen.fuel = fuel;
    seen.rows_changed = rows_changed;
    seen.host_results = tx.inputs().host_results.size();
    seen.calls_made = calls_made;
    seen.host_call_times = &m.host_call_times;
    seen.ok = ok;
    seen.linear_memory = m.instance ? m.instance->memory().size() : 0;
    seen.table_bytes = m.table_memory.used;
    options_.on_call_end(seen);
  };
  auto unmeter = [&] {
    if (call.fuel_budget > 0) metered->set_fuel_per_call(options_.engine.fuel_per_call);
  };
  // A trap (ctx.fail traps too) can stop the module anywhere: inside its
  // allocator, with its shadow stack pointer lowered, with heap blocks never
  // freed. The next call gets a fresh instance, so a failed call leaves the
  // module as usable as before (linear memory never survives a call by
  // contract: docs/sdk.md).
  bool trapped = false;
  auto finish_failed = [&](std::string message) -> Result<void> {
    unmeter();
    if (traced && ran == started) ran = SteadyClock::now();
    tx.rollback();
    if (trapped) restore_instance(m);
    release_logs(m, 0);
    emit(LogRecord{abi::LogLevel::Error, m.name, reducer_name, message});
    observe(false);
    m.end_call();
    return error(std::move(message));
  };

  if (scheduled) {  // the row moves on (or goes) before the reducer sees it
    std::string why = schedule_table
                          ? advance_schedule(m.name, *schedule_table, call.args,
                                             static_cast<int64_t>(call.trigger.call_id), tx)
                          : "table " + call.trigger.table + " is not loaded";
    if (!why.empty()) return finish_failed(where() + ": the schedule could not fire: " + why);
  }
  std::string failed = invoke(m, call.reducer, call.args, &trapped, account_fuel);
  if (traced) ran = SteadyClock::now();
  unmeter();
  if (!failed.empty()) return finish_failed(std::move(failed));
  if (tx.replaying() && tx.unreplayed_host_results() > 0)
    return finish_failed(fmt::format("{} made {} fewer privileged host calls than recorded",
                                     where(), tx.unreplayed_host_results()));
  std::vector<TableEvent> events = tx.take_events();
  rows_changed = events.size();
  calls_made = tx.queued_calls();
  uint64_t offset = 0;  // where the log recorded it
  if (options_.on_commit) {
    CommittedTransaction committed{m.name,       reducer_name, call.args,         tx.inputs(),
                                   call.trigger, {},           tx.remote_calls(), call.parent};
    for (const TableEvent& e : events)
      if (m.find_table(e.table)->def().persistence == abi::Persistence::Logged)
        committed.effects.push_back(&e);
    auto recorded = options_.on_commit(committed);
    if (!recorded)  // tx still holds its undo log
      return finish_failed(
          fmt::format("{} was not committed: {}", where(), recorded.error().message));
    offset = *recorded;
  }
  release_logs(m, offset);
  if (m.has_schedules && options_.on_schedule_change)
    for (const TableEvent& e : events)
      if (!m.find_table(e.table)->def().schedule.empty()) {
        options_.on_schedule_change();
        break;
      }
  observe(true);
  if (call.capture || !cascade) {
    if (call.capture) *call.capture = std::move(events);
    m.end_call();
    return {};
  }
  enqueue_calls(*cascade, m.name, tx.take_calls(), offset);
  enqueue_subscribers(*cascade, events, offset);
  if (std::vector<RemoteCall> remote = tx.take_remote_calls();
      !remote.empty() && options_.on_remote_calls)
    options_.on_remote_calls(std::move(remote));
  m.end_call();
  return {};
}

abi::Status Runtime::check_call(std::string_view module, std::string_view reducer,
                                ByteView args) const {
  LoadedModule* m = find(module);
  if (!m) return abi::Status::NoSuchModule;
  const abi::ReducerDef* def = m->schema.find_reducer(reducer);
  if (!def) return abi::Status::NoSuchReducer;
  if (abi::Status access = check_access(m->schema, *def, CallOrigin::Module);
      access != abi::Status::Ok)
    return access;
  if (def->kind == abi::ReducerKind::Query) return abi::Status::NotPermitted;
  abi::TypeResolver types(m->schema.types);
  if (!abi::validate(args, def->params_type(), types).empty()) return abi::Status::BadArguments;
  return abi::Status::Ok;
}

void Runtime::enqueue_calls(Cascade& cascade, const std::string& caller,
                            std::vector<OutgoingCall> calls, uint64_t parent) {
  for (OutgoingCall& c : calls) {
    LoadedModule* m = find(c.module);
    if (!m) continue;  // unloaded since: nothing to run
    const abi::ReducerDef* def = m->schema.find_reducer(c.reducer);
    uint32_t id = static_cast<uint32_t>(def - m->schema.reducers.data());
    PendingCall call{m, id, std::move(c.args), caller, {}};
    call.parent = parent;
    enqueue(cascade, std::move(call));
  }
}

void Runtime::enqueue_subscribers(Cascade& cascade, const std::vector<TableEvent>& events,
                                  uint64_t parent) {
  for (const TableEvent& event : events) {
    auto module = table_subscribers_.find(event.module);
    if (module == table_subscribers_.end()) continue;
    auto table = module->second.find(event.table);
    if (table == module->second.end()) continue;
    const std::vector<Subscriber>& subscribers = table->second[static_cast<size_t>(event.kind)];
    if (subscribers.empty()) continue;
    abi::Trigger trigger{abi::TriggerKind::LocalTable, {}, event.module, event.table, event.kind};
    for (const Subscriber& s : subscribers) {
      Bytes args = event.kind == EventKind::Insert ? event.new_row : event.old_row;
      if (event.kind == EventKind::Update)
        args.insert(args.end(), event.new_row.begin(), event.new_row.end());
      PendingCall call{s.module, s.reducer, std::move(args), "", trigger};
      call.parent = parent;
      enqueue(cascade, std::move(call));
    }
  }
}

// What a queued call holds: its arguments and its strings, plus the entry.
static size_t queued_bytes(const Runtime::PendingCall& call) {
  return sizeof(Runtime::PendingCall) + call.args.size() + call.caller.size() +
         call.trigger.heap_bytes();
}

// A call queued where it can never run (the cascade would pass
// max_triggered_calls before reaching it) is dropped at once, so the queues
// never hold more entries than the cascade may still run.
void Runtime::enqueue(Cascade& cascade, PendingCall call) {
  CascadeBudget& budget = *cascade.budget;
  if (budget.admitted.fetch_add(1, std::memory_order_relaxed) >= options_.max_triggered_calls) {
    budget.admitted.fetch_sub(1, std::memory_order_relaxed);
    if (cascade.dropped++ == 0) cascade.dropper = call.module->name;
    return;
  }
  budget.bytes.fetch_add(queued_bytes(call), std::memory_order_relaxed);
  if (call.module->executor == cascade.home || !options_.forward) {
    cascade.queue.push_back(std::move(call));
    return;
  }
  // A message to the module's executor, in the order this one committed.
  options_.forward(call.module->executor,
                   ForwardedCall{call.module->name, call.module->schema.reducers[call.reducer].name,
                                 std::move(call.args), std::move(call.caller),
                                 std::move(call.trigger), cascade.budget, call.parent});
}

void Runtime::clear_queue(Cascade& cascade) {
  size_t bytes = 0;
  for (const PendingCall& call : cascade.queue) bytes += queued_bytes(call);
  cascade.budget->bytes.fetch_sub(bytes, std::memory_order_relaxed);
  cascade.queue.clear();
}

void Runtime::run_forwarded(ForwardedCall forwarded) {
  // It was admitted and counted where it was queued; it is taken out here.
  PendingCall call{nullptr, 0, std::move(forwarded.args), std::move(forwarded.caller),
                   std::move(forwarded.trigger)};
  call.parent = forwarded.parent;
  Cascade cascade{0, std::move(forwarded.budget)};
  LoadedModule* m = find(forwarded.module);
  const abi::ReducerDef* def = m ? m->schema.find_reducer(forwarded.reducer) : nullptr;
  if (!def) {  // unloaded or replaced without it since: nothing to run
    call.module = nullptr;
    cascade.budget->bytes.fetch_sub(queued_bytes(call), std::memory_order_relaxed);
    return;
  }
  call.module = m;
  call.reducer = static_cast<uint32_t>(def - m->schema.reducers.data());
  cascade.home = m->executor;
  cascade.queue.push_back(std::move(call));
  drain_queue(cascade);
}

std::optional<uint32_t> Runtime::executor_of(std::string_view module) const {
  LoadedModule* m = find(module);
  if (!m) return std::nullopt;
  return m->executor;
}

uint32_t Runtime::place(const LoadedModule& module) const {
  if (options_.executors <= 1) return 0;
  for (const abi::DependencyDef& dep : module.schema.dependencies)
    if (LoadedModule* other = dep.node.empty() ? find(dep.module) : nullptr) return other->executor;
  for (const abi::EventName& event : module.events)
    if (LoadedModule* other =
            event.kind == abi::EventName::Kind::LocalTable ? find(event.module) : nullptr)
      return other->executor;
  std::vector<size_t> load(options_.executors, 0);
  for (const auto& m : modules_) ++load[m->executor % options_.executors];
  return static_cast<uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
}

void Runtime::drain_queue(Cascade& cascade) {
  CascadeBudget& budget = *cascade.budget;
  while (!cascade.queue.empty()) {
    std::string over;  // the cascade bound the queue is over, if any
    size_t bytes = budget.bytes.load(std::memory_order_relaxed);
    uint64_t fuel = budget.fuel.load(std::memory_order_relaxed);
    if (bytes > options_.max_cascade_bytes)
      over = fmt::format("the calls queued for one call hold {} bytes, over the limit of {}", bytes,
                         options_.max_cascade_bytes);
    else if (fuel >= options_.max_cascade_fuel)
      over = fmt::format("the calls triggered by one call used {} fuel, the limit is {}", fuel,
                         options_.max_cascade_fuel);
    if (!over.empty()) {
      emit(LogRecord{abi::LogLevel::Error, cascade.queue.front().module->name, "",
                     fmt::format("{}; dropping {} calls", over, cascade.queue.size())});
      clear_queue(cascade);
      break;
    }
    PendingCall call = std::move(cascade.queue.front());
    cascade.queue.pop_front();
    budget.bytes.fetch_sub(queued_bytes(call), std::memory_order_relaxed);
    uint64_t used = 0;
    call.fuel_budget = std::min(options_.engine.fuel_per_call, options_.max_cascade_fuel - fuel);
    call.fuel_used = &used;
    (void)run(call, &cascade);  // failures are logged by run()
    budget.fuel.fetch_add(used, std::memory_order_relaxed);
  }
  if (cascade.dropped > 0)
    emit(LogRecord{abi::LogLevel::Error, cascade.dropper, "",
                   fmt::format("more than {} triggered calls for one call; dropping {} more",
                               options_.max_triggered_calls, cascade.dropped)});
}

}  // namespace interstice::runtime
