#include "net/peer_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "base/thread_name.h"
#include "net/frame.h"
#include "net/frame_cipher.h"
#include "net/handshake.h"

namespace interstice::net {

// A session as PeerChannel: sends are posted to the I/O thread, which owns
// the session. Threading: send from any thread; close on the I/O thread.
class PeerServer::SessionChannel final : public PeerChannel {
 public:
  SessionChannel(const std::shared_ptr<Session>& session, std::string peer_id, asio::io_context& io)
      : session_(session), peer_id_(std::move(peer_id)), io_(io) {}
  bool send(Message message) override;
  const std::string& peer_id() const override { return peer_id_; }
  void close() { closed_ = true; }

 private:
  std::weak_ptr<Session> session_;
  const std::string peer_id_;
  asio::io_context& io_;
  std::atomic<bool> closed_{false};
};

class PeerServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(PeerServer& server, asio::ip::tcp::socket socket)
      : server_(server),
        socket_(std::move(socket)),
        timer_(server.io_),
        handshake_(server.identity_, Role::Accepting) {
    asio::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // small frames, request/response
    auto endpoint = socket_.remote_endpoint(ec);
    remote_ = ec ? "?" : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
    ++server_.connections_;
  }

  void start() {
    auto self = shared_from_this();
    timer_.expires_after(server_.limits_.handshake_timeout);
    timer_.async_wait([self](const asio::error_code& ec) {
      if (!ec && self->state_ != State::Authenticated)
        self->close(fmt::format("the handshake did not finish within {} ms",
                                self->server_.limits_.handshake_timeout.count()));
    });
    send_clear(Message{handshake_.hello()});
    read();
  }

