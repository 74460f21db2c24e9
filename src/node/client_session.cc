#include "node/client_session.h"

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "abi/serialize.h"
#include "node/json_api.h"
#include "node/json_codec.h"

namespace interstice::node {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

const char* code_name(base::ErrorCode code) {
  switch (code) {
    case base::ErrorCode::NotFound:
      return "NotFound";
    case base::ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case base::ErrorCode::Forbidden:
      return "Forbidden";
    default:
      return "Failed";
  }
}

// The calls this I/O thread has read since it last handed them to the node:
// the first one posts a handler that hands them all over, and it runs after
// the reads that were ready with it, so the executor wakes once for the
// calls of many frames and connections.
struct GatheredCalls {
  Node* node = nullptr;
  std::vector<Node::OutsideCall> calls;
};
thread_local GatheredCalls gathered_calls;

void hand_over_gathered_calls() {
  std::vector<Node::OutsideCall> calls;
  calls.swap(gathered_calls.calls);
  if (!calls.empty()) gathered_calls.node->call_batch_async(std::move(calls));
}

}  // namespace

void ClientSession::start(std::unique_ptr<UpgradedConnection> connection, Node& node,
                          ClientLimits limits, bool as_operator, std::string caller) {
  // Kept until the handshake's answer is written.
  auto request = std::make_shared<beast::http::request<beast::http::string_body>>(
      std::move(connection->request));
  auto session = std::make_shared<ClientSession>(std::move(connection), node, limits, as_operator,
                                                 std::move(caller));
  session->server_id_ = session->server_->adopt(session);
  // No limit in Beast: read() enforces max_message_bytes itself (see there).
  session->ws_.read_message_max(0);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = limits.idle_timeout;
  timeouts.keep_alive_pings = true;
  session->ws_.set_option(timeouts);
  session->ws_.async_accept(*request, [session, request](error_code ec) {
    if (ec) return session->close();
    session->read();
  });
}

ClientSession::ClientSession(std::unique_ptr<UpgradedConnection> connection, Node& node,
                             ClientLimits limits, bool as_operator, std::string caller)
    : server_(connection->server),
      ws_(std::move(connection->socket)),
      node_(node),
      limits_(limits),
      as_operator_(as_operator),
      caller_(std::move(caller)) {}

// A message is read piece by piece so that one over the limit is refused
// here: close code 1009, then the close handshake drains what the client is
// still sending. Beast's own limit tears the connection down after reading a
// little more, and the kernel then resets it, so a client still sending never
// sees the close frame that says why.
void ClientSession::read() {
  constexpr size_t kReadPiece = 64 << 10;
  ws_.async_read_some(in_, kReadPiece, [self = shared_from_this()](error_code ec, size_t) {
    if (self->closed_) return;
    if (ec) return self->close();
    if (self->in_.size() > self->limits_.max_message_bytes) {
      self->in_.clear();
      self->in_.shrink_to_fit();
      return self->leave(
          fmt::format("a message is larger than {} bytes", self->limits_.max_message_bytes),
          websocket::close_code::too_big);
    }
    if (!self->ws_.is_message_done()) return self->read();
    self->on_frame();
    if (!self->leaving_ && !self->closed_) self->read();
  });
}

void ClientSession::on_frame() {
  Form form = ws_.got_text() ? Form::Json : Form::Binary;
  Form expected = Form::Unknown;
  if (!form_.compare_exchange_strong(expected, form) && expected != form)
    return leave("a connection speaks one form: binary or JSON text frames, not both");
  if (form == Form::Json) {
    std::string bytes = beast::buffers_to_string(in_.data());
    in_.consume(in_.size());
    JsonShape shape = scan_json(bytes);
    if (shape.depth > limits_.max_json_depth || shape.values > limits_.max_json_values)
      return leave(fmt::format("a message nests deeper than {} or holds more than {} JSON values",
                               limits_.max_json_depth, limits_.max_json_values));
    nlohmann::ordered_json call_args;
    auto message = client_message_from_json(bytes, &call_args);
    if (!message) return leave("malformed message: " + message.error().message);
    return handle(std::move(message).value(), std::move(call_args));
  }
  // One or more messages; those before a malformed one are handled.
  std::string problem;
  bool ok = for_each_in_frame<ClientMessage>(
      std::span(static_cast<const uint8_t*>(in_.data().data()), in_.size()), &problem,
      [this](ClientMessage message) {
        handle(std::move(message), {});
        return !leaving_ && !closed_;
      });
  in_.consume(in_.size());
  if (!ok) leave("malformed message: " + problem);
}

