#include "net/outbox.h"

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <vector>

#include "net/peer_client.h"

namespace interstice::net {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {
constexpr auto kPingAfter = std::chrono::seconds(5);
constexpr auto kSilentLimit = std::chrono::seconds(15);
}  // namespace

struct Outbox::Link {
  std::string address;
  std::string host;
  uint16_t port = 0;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<CallRequest> queue;              // not sent on the current connection
  std::map<uint64_t, CallRequest> in_flight;  // sent, outcome not back yet
  std::vector<Subscribe> subscriptions;       // renewed on every connection
  std::vector<Subscribe> unsent;              // not sent on the current connection
  bool eager = false;                         // connect even with nothing to send
  bool stopping = false;
  std::shared_ptr<PeerClient> client;  // while connected
  bool lost = false;                   // the reader saw the connection end
  std::string lost_reason;
  Clock::time_point last_heard;
  Clock::time_point last_ping;
  std::thread thread;
  std::thread reader;

  bool wants_connection() const {
    return eager || !queue.empty() || !in_flight.empty() || !subscriptions.empty();
  }
};

Outbox::Outbox(const Identity& identity, KnownPeers* known, Handlers handlers,
               std::function<void(const std::string&)> log)
    : identity_(identity), known_(known), handlers_(std::move(handlers)), log_(std::move(log)) {}

Outbox::~Outbox() {
  std::map<std::string, std::unique_ptr<Link>> links;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    links.swap(links_);
  }
  // Joined without mutex_ held: a link's handler may be running node code
  // that is about to queue a call.
  for (auto& [address, link] : links) {
    {
      std::lock_guard link_lock(link->mutex);
      link->stopping = true;
    }
    link->changed.notify_all();
  }
  for (auto& [address, link] : links) link->thread.join();
}

Outbox::Link* Outbox::link_for(const std::string& address) {
  if (stopping_) return nullptr;
  auto& link = links_[address];
  if (!link) {
    link = std::make_unique<Link>();
    link->address = address;
    size_t colon = address.rfind(':');
    link->host = address.substr(0, colon);
    int port = 0;
    if (colon != std::string::npos) try {
        port = std::stoi(address.substr(colon + 1));
      } catch (const std::exception&) {
      }
    link->port = static_cast<uint16_t>(port > 0 && port < 65536 ? port : 0);
    link->thread = std::thread([this, raw = link.get()] { run(*raw); });
  }
  return link.get();
}

void Outbox::send(const std::string& address, CallRequest call) {
  std::lock_guard lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    std::lock_guard link_lock(link->mutex);
    link->queue.push_back(std::move(call));
  }
  link->changed.notify_all();
}

void Outbox::connect(const std::string& address) {
  std::lock_guard lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    std::lock_guard link_lock(link->mutex);
    link->eager = true;
  }
  link->changed.notify_all();
}

void Outbox::subscribe(const std::string& address, Subscribe subscribe) {
  std::lock_guard lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    std::lock_guard link_lock(link->mutex);
    link->subscriptions.push_back(subscribe);
    if (link->client) link->unsent.push_back(std::move(subscribe));
  }
  link->changed.notify_all();
}