 private:
  friend class PeerServer;
  friend class SessionChannel;
  enum class State { AwaitHello, AwaitProof, Authenticated, Closed };

  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](const asio::error_code& ec, size_t n) {
      if (ec) {
        bool inside_frame = self->state_ != State::Closed && self->reader_.buffered() > 0;
        self->close(inside_frame ? "the connection ended inside a frame (truncated frame)" : "");
        return;
      }
      self->reader_.feed(std::span<const uint8_t>(self->buffer_.data(), n));
      std::vector<uint8_t> payload;
      std::string problem;
      for (;;) {
        auto status = self->reader_.next(&payload, &problem);
        if (status == FrameReader::Status::NeedMore) break;
        if (status == FrameReader::Status::Error) {
          self->close(problem);
          return;
        }
        if (!self->handle(payload)) return;
      }
      self->read();
    });
  }

  // One frame's payload; what it may be depends on the state, which is
  // checked before anything is decoded. Returns false when the session was
  // closed.
  bool handle(std::span<const uint8_t> payload) {
    switch (state_) {
      case State::AwaitHello: {
        auto hello = decode_hello(payload);
        if (!hello) return close(hello.error().message);
        auto proof = handshake_.on_hello(*hello);
        if (!proof) return close(proof.error().message);
        send_clear(Message{*proof});
        state_ = State::AwaitProof;
        return true;
      }
      case State::AwaitProof: {
        auto proof = decode_proof(payload);
        if (!proof) return close(proof.error().message);
        if (auto r = handshake_.on_proof(*proof); !r) return close(r.error().message);
        cipher_ = handshake_.take_cipher();
        reader_.set_max_payload(kMaxFrame);
        state_ = State::Authenticated;
        timer_.cancel();
        ++server_.authenticated_;
        {
          base::MutexLock lock(server_.peers_mutex_);
          server_.peers_[this] = ConnectedPeer{handshake_.peer_id(), remote_};
        }
        server_.log_(LogLevel::Info,
                     fmt::format("peer {} connected from {} (protocol {})", handshake_.peer_id(),
                                 remote_, handshake_.version()));
        if (server_.handlers_.on_peer)
          server_.handlers_.on_peer(handshake_.peer_id(), remote_, true);
        return true;
      }
      case State::Authenticated: {
        auto plaintext = cipher_->open(payload);
        if (!plaintext) return close(plaintext.error().message);
        auto messages = split_messages(*plaintext);
        if (!messages) return close(messages.error().message);
        for (const Message& message : *messages)
          if (!answer(message)) return false;
        return true;
      }
      case State::Closed:
        return false;
    }
    return false;
  }

  // An authenticated peer's message.
  bool answer(const Message& message) {
    if (const Ping* ping = std::get_if<Ping>(&message.value)) {
      send(Message{Pong{ping->nonce}});
      return state_ != State::Closed;
    }
    if (const CallRequest* call = std::get_if<CallRequest>(&message.value); call && call->query) {
      auto self = shared_from_this();
      server_.ask(handshake_.peer_id(), *call,
                  [self](const CallResult& result) { self->send(Message{result}); });
      return state_ != State::Closed;
    }
    if (const CallRequest* call = std::get_if<CallRequest>(&message.value)) {
      auto self = shared_from_this();
      server_.run_once(handshake_.peer_id(), *call,
                       [self](const CallResult& result) { self->send(Message{result}); });
      return state_ != State::Closed;
    }
    if (const Subscribe* subscribe = std::get_if<Subscribe>(&message.value)) {
      subscribe_to(*subscribe);
      return state_ != State::Closed;
    }
    return close("unexpected message after the handshake");
  }

  // Before authentication: Hello and Proof, in the clear.
  void send_clear(const Message& message) {
    std::vector<uint8_t> frame = encode_frame(message);
    if (!fits(frame.size())) return;
    pending_.insert(pending_.end(), frame.begin(), frame.end());
    if (!writing_) write();
  }
  // After it: the messages that pile up while a write is in flight go out
  // together in the next one, in one encrypted frame (one per kMaxMessage
  // bytes), so pipelined answers cost one write and one encryption per
  // batch, not per message.
  void send(const Message& message) {
    if (state_ != State::Authenticated) return;
    std::vector<uint8_t> one;
    append_message(one, message);
    if (!fits(one.size())) return;
    if (!plain_.empty() && plain_.size() + one.size() > kMaxMessage) seal_plain();
    plain_.insert(plain_.end(), one.begin(), one.end());
    if (!writing_) write();
  }

  // Whether `bytes` more may wait to be sent; if not, the peer fell behind
  // and is disconnected. One message may take the queue beyond the bound
  // (so any message can be sent).
  bool fits(size_t bytes) {
    if (state_ == State::Closed) return false;
    size_t queued = pending_.size() + plain_.size() + in_flight_.size();
    if (queued == 0 || queued + bytes <= server_.limits_.send_queue_bytes) return true;
    close(
        fmt::format("it fell behind: {} bytes are waiting to be sent to it, the limit is {} "
                    "(--peer-send-queue)",
                    queued + bytes, server_.limits_.send_queue_bytes));
    return false;
  }

  void seal_plain() {
    std::vector<uint8_t> frame = cipher_->seal_frame(plain_);
    pending_.insert(pending_.end(), frame.begin(), frame.end());
    plain_.clear();
  }

  void write() {
    if (!plain_.empty()) seal_plain();
    writing_ = true;
    in_flight_.swap(pending_);
    pending_.clear();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(in_flight_),
                      [self](const asio::error_code& ec, size_t) {
                        self->writing_ = false;
                        self->in_flight_.clear();
                        if (ec) return (void)self->close("");
                        if (!self->pending_.empty() || !self->plain_.empty()) self->write();
                      });
  }

  void subscribe_to(const Subscribe& subscribe) {
    if (!server_.handlers_.on_subscribe) {
      send(Message{SubscribeResult{subscribe.subscription_id, false,
                                   "this node accepts no subscriptions", 0}});
      return;
    }
    if (!channel_)
      channel_ =
          std::make_shared<SessionChannel>(shared_from_this(), handshake_.peer_id(), server_.io_);
    server_.handlers_.on_subscribe(subscribe, channel_);
  }

  bool close(const std::string& reason) {
    if (state_ == State::Closed) return false;
    bool was_authenticated = state_ == State::Authenticated;
    state_ = State::Closed;
    --server_.connections_;
    if (was_authenticated) {
      --server_.authenticated_;
      {
        base::MutexLock lock(server_.peers_mutex_);
        server_.peers_.erase(this);
      }
      size_t dropped = 0;
      if (channel_) {
        channel_->close();
        if (server_.handlers_.on_channel_closed)
          dropped = server_.handlers_.on_channel_closed(channel_.get());
      }
      server_.log_(LogLevel::Info,
                   fmt::format("peer {} disconnected{}{}", handshake_.peer_id(),
                               reason.empty() ? "" : ": " + reason,
                               dropped ? fmt::format("; dropped its {} subscription{}", dropped,
                                                     dropped == 1 ? "" : "s")
                                       : ""));
      if (server_.handlers_.on_peer)
        server_.handlers_.on_peer(handshake_.peer_id(), remote_, false);
    } else if (!reason.empty()) {
      server_.log_(LogLevel::Warning,
                   fmt::format("closing the connection from {}: {}", remote_, reason));
    }
    asio::error_code ec;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    // What was waiting to be sent goes now, not when the last reference does.
    std::vector<uint8_t>().swap(pending_);
    std::vector<uint8_t>().swap(plain_);
    return false;
  }

  PeerServer& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  Handshake handshake_;
  std::unique_ptr<FrameCipher> cipher_;  // once authenticated
  FrameReader reader_{kMaxHandshakeFrame};
  std::array<uint8_t, 4096> buffer_{};
  std::vector<uint8_t> plain_;      // messages waiting to be sealed into the next frame
  std::vector<uint8_t> pending_;    // frames waiting for the next write
  std::vector<uint8_t> in_flight_;  // the bytes of the write in progress
  bool writing_ = false;
  State state_ = State::AwaitHello;
  std::string remote_;
  std::shared_ptr<SessionChannel> channel_;  // once the peer subscribed
};

