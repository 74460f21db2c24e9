// ClientSession: one client's WebSocket connection (GET /v1/ws), speaking
// the client protocol (docs/client-protocol.md): calls answered once
// durable, in completion order, many in flight; subscriptions with their
// rows and updates (client_hub.h).
//
// The connection's first frame fixes its form: binary frames (one or more
// messages each, in the canonical encoding, client_messages.h) or text
// frames (one JSON message each, client_json.h); the node answers in that
// form, and a frame of the other form ends the connection. A malformed
// message ends it too, with a Goodbye that says why. In the binary form the
// node packs the messages queued for a client into frames of up to
// kPackBytes, so a busy connection costs one write per batch, not per answer.
//
// Bounds (ClientLimits): a message's size; calls in flight (more are
// refused, each with its CallResult); subscriptions; and the bytes queued
// for a client that does not read: past them it gets a Goodbye ("too far
// behind") and is disconnected, and its subscriptions end.
//
// Threading: reading, writing and closing run on the HTTP server's I/O
// thread. send() and describe() (ClientSink) are called from any thread:
// they encode there and queue the message (out_); the I/O thread is posted
// to only when it is not already going to look at the queue.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "node/client_hub.h"
#include "node/client_json.h"
#include "node/http_server_state.h"
#include "node/node.h"

namespace interstice::node {

struct ClientLimits {
  size_t max_message_bytes = 1u << 20;  // a client's message
  size_t max_queued_bytes = 16u << 20;  // frames for the client not yet written
  size_t max_calls_in_flight = 4096;
  size_t max_subscriptions = 256;
  size_t subscription_rows = 100'000;  // rows a subscription may start with
  size_t max_json_depth = 128;
  size_t max_json_values = 65536;
  std::chrono::seconds idle_timeout{60};  // without a frame or a ping's answer
};

class ClientSession final : public ClientSink,
                            public UpgradedSession,
                            public std::enable_shared_from_this<ClientSession> {
 public:
  // Takes the upgraded connection over (on the I/O thread). `as_operator`:
  // the upgrade request carried the operator key (private tables).
  // `caller`: who its calls run as (ctx.caller()).
  static void start(std::unique_ptr<UpgradedConnection> connection, Node& node, ClientLimits limits,
                    bool as_operator, std::string caller);
  ClientSession(std::unique_ptr<UpgradedConnection> connection, Node& node, ClientLimits limits,
                bool as_operator, std::string caller);

  bool send(ServerMessage message) override;
  void describe(uint64_t id, const std::string& row_type,
                const std::vector<abi::TypeDef>& types) override;
  void close() override;

 private:
  enum class Form : uint8_t { Unknown, Binary, Json };
  static constexpr size_t kPackBytes = 64 << 10;  // binary messages packed into one frame
  using Socket = boost::asio::ip::tcp::socket;

  void read();
  void on_frame();
  void handle(ClientMessage message, nlohmann::ordered_json call_args);
  void call(CallMessage call, nlohmann::ordered_json call_args);
  void subscribe(SubscribeMessage subscribe);
  // I/O thread: writes the next frame of out_, unless a write is running.
  void write_next();
  bool nothing_to_write();
  // Sends a Goodbye after what is being written, then closes with `code`
  // (too_big: no Goodbye, only the close frame).
  void leave(const std::string& reason, boost::beast::websocket::close_code code =
                                            boost::beast::websocket::close_code::policy_error);
  // I/O thread: starts the close handshake once (it drains what the client sends).
  void close_handshake();

  std::shared_ptr<HttpServerState> server_;
  boost::beast::websocket::stream<Socket> ws_;
  boost::beast::flat_buffer in_;
  Node& node_;
  const ClientLimits limits_;
  const bool as_operator_;
  const std::string caller_;
  uint64_t server_id_ = 0;  // in server_->upgraded

  // I/O thread only:
  std::string writing_frame_;  // being written
  bool writing_ = false;
  bool leaving_ = false;  // a Goodbye is queued: close after it
  bool closing_ = false;  // the close handshake has started
  boost::beast::websocket::close_reason close_reason_;
  bool closed_ = false;

  // Any thread:
  std::atomic<Form> form_{Form::Unknown};
  std::atomic<size_t> queued_{0};  // bytes of frames posted and not yet written
  std::atomic<size_t> calls_in_flight_{0};
  std::atomic<size_t> pending_subscribes_{0};  // asked for, not yet described or refused
  std::atomic<bool> gone_{false};              // no more sends: closed, or too far behind
  base::Mutex mutex_;
  std::map<uint64_t, RowType> row_types_ GUARDED_BY(mutex_);  // by subscription id
  base::Mutex out_mutex_;
  std::deque<std::string> out_ GUARDED_BY(out_mutex_);  // frames not yet written
  // The I/O thread will look at out_ again (a write_next is posted, or a
  // write runs and its end looks): send() need not post.
  bool io_will_look_ GUARDED_BY(out_mutex_) = false;
};

}  // namespace interstice::node
