#include "node/node.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "storage/tx_record.h"

#include "node/json_codec.h"
#include "node/snapshot_restore.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

Node::Node(NodeOptions options) : options_(std::move(options)) {}

engine::Result<std::unique_ptr<Node>> Node::create(NodeOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir / "modules", ec);
  if (ec)
    return engine::make_error(
        fmt::format("cannot create {}: {}", (options.data_dir / "modules").string(), ec.message()));
  if (options.runtime.engine.cache_dir.empty())
    options.runtime.engine.cache_dir = options.data_dir / "compiled";
  options.log.tags = [](std::span<const uint8_t> payload) {
    std::vector<std::string> tags;
    auto record = abi::from_bytes<storage::TxRecord>(payload);
    if (!record) return tags;
    tags.push_back(record->module);
    for (const storage::RowEffect& e : record->effects)
      tags.push_back(record->module + "." + e.table);
    return tags;
  };
  std::unique_ptr<Node> node(new Node(std::move(options)));
  auto identity = net::load_or_create_identity(node->options_.data_dir);
  if (!identity) return identity.take_error();
  node->identity_ = *identity;
  spdlog::info("node id {}", node->identity_.id());
  ModuleStore store(node->options_.data_dir);
  auto installed = store.read_manifest();
  if (!installed) return installed.take_error();
  for (abi::Authority granted : installed->grants)  // grants persist across restarts
    if (std::find(node->options_.runtime.grantable.begin(), node->options_.runtime.grantable.end(),
                  granted) == node->options_.runtime.grantable.end())
      node->options_.runtime.grantable.push_back(granted);
  std::vector<std::string> warnings;
  auto log = storage::TransactionLog::open(storage::Env::posix(), node->options_.data_dir / "log",
                                           node->options_.log, &warnings);
  if (!log) return log.take_error();
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  node->log_ = std::move(log).value();
  runtime::RuntimeOptions runtime_options = node->options_.runtime;
  runtime_options.on_commit = [raw = node.get()](const runtime::CommittedTransaction& tx) {
    return raw->record(tx);
  };
  node->known_peers_ = std::make_unique<net::KnownPeers>(node->options_.data_dir / "peers");
  for (const auto& [address, key] : node->options_.pinned_peers)
    if (auto r = node->known_peers_->pin(address, key); !r) return r.take_error();
  node->outbox_ = std::make_unique<net::Outbox>(
      node->identity_, node->known_peers_.get(),
      [raw = node.get()](const std::string&, const std::string& peer, const net::CallResult& r) {
        raw->on_remote_result(peer, r);
      },
      [](const std::string& line) { spdlog::info("{}", line); });
  runtime_options.on_remote_calls = [raw = node.get()](std::vector<runtime::RemoteCall> calls) {
    raw->send_remote(std::move(calls));  // runs inside a call: the node lock is held
  };
  auto runtime = runtime::Runtime::create(std::move(runtime_options));
  if (!runtime) return runtime.take_error();
  node->runtime_ = std::move(runtime).value();
  if (auto r = node->load_modules(); !r) return r.take_error();
  if (auto r = node->recover(); !r) return r.take_error();
  // Connect to the remote nodes that loaded modules declare.
  for (const std::string& name : node->runtime_->module_names())
    for (const abi::NodeDef& peer : node->runtime_->schema(name)->nodes)
      node->outbox_->connect(node->peer_address(peer.alias, peer.address));
  node->ack_thread_ = std::thread([raw = node.get()] { raw->acknowledge_loop(); });
  return node;
}

Node::~Node() {
  outbox_.reset();  // its threads may be waiting for the node lock
  {
    std::lock_guard lock(acks_mutex_);
    stopping_ = true;
  }
  acks_changed_.notify_all();
  if (ack_thread_.joinable()) ack_thread_.join();
  std::lock_guard lock(mutex_);
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (runtime_ && log_ && last_logged_ > snapshot_offset_) write_snapshot(capture_snapshot());
}

void Node::acknowledge_loop() {
  std::unique_lock lock(acks_mutex_);
  for (;;) {
    acks_changed_.wait(lock, [&] { return stopping_ || !acks_.empty(); });
    if (acks_.empty()) return;  // stopping, nothing left
    uint64_t newest = acks_.back().offset;
    lock.unlock();
    auto durable = log_->wait_durable(newest);
    uint64_t covered = durable ? log_->durable_offset() : UINT64_MAX;
    std::vector<PendingAck> ready;
    lock.lock();
    while (!acks_.empty() && acks_.front().offset <= covered) {
      ready.push_back(std::move(acks_.front()));
      acks_.pop_front();
    }
    lock.unlock();
    for (PendingAck& ack : ready)
      ack.done(durable ? std::nullopt
                       : std::optional<NodeError>(
                             NodeError{NodeError::Kind::Failed,
                                       "the transaction log failed: " + durable.error().message}));
    lock.lock();
  }
}

