// PeerGateway: what other nodes do here (docs/protocol.md): the peer server,
// the calls peers make to this node's reducers, and their subscriptions to
// its tables.
//
// Contract:
// - A call from an authenticated peer reaches only a public module; the
//   reducer sees the peer's node id as its caller and the access rules of an
//   outside call. It runs on its module's executor (`run_call`) and is
//   answered once its transaction is durable; it is remembered (CallLedger),
//   so a repeat after a lost answer is answered without running again.
// - A query from a peer (CallRequest::query) reaches only a public module;
//   it runs on the module's executor, reading through the views as that
//   peer (table_view.h), and is answered at once with its value (at most
//   kMaxQueryAnswer bytes). Nothing is logged or remembered.
// - A peer may subscribe to a public table of a public module, with a row
//   type that matches the table's (at most kMaxSubscriptions per
//   connection). Its subscription is one of the client hub's
//   (client_hub.h): it starts with the table's rows, or resumes after the
//   offset the peer asks for, and then gets every change once durable, in
//   commit order (docs/protocol.md, "Subscriptions").
//
// Threading: start and stop from the node's wiring thread; the server's I/O
// thread only posts calls and subscriptions and reads schemas in shared
// sections; sinks_ under sinks_mutex_.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "net/identity.h"
#include "net/peer_server.h"
#include "node/call_ledger.h"
#include "node/client_hub.h"
#include "node/commit_pipeline.h"
#include "node/executor_pool.h"
#include "runtime/runtime.h"

namespace interstice::node {

class PeerGateway {
 public:
  static constexpr size_t kMaxSubscriptions = 256;         // per peer connection
  static constexpr size_t kMaxQueryAnswer = 8u << 20;      // bytes of a query's value
  static constexpr size_t kMaxSubscriptionRows = 100'000;  // rows one may start with
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: any free port
    net::PeerLimits limits;
  };
  struct Hooks {
    // Posts `task` to the executor of `module` (false if the node is stopping).
    std::function<bool(const std::string& module, std::function<void()> task)> post_for;
    // Runs a peer's call on its module's executor (in the task): returns the
    // log offset that must be durable before it is answered.
    std::function<base::Result<uint64_t>(const net::CallRequest& call, const std::string& peer_id)>
        run_call;
    // A peer connected or disconnected (from the I/O thread).
    std::function<void(const std::string& peer_id, const std::string& address, bool connected)>
        on_link;
    // Optional: a peer's reducer call or query (call.query) was answered
    // (`ok`), `arrived` being when it came (metrics and traces; from the
    // thread that answers).
    std::function<void(const net::CallRequest& call, std::chrono::steady_clock::time_point arrived,
                       bool ok)>
        on_answered;
  };
  // Listens, after telling the server the calls already remembered.
  static base::Result<std::unique_ptr<PeerGateway>> start(const net::Identity& identity,
                                                          Options options, ExecutorPool& executors,
                                                          runtime::Runtime& runtime,
                                                          CallLedger& ledger,
                                                          CommitPipeline& commits,
                                                          ClientHub& subscriptions, Hooks hooks);
  ~PeerGateway();

  uint16_t port() const { return port_; }
  std::vector<net::PeerServer::ConnectedPeer> connected_peers() const;
  // Stops taking calls and connections (the destructor also does).
  void stop();

 private:
  class PeerSink;
  PeerGateway(ExecutorPool& executors, runtime::Runtime& runtime, CallLedger& ledger,
              CommitPipeline& commits, ClientHub& subscriptions, Hooks hooks);
  void on_call(const std::string& peer_id, const net::CallRequest& call,
               std::function<void(net::CallResult)> reply);
  // Whether a peer may subscribe: empty, or why not (in a shared section).
  std::string check_subscription(const net::Subscribe& subscribe);
  void on_subscribe(const net::Subscribe& subscribe, std::shared_ptr<net::PeerChannel> channel);

  ExecutorPool& executors_;
  runtime::Runtime& runtime_;
  CallLedger& ledger_;
  CommitPipeline& commits_;
  ClientHub& subscriptions_;
  const Hooks hooks_;
  base::Mutex sinks_mutex_;
  // One sink per subscribing connection, until it closes.
  std::map<const net::PeerChannel*, std::shared_ptr<PeerSink>> sinks_ GUARDED_BY(sinks_mutex_);
  std::unique_ptr<net::PeerServer> server_;  // set by start, then constant
  uint16_t port_ = 0;                        // set by start, then constant
};

}  // namespace interstice::node
