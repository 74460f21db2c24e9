#include "node/client_hub.h"

#include <fmt/format.h>

#include <algorithm>

#include "storage/transaction_log.h"
#include "storage/tx_record.h"

namespace interstice::node {

namespace {

base::Error invalid(const std::string& message) {
  return base::make_error(message, base::ErrorCode::InvalidArgument);
}

}  // namespace

ClientHub::ClientHub(runtime::Runtime& runtime, CommitPipeline& commits, base::Env& env,
                     std::filesystem::path log_dir, RunInBackground background, Tracer& tracer)
    : runtime_(runtime),
      commits_(commits),
      env_(env),
      log_dir_(std::move(log_dir)),
      background_(std::move(background)),
      tracer_(tracer) {}

base::Result<void> ClientHub::subscribe(std::shared_ptr<ClientSink> sink, uint64_t id,
                                        const query::SelectQuery& query,
                                        std::optional<uint64_t> resume_after, size_t max_rows,
                                        const Reader& reader) {
  if (query.order_by || query.limit)
    return invalid("a subscription follows every matching row: ORDER BY and LIMIT do not apply");
  const runtime::Table* table = runtime_.table(query.module, query.table);
  if (!table)
    return base::make_error(fmt::format("module '{}' has no table '{}'", query.module, query.table),
                            base::ErrorCode::NotFound);
  if (table->def().visibility != abi::Visibility::Public && !reader.is_operator)
    return base::make_error(
        fmt::format("table '{}.{}' is private: only the operator may subscribe to it", query.module,
                    query.table),
        base::ErrorCode::Forbidden);
  query::SelectQuery narrowed = query;
  if (auto r = narrow_to_view(&narrowed, *table, reader); !r) return r.take_error();
  auto plan = query::QueryPlan::bind(narrowed, *table);
  if (!plan) return plan.take_error();
  // Every transaction of this module so far has an offset <= `as_of` (this
  // is its executor), and every later one a greater offset.
  uint64_t as_of = commits_.last_logged();
  if (resume_after && *resume_after > as_of)
    return invalid(
        fmt::format("{} after offset {}: the log ends at {}", kCannotResume, *resume_after, as_of));
  Subscribed subscribed{id, true, "", "", query.module, query.table, as_of, {}};
  if (!resume_after) {
    auto rows = plan->run(*table, max_rows);
    if (!rows) return rows.take_error();
    for (runtime::Bytes& row : *rows) subscribed.rows.push_back(abi::Bytes{std::move(row)});
  }
  sink->describe(id, table->def().row_type, runtime_.schema(query.module)->types);
  auto s = std::make_shared<Subscription>();
  s->sink = std::move(sink);
  s->id = id;
  s->module = query.module;
  s->table = query.table;
  s->source = table;
  s->plan = std::move(plan).value();
  if (resume_after) {
    base::MutexLock lock(s->mutex);
    s->catching_up = true;
  }
  {
    base::MutexLock lock(mutex_);
    std::shared_ptr<const List>& list = by_table_[{query.module, query.table}];
    auto grown = list ? std::make_shared<List>(*list) : std::make_shared<List>();
    grown->push_back(s);
    list = std::move(grown);
    any_ = true;
  }
  uint64_t after = resume_after.value_or(0);
  bool resume = resume_after.has_value();
  commits_.when_durable(as_of, [this, s, subscribed = std::move(subscribed), resume, after,
                                as_of](base::Result<void> durable) mutable {
    if (!durable) {
      subscribed = Subscribed{subscribed.request_id, false,
                              "the node lost its log's tail: subscribe again", "Failed"};
      s->sink->send(std::move(subscribed));
      return remove(s);
    }
    if (!s->sink->send(std::move(subscribed))) return remove(s);
    if (resume) background_([this, s, after, as_of] { catch_up(s, after, as_of); });
  });
  return {};
}

void ClientHub::catch_up(const std::shared_ptr<Subscription>& s, uint64_t after, uint64_t upto) {
  std::string problem;
  uint64_t expected = after + 1;
  bool alive = true;
  if (after < upto) {
    auto read = storage::TransactionLog::read(
        env_, log_dir_, after + 1, [&](uint64_t offset, std::span<const uint8_t> payload) {
          if (offset > upto) return false;
          if (offset != expected) {
            problem = fmt::format("the log no longer holds offset {} (it was compacted)", expected);
            return false;
          }
          ++expected;
          auto record = storage::decode_tx_record(payload);
          if (!record || record->module != s->module) return true;
          Update update{s->id, offset, {}};
          for (const storage::RowEffect& effect : record->effects) {
            if (effect.table != s->table) continue;
            bool matches = s->plan.matches(effect.row.data);
            if (effect.kind == abi::TableOp::Update)
              // Only the new row is in the log: a row that stops matching is a delete.
              update.changes.push_back(RowChange{
                  matches ? abi::TableOp::Update : abi::TableOp::Delete, effect.row, std::nullopt});
            else if (matches)
              update.changes.push_back(RowChange{effect.kind, effect.row, std::nullopt});
          }
          if (!update.changes.empty()) alive = s->sink->send(std::move(update));
          return alive;
        });
    if (!read && problem.empty()) problem = read.error().message;
    if (problem.empty() && expected <= upto)
      problem = fmt::format("the log no longer holds offset {}", expected);
  }
  if (!problem.empty()) {
    s->sink->send(Unsubscribed{0, s->id, false,
                               fmt::format("{}: {}; subscribe again", kCannotResume, problem)});
    return remove(s);
  }
  if (!alive) return remove(s);
  // Live again: what waited goes first.
  base::MutexLock lock(s->mutex);
  for (Update& update : s->waiting)
    if (!s->sink->send(std::move(update))) break;
  s->waiting.clear();
  s->catching_up = false;
}

void ClientHub::deliver(Subscription& s, Update update) {
  base::MutexLock lock(s.mutex);
  if (s.ended) return;
  if (s.catching_up) {
    s.waiting.push_back(std::move(update));
    return;
  }
  if (!s.sink->send(std::move(update))) s.ended = true;
}

void ClientHub::publish(const runtime::CommittedTransaction& tx, uint64_t offset) {
  if (!any_.load()) return;
  // The subscription lists of the tables the transaction changed (usually one).
  std::vector<std::pair<const std::string*, std::shared_ptr<const List>>> lists;
  auto list_of = [&](const std::string& table) -> const List* {
    for (const auto& [name, list] : lists)
      if (*name == table) return list.get();
    return nullptr;
  };
  {
    base::MutexLock lock(mutex_);
    for (const runtime::TableEvent* e : tx.effects) {
      if (list_of(e->table)) continue;
      auto it = by_table_.find({tx.module, e->table});
      if (it != by_table_.end()) lists.emplace_back(&e->table, it->second);
    }
  }
  if (lists.empty()) return;
  std::vector<std::pair<std::shared_ptr<Subscription>, Update>> updates;
  for (const auto& [table, list] : lists)
    for (const std::shared_ptr<Subscription>& s : *list) {
      Update update{s->id, offset, {}};
      for (const runtime::TableEvent* e : tx.effects) {
        if (e->table != *table) continue;
        bool old_matches = e->kind != runtime::EventKind::Insert && s->plan.matches(e->old_row);
        bool new_matches = e->kind != runtime::EventKind::Delete && s->plan.matches(e->new_row);
        if (old_matches && new_matches)
          update.changes.push_back(
              RowChange{abi::TableOp::Update, abi::Bytes{e->new_row}, abi::Bytes{e->old_row}});
        else if (old_matches)
          update.changes.push_back(
              RowChange{abi::TableOp::Delete, abi::Bytes{e->old_row}, std::nullopt});
        else if (new_matches)
          update.changes.push_back(
              RowChange{abi::TableOp::Insert, abi::Bytes{e->new_row}, std::nullopt});
      }
      if (!update.changes.empty()) updates.emplace_back(s, std::move(update));
    }
  if (updates.empty()) return;
  commits_.when_durable(
      offset, [this, offset, updates = std::move(updates)](base::Result<void> durable) mutable {
        if (!durable) return;  // not durable: it did not happen
        auto started = tracer_.on() ? std::chrono::steady_clock::now() : Tracer::Time{};
        size_t count = updates.size();
        for (auto& [s, update] : updates) {
          deliver(*s, std::move(update));
          bool ended;
          {
            base::MutexLock lock(s->mutex);
            ended = s->ended;
          }
          if (ended) remove(s);
        }
        if (tracer_.on())
          tracer_.add("subscription", "deliver", started, std::chrono::steady_clock::now(),
                      {{"offset", offset}, {"subscriptions", count}});
      });
}

bool ClientHub::unsubscribe(const ClientSink* sink, uint64_t id) {
  std::shared_ptr<Subscription> found;
  {
    base::MutexLock lock(mutex_);
    for (auto& [key, list] : by_table_)
      for (const auto& s : *list)
        if (s->sink.get() == sink && s->id == id) found = s;
  }
  if (!found) return false;
  remove(found);
  return true;
}

void ClientHub::drop(const ClientSink* sink) {
  std::vector<std::shared_ptr<Subscription>> gone;
  {
    base::MutexLock lock(mutex_);
    for (auto& [key, list] : by_table_)
      for (const auto& s : *list)
        if (s->sink.get() == sink) gone.push_back(s);
  }
  for (const auto& s : gone) remove(s);
}

void ClientHub::modules_changed() {
  std::vector<std::shared_ptr<Subscription>> gone;
  {
    base::MutexLock lock(mutex_);
    for (auto& [key, list] : by_table_)
      for (const auto& s : *list)
        if (runtime_.table(s->module, s->table) != s->source) gone.push_back(s);
  }
  for (const auto& s : gone) {
    s->sink->send(Unsubscribed{0, s->id, false,
                               fmt::format("module '{}' was replaced or removed", s->module)});
    remove(s);
  }
}

void ClientHub::remove(const std::shared_ptr<Subscription>& s) {
  {
    base::MutexLock lock(s->mutex);
    s->ended = true;
    s->waiting.clear();
  }
  base::MutexLock lock(mutex_);
  auto it = by_table_.find({s->module, s->table});
  if (it == by_table_.end()) return;
  auto shrunk = std::make_shared<List>(*it->second);
  if (std::erase(*shrunk, s) == 0) return;
  if (shrunk->empty())
    by_table_.erase(it);
  else
    it->second = std::move(shrunk);
  any_ = !by_table_.empty();
}

size_t ClientHub::size() const {
  base::MutexLock lock(mutex_);
  size_t count = 0;
  for (const auto& [key, list] : by_table_) count += list->size();
  return count;
}

size_t ClientHub::count(const ClientSink* sink) const {
  base::MutexLock lock(mutex_);
  size_t count = 0;
  for (const auto& [key, list] : by_table_)
    for (const auto& s : *list) count += s->sink.get() == sink;
  return count;
}

}  // namespace interstice::node