// The writer: connects, sends, reconnects, keeps the connection alive.
void Outbox::run(Link& link) {
  auto backoff = milliseconds(100);
  std::unique_lock lock(link.mutex);
  auto end_connection = [&] {  // caller holds the lock; returns with it held
    std::shared_ptr<PeerClient> client = std::move(link.client);
    client->shutdown();
    lock.unlock();
    link.reader.join();
    lock.lock();
    // Calls whose outcome never came go out again first, oldest first.
    for (auto it = link.in_flight.rbegin(); it != link.in_flight.rend(); ++it)
      link.queue.push_front(std::move(it->second));
    link.in_flight.clear();
    link.lost = false;
    return client->peer_id();
  };
  for (;;) {
    link.changed.wait_for(lock, std::chrono::seconds(1), [&] {
      return link.stopping || link.lost || (!link.client && link.wants_connection()) ||
             (link.client && (!link.queue.empty() || !link.unsent.empty()));
    });
    if (link.stopping) break;
    if (link.lost) {
      std::string reason = link.lost_reason;
      std::string peer = end_connection();
      lock.unlock();
      log_(fmt::format("lost the connection to peer {} at {}: {}", peer, link.address, reason));
      if (handlers_.on_link) handlers_.on_link(link.address, peer, false);
      lock.lock();
      continue;
    }
    if (!link.client) {
      if (!link.wants_connection()) continue;
      lock.unlock();
      auto connected = PeerClient::connect(link.host, link.port, identity_, known_);
      if (!connected) {
        log_(fmt::format("cannot reach peer {}: {}; retrying in {} ms", link.address,
                         connected.error().message, backoff.count()));
        lock.lock();
        link.changed.wait_for(lock, backoff, [&] { return link.stopping; });
        backoff = std::min(backoff * 2, milliseconds(5000));
        continue;
      }
      std::shared_ptr<PeerClient> client = std::move(connected).value();
      client->set_receive_timeout(0);  // silence is detected by the pings
      backoff = milliseconds(100);
      log_(fmt::format("connected to peer {} at {}", client->peer_id(), link.address));
      if (handlers_.on_link) handlers_.on_link(link.address, client->peer_id(), true);
      lock.lock();
      link.client = client;
      link.unsent = link.subscriptions;
      link.last_heard = link.last_ping = Clock::now();
      link.reader = std::thread([this, &link, client] { read(link, client); });
      continue;
    }
    std::vector<Message> batch;
    for (Subscribe& s : link.unsent) batch.push_back(Message{std::move(s)});
    link.unsent.clear();
    while (!link.queue.empty()) {
      CallRequest& call = link.queue.front();
      link.in_flight[call.call_id] = call;
      batch.push_back(Message{std::move(call)});
      link.queue.pop_front();
    }
    auto now = Clock::now();
    bool silent = now - link.last_heard > kSilentLimit;
    if (batch.empty() && !silent && now - link.last_heard > kPingAfter &&
        now - link.last_ping > kPingAfter) {
      batch.push_back(Message{Ping{0}});
      link.last_ping = now;
    }
    std::shared_ptr<PeerClient> client = link.client;
    lock.unlock();
    if (silent) {
      log_(fmt::format("peer {} at {} has been silent for 15 s", client->peer_id(), link.address));
      client->shutdown();  // the reader sees the connection end
    }
    if (!batch.empty())
      if (auto sent = client->send(batch); !sent) client->shutdown();
    lock.lock();
  }
  if (link.client) {
    link.client->shutdown();
    lock.unlock();
    link.reader.join();
  }
}

// The reader of one connection: hands outcomes and events to the handlers
// until the connection ends.
void Outbox::read(Link& link, std::shared_ptr<PeerClient> client) {
  for (;;) {
    auto message = client->receive();
    std::unique_lock lock(link.mutex);
    if (!message) {
      link.lost = true;
      link.lost_reason = message.error().message;
      link.changed.notify_all();
      return;
    }
    link.last_heard = Clock::now();
    if (const CallResult* result = std::get_if<CallResult>(&message->value)) {
      bool expected = link.in_flight.erase(result->call_id) > 0;
      lock.unlock();
      if (expected && handlers_.on_result)
        handlers_.on_result(link.address, client->peer_id(), *result);
    } else if (const TableEvent* event = std::get_if<TableEvent>(&message->value)) {
      lock.unlock();
      if (handlers_.on_event) handlers_.on_event(link.address, client->peer_id(), *event);
    } else if (const SubscribeResult* sub = std::get_if<SubscribeResult>(&message->value)) {
      lock.unlock();
      if (!sub->ok && handlers_.on_refused) handlers_.on_refused(link.address, *sub);
    } else if (!std::holds_alternative<Pong>(message->value)) {
      lock.unlock();
      log_(fmt::format("peer {} at {} sent an unexpected message; disconnecting", client->peer_id(),
                       link.address));
      client->shutdown();
    }
  }
}

}  // namespace interstice::net