bool PeerServer::SessionChannel::send(Message message) {
  if (closed_) return false;
  asio::post(io_, [weak = session_, message = std::move(message)] {
    if (auto session = weak.lock()) session->send(message);
  });
  return true;
}

PeerServer::PeerServer(const Identity& identity, Log log, Handlers handlers, PeerLimits limits)
    : identity_(identity),
      log_(std::move(log)),
      handlers_(std::move(handlers)),
      limits_(std::move(limits)) {}

void PeerServer::run_once(const std::string& peer_id, const CallRequest& call,
                          std::function<void(const CallResult&)> reply) {
  auto key = std::make_pair(peer_id, call.call_id);
  auto [it, fresh] = outcomes_.try_emplace(key);
  if (!fresh) {
    if (it->second.result) return reply(*it->second.result);
    it->second.waiting.push_back(std::move(reply));
    return;
  }
  it->second.waiting.push_back(std::move(reply));
  outcome_order_.push_back(key);
  if (!handlers_.on_call)
    return finish_call(key, CallResult{call.call_id, false, "this node runs no calls from peers"});
  handlers_.on_call(peer_id, call, [this, key](CallResult result) {
    asio::post(io_, [this, key, result = std::move(result)]() mutable {
      finish_call(key, std::move(result));
    });
  });
}

// A query changes nothing: it is not remembered, and a repeat is asked again.
void PeerServer::ask(const std::string& peer_id, const CallRequest& call,
                     std::function<void(const CallResult&)> reply) {
  if (!handlers_.on_call)
    return reply(CallResult{call.call_id, false, "this node answers no queries from peers", {}});
  handlers_.on_call(peer_id, call, [this, reply = std::move(reply)](CallResult result) {
    asio::post(io_, [reply, result = std::move(result)] { reply(result); });
  });
}

namespace {

// `text` cut to at most `limit` bytes on a UTF-8 character boundary (a
// CallResult's error is a string: it must stay valid UTF-8).
std::string cut_utf8(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  constexpr std::string_view kMore = " [cut]";
  size_t end = limit - kMore.size();
  while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xc0) == 0x80) --end;
  return text.substr(0, end) + std::string(kMore);
}

}  // namespace