void ClientSession::handle(ClientMessage message, nlohmann::ordered_json call_args) {
  if (auto* c = std::get_if<CallMessage>(&message.value))
    return call(std::move(*c), std::move(call_args));
  if (auto* s = std::get_if<SubscribeMessage>(&message.value)) return subscribe(std::move(*s));
  if (auto* u = std::get_if<UnsubscribeMessage>(&message.value)) {
    bool ok = node_.unsubscribe(this, u->subscription_id);
    send(Unsubscribed{u->request_id, u->subscription_id, ok,
                      ok ? "" : "there is no such subscription"});
  }
}

void ClientSession::call(CallMessage call, nlohmann::ordered_json call_args) {
  auto refuse = [&](const base::Error& error) {
    node_.metrics().outside_call(NodeMetrics::Outcome::Refused, {});
    send(CallResult{call.request_id, false, error.message, code_name(error.code)});
  };
  if (calls_in_flight_.load() >= limits_.max_calls_in_flight)
    return refuse(base::make_error(
        fmt::format("{} calls are in flight on this connection already; wait for their answers",
                    limits_.max_calls_in_flight),
        base::ErrorCode::InvalidArgument));
  if (form_.load() == Form::Json) {
    auto bytes = encode_call_json(node_, call.module, call.reducer, call_args);
    if (!bytes) return refuse(bytes.error());
    call.args = abi::Bytes{std::move(bytes).value()};
  }
  ++calls_in_flight_;
  std::weak_ptr<ClientSession> weak = weak_from_this();
  if (gathered_calls.node != &node_) hand_over_gathered_calls();  // (one node per I/O thread)
  gathered_calls.node = &node_;
  if (gathered_calls.calls.empty()) net::post(server_->io, hand_over_gathered_calls);
  gathered_calls.calls.push_back(Node::OutsideCall{
      std::move(call.module), std::move(call.reducer), std::move(call.args.data),
      [weak, id = call.request_id](base::Result<void> done) {
        auto self = weak.lock();
        if (!self) return;
        --self->calls_in_flight_;
        self->send(done
                       ? CallResult{id, true, "", ""}
                       : CallResult{id, false, done.error().message, code_name(done.error().code)});
      },
      caller_});
}

void ClientSession::subscribe(SubscribeMessage subscribe) {
  uint64_t id = subscribe.request_id;
  auto refuse = [weak = weak_from_this(), id](const base::Error& error) {
    if (auto self = weak.lock()) {
      --self->pending_subscribes_;
      self->send(Subscribed{id, false, error.message, code_name(error.code)});
    }
  };
  size_t open;
  bool in_use;
  {
    base::MutexLock lock(mutex_);
    open = row_types_.size();
    in_use = row_types_.contains(id);
  }
  ++pending_subscribes_;
  if (in_use)
    return refuse(base::make_error(fmt::format("subscription {} exists already", id),
                                   base::ErrorCode::InvalidArgument));
  if (open + pending_subscribes_.load() > limits_.max_subscriptions)
    return refuse(base::make_error(
        fmt::format("a connection may hold {} subscriptions", limits_.max_subscriptions),
        base::ErrorCode::InvalidArgument));
  node_.subscribe(shared_from_this(), id, subscribe.query, subscribe.resume_after,
                  limits_.subscription_rows,
                  as_operator_ ? Reader::operator_key() : Reader::named(caller_), refuse);
}

void ClientSession::describe(uint64_t id, const std::string& row_type,
                             const std::vector<abi::TypeDef>& types) {
  --pending_subscribes_;
  base::MutexLock lock(mutex_);
  row_types_[id] = RowType{row_type, types};
}

