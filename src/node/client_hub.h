// ClientHub: the clients' live subscriptions (docs/client-protocol.md).
//
// A subscription is a SQL filter on one table. It starts on the table's
// module executor, between that module's transactions, so no change is
// missed or seen twice:
//   - fresh: the matching rows are read there, as of log offset L (the last
//     appended), and sent once L is durable;
//   - resumed after offset N: once L is durable, a worker reads the log's
//     records (N, L] and sends their matching changes; live changes that
//     come meanwhile wait behind them.
// Then every committed transaction of the module (publish, on its executor)
// yields the subscription's changes, sent once the transaction is durable,
// through the commit pipeline's acknowledgements, so in log order. An update
// whose new row matches is an update; one whose old row matched and new row
// does not is a delete; one whose new row matches and old did not is an
// insert.
//
// Threading: subscribe on the module's executor; publish on the executor
// that committed; unsubscribe, drop and module_changed from any thread (the
// last inside an exclusive section). Sinks are called from the acknowledging
// thread, the catch-up worker and the caller of subscribe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/mutex.h"
#include "base/result.h"
#include "node/client_messages.h"
#include "node/commit_pipeline.h"
#include "node/table_view.h"
#include "node/tracer.h"
#include "query/plan.h"
#include "runtime/runtime.h"

namespace interstice::node {

// Where a subscriber's messages go. send() must not block (it queues); it
// returns false once the subscriber is gone, and the hub then forgets its
// subscriptions.
class ClientSink {
 public:
  virtual ~ClientSink() = default;
  virtual bool send(ServerMessage message) = 0;
  // Before any message of subscription `id`: the type of its rows (the row
  // type's name and the module's types), for sinks that convert rows.
  virtual void describe(uint64_t id, const std::string& row_type,
                        const std::vector<abi::TypeDef>& types) = 0;
};

// Every refusal or end of a subscription because its resume point is not in
// the log starts with this text (PeerGateway tells peers so in a flag).
inline constexpr std::string_view kCannotResume = "cannot resume";

class ClientHub {
 public:
  using RunInBackground = std::function<void(std::function<void()>)>;

  // `log_dir` is read for catch-ups, on threads that `background` provides.
  // Deliveries are traced through `tracer`.
  ClientHub(runtime::Runtime& runtime, CommitPipeline& commits, base::Env& env,
            std::filesystem::path log_dir, RunInBackground background, Tracer& tracer);

  // On `query.module`'s executor: starts subscription `id` of `sink` (see
  // above). InvalidArgument (the query, ORDER BY or LIMIT, a resume offset
  // beyond the log, more than `max_rows` rows), NotFound, Forbidden (a
  // private table, unless `reader` is the operator). A view narrows the
  // query to the rows `reader` sees: a row that stops matching the view is
  // a delete, one that starts matching an insert.
  base::Result<void> subscribe(std::shared_ptr<ClientSink> sink, uint64_t id,
                               const query::SelectQuery& query,
                               std::optional<uint64_t> resume_after, size_t max_rows,
                               const Reader& reader);
  // Ends subscription `id` of `sink`; false if it has none.
  bool unsubscribe(const ClientSink* sink, uint64_t id);
  // Ends every subscription of `sink` (its connection closed).
  void drop(const ClientSink* sink);
  // After modules changed (inside an exclusive section): subscriptions to a
  // table that was replaced or removed end, with Unsubscribed (the reason).
  void modules_changed();
  // On the executor that committed `tx` at `offset`.
  void publish(const runtime::CommittedTransaction& tx, uint64_t offset);
  // Subscriptions open, in all or of `sink`.
  size_t size() const;
  size_t count(const ClientSink* sink) const;

 private:
  struct Subscription {
    std::shared_ptr<ClientSink> sink;
    uint64_t id = 0;
    std::string module, table;
    const runtime::Table* source = nullptr;  // the table as it was subscribed to
    query::QueryPlan plan;
    // Guards the delivery state below.
    base::Mutex mutex;
    bool catching_up GUARDED_BY(mutex) = false;     // a resume reads the log
    std::vector<Update> waiting GUARDED_BY(mutex);  // live updates behind the catch-up
    bool ended GUARDED_BY(mutex) = false;
  };
  using Key = std::pair<std::string, std::string>;  // module, table
  // A table's subscriptions, copied on change: publish takes the current
  // list under the mutex and matches rows without it.
  using List = std::vector<std::shared_ptr<Subscription>>;

  void deliver(Subscription& s, Update update);
  // The catch-up of `s` from the log: (after, upto].
  void catch_up(const std::shared_ptr<Subscription>& s, uint64_t after, uint64_t upto);
  void remove(const std::shared_ptr<Subscription>& s);

  runtime::Runtime& runtime_;
  CommitPipeline& commits_;
  base::Env& env_;
  const std::filesystem::path log_dir_;
  const RunInBackground background_;
  Tracer& tracer_;
  mutable base::Mutex mutex_;
  std::map<Key, std::shared_ptr<const List>> by_table_ GUARDED_BY(mutex_);
  std::atomic<bool> any_{false};  // by_table_ is not empty (publish skips the mutex)
};

}  // namespace interstice::node