std::optional<NodeError> Node::call_from_peer(const std::string& peer_id, const std::string& module,
                                              const std::string& reducer,
                                              std::span<const uint8_t> args) {
  using Kind = NodeError::Kind;
  std::unique_lock lock(mutex_);
  const abi::ModuleSchema* schema = runtime_->schema(module);
  if (!schema) return NodeError{Kind::NotFound, fmt::format("no module '{}' is loaded", module)};
  if (schema->visibility != abi::Visibility::Public)
    return NodeError{Kind::NotFound,
                     fmt::format("module '{}' is private: peers cannot call it", module)};
  auto offset = run_call(module, reducer, args, peer_id);
  if (!offset) return NodeError{Kind::Failed, offset.error().message};
  return await_durable(lock, *offset);
}

void Node::send_remote(std::vector<runtime::RemoteCall> calls) {
  for (runtime::RemoteCall& call : calls) {
    std::string address = peer_address(call.alias, call.address);
    pending_remote_[call.call_id] = {call.caller_module, call.callback};
    outbox_->send(address, net::CallRequest{call.call_id, call.module, call.reducer,
                                            abi::Bytes{std::move(call.args)}});
  }
}

// The outcome of a remote call runs the caller's callback reducer as a new
// transaction; the outcome is in its arguments, so the log records it.
void Node::on_remote_result(const std::string& peer_id, const net::CallResult& result) {
  std::lock_guard lock(mutex_);
  auto it = pending_remote_.find(result.call_id);
  if (it == pending_remote_.end()) return;
  auto [module, callback] = it->second;
  pending_remote_.erase(it);
  std::vector<uint8_t> args =
      abi::to_bytes(std::make_tuple(result.call_id, result.ok, result.error));
  if (auto r = runtime_->call(module, callback, args, peer_id); !r)
    spdlog::error("callback {}.{} of remote call {}: {}", module, callback, result.call_id,
                  r.error().message);
}

void Node::submit(const std::string& module, const std::string& reducer, std::vector<uint8_t> args,
                  std::function<void(std::optional<NodeError>)> done) {
  uint64_t offset;
  {
    std::lock_guard lock(mutex_);
    auto logged = run_call(module, reducer, args);
    if (!logged) return done(NodeError{NodeError::Kind::Failed, logged.error().message});
    offset = *logged;
  }
  {
    std::lock_guard lock(acks_mutex_);
    acks_.push_back(PendingAck{offset, std::move(done)});
  }
  acks_changed_.notify_one();
}

engine::Result<void> Node::record(const runtime::CommittedTransaction& tx) {
  storage::TxRecord record{tx.module,
                           tx.reducer,
                           abi::Bytes{tx.args},
                           tx.inputs.timestamp_us,
                           tx.inputs.random_seed,
                           tx.inputs.caller,
                           tx.trigger,
                           {}};
  for (const runtime::TableEvent* e : tx.effects) {
    const runtime::Bytes& row = e->kind == runtime::EventKind::Delete ? e->old_row : e->new_row;
    record.effects.push_back(
        storage::RowEffect{e->table, static_cast<storage::EffectKind>(e->kind), abi::Bytes{row}});
  }
  std::vector<std::string> tags{record.module};
  for (const storage::RowEffect& e : record.effects) {
    std::string tag = record.module + "." + e.table;
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(std::move(tag));
  }
  auto offset = log_->append(abi::to_bytes(record), tags);
  if (!offset) return offset.take_error();
  last_logged_ = *offset;
  return {};
}