bool ClientSession::send(ServerMessage message) {
  if (gone_.load()) return false;
  std::string frame;
  if (form_.load() == Form::Json) {
    base::MutexLock lock(mutex_);
    const std::map<uint64_t, RowType>* types = &row_types_;  // read under the lock, below
    frame = server_message_to_json(message, [types](uint64_t id) -> const RowType* {
      auto it = types->find(id);
      return it == types->end() ? nullptr : &it->second;
    });
  } else {
    std::vector<uint8_t> bytes = abi::to_bytes(message);
    frame.assign(bytes.begin(), bytes.end());
  }
  // A subscription that ended (or never started) forgets its rows' type.
  if (const auto* u = std::get_if<Unsubscribed>(&message.value)) {
    base::MutexLock lock(mutex_);
    row_types_.erase(u->subscription_id);
  } else if (const auto* s = std::get_if<Subscribed>(&message.value); s && !s->ok) {
    base::MutexLock lock(mutex_);
    row_types_.erase(s->request_id);
  }
  size_t queued = queued_ += frame.size();
  if (queued > limits_.max_queued_bytes) {
    if (!gone_.exchange(true))
      net::post(server_->io, [self = shared_from_this(), queued] {
        {
          base::MutexLock lock(self->out_mutex_);
          self->out_.clear();
        }
        self->leave(fmt::format("too far behind: {} bytes of messages unread (the limit is {})",
                                queued, self->limits_.max_queued_bytes));
      });
    return false;
  }
  bool post;
  {
    base::MutexLock lock(out_mutex_);
    if (gone_.load()) return false;  // a Goodbye is queued (leave): nothing after it
    if (form_.load() == Form::Binary && !out_.empty() &&
        out_.back().size() + frame.size() <= kPackBytes)
      out_.back() += frame;
    else
      out_.push_back(std::move(frame));
    post = !io_will_look_;
    io_will_look_ = true;
  }
  if (post) net::post(server_->io, [self = shared_from_this()] { self->write_next(); });
  return true;
}

bool ClientSession::nothing_to_write() {
  base::MutexLock lock(out_mutex_);
  return out_.empty();
}

void ClientSession::write_next() {
  if (writing_ || closed_) return;  // the write's end looks again
  {
    base::MutexLock lock(out_mutex_);
    if (out_.empty()) {
      io_will_look_ = false;
      return;
    }
    writing_frame_ = std::move(out_.front());
    out_.pop_front();
    io_will_look_ = true;  // the write's end looks
  }
  writing_ = true;
  ws_.binary(form_.load() != Form::Json);
  ws_.async_write(net::buffer(writing_frame_), [self = shared_from_this()](error_code ec, size_t) {
    self->writing_ = false;
    if (self->closed_) return;
    self->queued_ -= self->writing_frame_.size();
    if (ec) return self->close();
    if (self->leaving_ && self->nothing_to_write()) return self->close_handshake();
    self->write_next();
  });
}

void ClientSession::close_handshake() {
  if (closing_ || closed_) return;
  closing_ = true;
  ws_.async_close(close_reason_, [self = shared_from_this()](error_code) { self->close(); });
}

void ClientSession::leave(const std::string& reason, websocket::close_code code) {
  if (leaving_ || closed_) return;
  // A close frame's reason holds at most 123 bytes.
  close_reason_ = websocket::close_reason(code, reason.size() <= 123 ? reason : "");
  if (code == websocket::close_code::too_big) {
    // No Goodbye: the close code says it, in either form.
    leaving_ = true;
    gone_ = true;
    node_.drop_client(this);
    {
      base::MutexLock lock(out_mutex_);
      out_.clear();
    }
    if (!writing_) close_handshake();
    return;
  }
  std::string frame;
  ServerMessage goodbye = Goodbye{reason};
  if (form_.load() == Form::Json) {
    frame = server_message_to_json(goodbye, [](uint64_t) -> const RowType* { return nullptr; });
  } else {
    std::vector<uint8_t> bytes = abi::to_bytes(goodbye);
    frame.assign(bytes.begin(), bytes.end());
  }
  queued_ += frame.size();
  {
    base::MutexLock lock(out_mutex_);
    gone_ = true;  // under out_mutex_: no send() queues a message after the Goodbye
    out_.push_back(std::move(frame));  // a frame of its own
  }
  leaving_ = true;
  node_.drop_client(this);
  write_next();
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = true;
  gone_ = true;
  node_.drop_client(this);
  error_code ignored;
  beast::get_lowest_layer(ws_).close(ignored);
  server_->forget(server_id_);
}

}  // namespace interstice::node