size_t PeerServer::outcome_cost(const OutcomeKey& key, const CallResult& result) {
  // The map node and the key's copy in outcome_order_, with their strings.
  constexpr size_t kOverhead = 160;
  return kOverhead + 2 * key.first.size() + result.error.size();
}

void PeerServer::finish_call(const OutcomeKey& key, CallResult result) {
  auto it = outcomes_.find(key);
  if (it == outcomes_.end()) return;
  result.call_id = key.second;
  result.error = cut_utf8(result.error, kMaxOutcomeError);
  it->second.result = std::move(result);
  outcome_bytes_ += outcome_cost(key, *it->second.result);
  for (auto& reply : it->second.waiting) reply(*it->second.result);
  it->second.waiting.clear();
  it->second.waiting.shrink_to_fit();
  forget_old_outcomes();
}

// Forgets the oldest finished outcomes beyond limits_.outcome_bytes; stops at
// one that still runs (it is finished soon, once durable).
void PeerServer::forget_old_outcomes() {
  while (outcome_bytes_ > limits_.outcome_bytes && !outcome_order_.empty()) {
    auto oldest = outcomes_.find(outcome_order_.front());
    if (oldest != outcomes_.end()) {
      if (!oldest->second.result) break;  // still running
      outcome_bytes_ -= outcome_cost(oldest->first, *oldest->second.result);
      outcomes_.erase(oldest);
    }
    outcome_order_.pop_front();
  }
}

void PeerServer::remember(const std::string& peer, uint64_t call_id) {
  auto key = std::make_pair(peer, call_id);
  auto [it, fresh] = outcomes_.try_emplace(key);
  if (!fresh) return;
  it->second.result = CallResult{call_id, true, ""};
  outcome_bytes_ += outcome_cost(key, *it->second.result);
  outcome_order_.push_back(key);
  forget_old_outcomes();
}

PeerServer::~PeerServer() {
  stop();
}

std::vector<PeerServer::ConnectedPeer> PeerServer::connected_peers() const {
  base::MutexLock lock(peers_mutex_);
  std::vector<ConnectedPeer> out;
  for (const auto& [session, peer] : peers_) out.push_back(peer);
  return out;
}

base::Result<uint16_t> PeerServer::start(const std::string& host, uint16_t port) {
  asio::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return base::make_error(fmt::format("'{}' is not an IP address", host));
  asio::ip::tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return base::make_error(
        fmt::format("cannot listen for peers on {}:{}: {}", host, port, ec.message()));
  uint16_t bound = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] {
    base::name_this_thread("peer-server");
    io_.run();
  });
  return bound;
}

void PeerServer::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;  // stopped
    if (ec) return accept_later(ec);
    if (accept_failing_) {
      accept_failing_ = false;
      log_(LogLevel::Info, "accepting peer connections again");
    }
    if (connections_ >= limits_.max_connections) {
      if (!refusing_)
        log_(LogLevel::Warning,
             fmt::format("refusing peer connections: {} are open, the limit is {} "
                         "(--peer-max-connections)",
                         connections_, limits_.max_connections));
      refusing_ = true;
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      if (refusing_) log_(LogLevel::Info, "accepting peer connections again");
      refusing_ = false;
      std::make_shared<Session>(*this, std::move(socket))->start();
    }
    accept();
  });
}

void PeerServer::accept_later(const asio::error_code& ec) {
  if (!accept_failing_)
    log_(
        LogLevel::Warning,
        fmt::format("cannot accept peer connections: {}; trying again every 100 ms", ec.message()));
  accept_failing_ = true;
  accept_timer_.expires_after(std::chrono::milliseconds(100));
  accept_timer_.async_wait([this](const asio::error_code& waited) {
    if (!waited && acceptor_.is_open()) accept();
  });
}

void PeerServer::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    asio::error_code ec;
    acceptor_.close(ec);
    accept_timer_.cancel();
  });
  io_.stop();
  thread_.join();
}

}  // namespace interstice::net