// Restores the newest intact snapshot, if any; returns its offset (0: none).
engine::Result<uint64_t> Node::restore_snapshot() {
  std::vector<std::string> warnings;
  auto snapshot = storage::read_newest_snapshot(storage::Env::posix(),
                                                options_.data_dir / "snapshots", &warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  if (!snapshot) return snapshot.take_error();
  if (!*snapshot) return uint64_t{0};
  if (auto r = restore_tables(*runtime_, **snapshot); !r) return r.take_error();
  initialized_.insert((*snapshot)->initialized.begin(), (*snapshot)->initialized.end());
  spdlog::info("restored the snapshot at offset {}", (*snapshot)->offset);
  return (*snapshot)->offset;
}

// Restores the newest snapshot, re-applies the log after it, then runs init
// for modules that never ran it.
engine::Result<void> Node::recover() {
  auto restored = restore_snapshot();
  if (!restored) return restored.take_error();
  snapshot_offset_ = *restored;
  uint64_t from = snapshot_offset_ + 1;
  if (log_->last_offset() < snapshot_offset_)
    return engine::make_error(fmt::format("the log ends at offset {}, before the snapshot at {}",
                                          log_->last_offset(), snapshot_offset_));
  std::set<std::string>& initialized = initialized_;
  std::optional<engine::Error> failure;
  bool first = true;
  auto read = storage::TransactionLog::read(
      storage::Env::posix(), options_.data_dir / "log", from,
      [&](uint64_t offset, std::span<const uint8_t> payload) {
        if (first && offset != from) {
          failure = engine::make_error(fmt::format(
              "the log resumes at offset {}, but the snapshot ends at {}", offset, from - 1));
          return false;
        }
        first = false;
        auto record = abi::from_bytes<storage::TxRecord>(payload);
        if (!record) {
          failure = engine::make_error(
              fmt::format("log record {} is not a valid transaction record", offset));
          return false;
        }
        if (record->trigger == "init") initialized.insert(record->module);
        for (const storage::RowEffect& e : record->effects) {
          auto applied = runtime_->apply(record->module, static_cast<runtime::EventKind>(e.kind),
                                         e.table, e.row.data);
          if (!applied) {
            failure = engine::make_error(
                fmt::format("log record {}: {}", offset, applied.error().message));
            return false;
          }
        }
        ++recovered_;
        return true;
      });
  if (!read) return read.take_error();
  if (failure) return *failure;
  if (recovered_ > 0) spdlog::info("recovered {} transactions from the log", recovered_);
  last_logged_ = log_->last_offset();
  for (const std::string& name : runtime_->module_names()) {
    if (initialized.count(name)) continue;
    if (auto r = runtime_->run_init(name); !r)
      spdlog::error("{}", r.error().message);
    else
      initialized.insert(name);
  }
  return log_->sync();
}

storage::SnapshotData Node::capture_snapshot() {
  storage::SnapshotData data;
  data.offset = last_logged_;
  data.initialized.assign(initialized_.begin(), initialized_.end());
  for (runtime::Runtime::TableImage& image : runtime_->export_tables()) {
    storage::TableImage t{image.module, image.table, image.auto_inc_next, {}};
    t.rows.reserve(image.rows.size());
    for (runtime::Bytes& row : image.rows) t.rows.push_back(abi::Bytes{std::move(row)});
    data.tables.push_back(std::move(t));
  }
  return data;
}

// Writes a snapshot once every transaction it includes is durable in the
// log, then applies the retention policy to what it makes unnecessary.
void Node::write_snapshot(storage::SnapshotData data) {
  if (auto r = log_->wait_durable(data.offset); !r) {
    spdlog::error("snapshot at offset {} not written: {}", data.offset, r.error().message);
    return;
  }
  if (options_.log.durability == storage::Durability::None) (void)log_->sync();
  auto written =
      storage::write_snapshot(storage::Env::posix(), options_.data_dir / "snapshots", data);
  if (!written) {
    spdlog::error("snapshot at offset {} not written: {}", data.offset, written.error().message);
    return;
  }
  if (auto r = storage::apply_retention(storage::Env::posix(), options_.data_dir / "log",
                                        options_.data_dir / "snapshots", data.offset,
                                        options_.retention);
      !r)
    spdlog::error("log retention after the snapshot at {} failed: {}", data.offset,
                  r.error().message);
}

void Node::maybe_snapshot() {
  if (options_.snapshot_every == 0 || last_logged_ < snapshot_offset_ + options_.snapshot_every)
    return;
  if (snapshot_thread_.joinable()) snapshot_thread_.join();  // one at a time
  snapshot_offset_ = last_logged_;
  snapshot_thread_ =
      std::thread([this, data = capture_snapshot()]() mutable { write_snapshot(std::move(data)); });
}

// Loads DIR/modules, then the installed modules that are not there any
// more from the store, and records the installed set.
engine::Result<void> Node::load_modules() {
  ModuleStore store(options_.data_dir);
  auto installed = store.read_manifest();
  if (!installed) return installed.take_error();
  reports_ = load_module_directory(*runtime_, options_.data_dir / "modules");
  std::map<std::string, std::string> hashes;
  for (ModuleLoadReport& r : reports_) {
    if (!r.error.empty()) {
      spdlog::error("{}: not loaded: {}", r.file, r.error);
      continue;
    }
    auto hash = store.put(r.wasm);
    if (!hash) return hash.take_error();
    hashes[r.module] = *hash;
    r.wasm.clear();
  }
  for (const InstalledModule& m : installed->modules) {
    if (hashes.count(m.name)) continue;
    auto wasm = store.get(m.hash);
    if (!wasm)
      return engine::make_error(
          fmt::format("installed module '{}': {}", m.name, wasm.error().message));
    if (auto r = runtime_->load(*wasm, m.name + ".wasm", /*run_init=*/false); !r)
      return engine::make_error(
          fmt::format("installed module '{}': {}", m.name, r.error().message));
    spdlog::info("module '{}' is not in {} any more; loaded its installed copy", m.name,
                 (options_.data_dir / "modules").string());
    hashes[m.name] = m.hash;
  }
  Installed now;
  now.grants = options_.runtime.grantable;
  for (const std::string& name : runtime_->module_names())
    now.modules.push_back(InstalledModule{name, hashes[name], *runtime_->schema(name)});
  return store.write_manifest(now);
}

std::optional<NodeError> Node::call(const std::string& module, const std::string& reducer,
                                    const json& args) {
  using Kind = NodeError::Kind;
  std::unique_lock lock(mutex_);
  const abi::ModuleSchema* schema = runtime_->schema(module);
  if (!schema) return NodeError{Kind::NotFound, fmt::format("no module '{}' is loaded", module)};
  const abi::ReducerDef* def = schema->find_reducer(reducer);
  if (!def)
    return NodeError{Kind::NotFound,
                     fmt::format("module '{}' has no reducer '{}'", module, reducer)};
  abi::Type params = def->params_type();
  abi::TypeResolver types(schema->types);
  auto bytes = json_to_bytes(args, params, types);
  if (!bytes)
    return NodeError{Kind::BadArguments,
                     fmt::format("bad arguments for {}.{}{}: {}", module, reducer,
                                 abi::to_string(params), bytes.error().message)};
  auto offset = run_call(module, reducer, *bytes);
  if (!offset) return NodeError{Kind::Failed, offset.error().message};
  return await_durable(lock, *offset);
}

engine::Result<uint64_t> Node::run_call(const std::string& module, const std::string& reducer,
                                        std::span<const uint8_t> args, const std::string& caller) {
  if (auto r = runtime_->call(module, reducer, args, caller); !r) return r.take_error();
  maybe_snapshot();
  return last_logged_;
}

std::optional<NodeError> Node::await_durable(std::unique_lock<std::mutex>& lock, uint64_t offset) {
  lock.unlock();
  if (auto r = log_->wait_durable(offset); !r)
    return NodeError{NodeError::Kind::Failed, "the transaction log failed: " + r.error().message};
  return std::nullopt;
}

std::string Node::peer_address(const std::string& alias, const std::string& declared) const {
  auto it = options_.peer_addresses.find(alias);
  return it != options_.peer_addresses.end() ? it->second : declared;
}

std::optional<NodeError> Node::query(const std::string& module, const std::string& table,
                                     json* rows) {
  std::lock_guard lock(mutex_);
  const runtime::Table* t = runtime_->table(module, table);
  if (!t)
    return NodeError{NodeError::Kind::NotFound,
                     fmt::format("module '{}' has no table '{}'", module, table)};
  *rows = json::array();
  abi::Type row_type = abi::named(t->def().row_type);
  t->for_each([&](const runtime::Bytes& row) {
    rows->push_back(bytes_to_json(row, row_type, t->layout().resolver()));
  });
  return std::nullopt;
}

json Node::describe_modules() {
  std::lock_guard lock(mutex_);
  json out = json::array();
  for (const std::string& name : runtime_->module_names()) {
    const abi::ModuleSchema& s = *runtime_->schema(name);
    json reducers = json::array();
    for (const abi::ReducerDef& r : s.reducers) {
      json params = json::array();
      for (const abi::Field& p : r.params)
        params.push_back({{"name", p.name}, {"type", abi::to_string(p.type)}});
      reducers.push_back({{"name", r.name}, {"params", params}});
    }
    json tables = json::array();
    for (const abi::TableDef& t : s.tables)
      tables.push_back({{"name", t.name},
                        {"row_type", t.row_type},
                        {"rows", runtime_->table(name, t.name)->size()}});
    out.push_back({{"name", name},
                   {"version", s.version.to_string()},
                   {"visibility", s.visibility == abi::Visibility::Public ? "public" : "private"},
                   {"tables", tables},
                   {"reducers", reducers}});
  }
  return out;
}

}  // namespace interstice::node
