#include "net/outbox.h"

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <vector>

#include "base/thread_name.h"
#include "net/peer_client.h"

namespace interstice::net {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {
constexpr auto kPingAfter = std::chrono::seconds(5);
constexpr auto kSilentLimit = std::chrono::seconds(15);
}  // namespace

// One peer's link. Threading: `thread` (the writer, run) and `reader` (read,
// one per connection) share what `mutex` guards; the node's threads queue
// work under it. The address fields are constant; the threads are started
// and joined by the writer (reader) and the destructor (thread).
struct Outbox::Link {
  std::string address;
  std::string host;
  uint16_t port = 0;
  base::Mutex mutex;
  base::CondVar changed;                                        // any field below changed
  std::deque<CallRequest> queue GUARDED_BY(mutex);              // not sent on this connection
  std::map<uint64_t, CallRequest> in_flight GUARDED_BY(mutex);  // sent, outcome not back yet
  std::vector<Subscribe> subscriptions GUARDED_BY(mutex);       // renewed on every connection
  std::vector<Subscribe> unsent GUARDED_BY(mutex);  // not sent on the current connection
  bool eager GUARDED_BY(mutex) = false;             // connect even with nothing to send
  bool stopping GUARDED_BY(mutex) = false;
  std::shared_ptr<PeerClient> client GUARDED_BY(mutex);  // while connected
  bool lost GUARDED_BY(mutex) = false;                   // the reader saw the connection end
  std::string lost_reason GUARDED_BY(mutex);
  std::string last_error GUARDED_BY(mutex);  // of the last failed attempt to connect
  Clock::time_point last_heard GUARDED_BY(mutex);
  Clock::time_point last_ping GUARDED_BY(mutex);
  std::thread thread;
  std::thread reader;

  // Ends the current connection (the reader saw it end): its calls without
  // an outcome go out again first, oldest first. Returns the peer's id.
  // (The reader is joined with `mutex` released: it takes it.)
  std::string end_connection() REQUIRES(mutex) {
    std::shared_ptr<PeerClient> ended = std::move(client);
    ended->shutdown();
    mutex.unlock();
    reader.join();
    mutex.lock();
    for (auto it = in_flight.rbegin(); it != in_flight.rend(); ++it)
      queue.push_front(std::move(it->second));
    in_flight.clear();
    lost = false;
    return ended->peer_id();
  }

  bool wants_connection() const REQUIRES(mutex) {
    return eager || !queue.empty() || !in_flight.empty() || !subscriptions.empty();
  }
};

Outbox::Outbox(const Identity& identity, KnownPeers* known, Handlers handlers, Log log)
    : identity_(identity), known_(known), handlers_(std::move(handlers)), log_(std::move(log)) {}

Outbox::~Outbox() {
  std::map<std::string, std::unique_ptr<Link>> links;
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
    links.swap(links_);
  }
  // Joined without mutex_ held: a link's handler may be running node code
  // that is about to queue a call.
  for (auto& [address, link] : links) {
    {
      base::MutexLock link_lock(link->mutex);
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
  base::MutexLock lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    base::MutexLock link_lock(link->mutex);
    link->queue.push_back(std::move(call));
  }
  link->changed.notify_all();
}

void Outbox::connect(const std::string& address) {
  base::MutexLock lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    base::MutexLock link_lock(link->mutex);
    link->eager = true;
  }
  link->changed.notify_all();
}

void Outbox::subscribe(const std::string& address, Subscribe subscribe) {
  base::MutexLock lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    base::MutexLock link_lock(link->mutex);
    link->subscriptions.push_back(subscribe);
    if (link->client) link->unsent.push_back(std::move(subscribe));
  }
  link->changed.notify_all();
}

void Outbox::renew(const std::string& address, uint64_t subscription_id) {
  base::MutexLock lock(mutex_);
  Link* link = link_for(address);
  if (!link) return;
  {
    base::MutexLock link_lock(link->mutex);
    if (!link->client) return;  // the next connection sends every subscription
    for (const Subscribe& s : link->subscriptions)
      if (s.subscription_id == subscription_id) link->unsent.push_back(s);
  }
  link->changed.notify_all();
}

std::vector<Outbox::LinkStatus> Outbox::links() {
  std::vector<LinkStatus> out;
  base::MutexLock lock(mutex_);
  for (const auto& [address, link] : links_) {
    base::MutexLock link_lock(link->mutex);
    out.push_back(LinkStatus{address, link->client ? link->client->peer_id() : "",
                             link->queue.size(), link->in_flight.size(), link->subscriptions.size(),
                             link->last_error});
  }
  return out;
}

// The writer: connects, sends, reconnects, keeps the connection alive.
void Outbox::run(Link& link) {
  base::name_this_thread("peer-link");
  auto backoff = milliseconds(100);
  // The failures to connect since the last connection: the first is
  // reported at info (a refused key always as a warning), repeats of the
  // same error at debug, so that a peer that stays down does not fill the log.
  uint64_t failures = 0;
  std::string last_failure;
  base::MutexLock lock(link.mutex);
  for (;;) {
    auto deadline = Clock::now() + std::chrono::seconds(1);
    while (!link.stopping && !link.lost && !(!link.client && link.wants_connection()) &&
           !(link.client && (!link.queue.empty() || !link.unsent.empty())))
      if (!link.changed.wait_until(lock, deadline)) break;
    if (link.stopping) break;
    if (link.lost) {
      std::string reason = link.lost_reason;
      std::string peer = link.end_connection();
      lock.unlock();
      log_(LogLevel::Info,
           fmt::format("lost the connection to peer {} at {}: {}", peer, link.address, reason));
      if (handlers_.on_link) handlers_.on_link(link.address, peer, false);
      lock.lock();
      continue;
    }
    if (!link.client) {
      if (!link.wants_connection()) continue;
      lock.unlock();
      auto connected = PeerClient::connect(link.host, link.port, identity_, known_);
      if (!connected) {
        const base::Error& error = connected.error();
        LogLevel level = error.code == base::ErrorCode::Forbidden ? LogLevel::Warning
                         : error.message == last_failure          ? LogLevel::Debug
                                                                  : LogLevel::Info;
        log_(level, fmt::format("cannot reach peer {}: {}; trying again in {} ms{}", link.address,
                                error.message, backoff.count(),
                                level == LogLevel::Info ? " and then at most every 5 s" : ""));
        ++failures;
        last_failure = error.message;
        lock.lock();
        link.last_error = error.message;
        auto retry = Clock::now() + backoff;
        while (!link.stopping)
          if (!link.changed.wait_until(lock, retry)) break;
        backoff = std::min(backoff * 2, milliseconds(5000));
        continue;
      }
      std::shared_ptr<PeerClient> client = std::move(connected).value();
      client->set_receive_timeout(0);  // silence is detected by the pings
      backoff = milliseconds(100);
      log_(LogLevel::Info,
           fmt::format("connected to peer {} at {}{}", client->peer_id(), link.address,
                       failures ? fmt::format(" after {} failed attempt{}", failures,
                                              failures == 1 ? "" : "s")
                                : ""));
      failures = 0;
      last_failure.clear();
      if (handlers_.on_link) handlers_.on_link(link.address, client->peer_id(), true);
      lock.lock();
      link.last_error.clear();
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
      log_(LogLevel::Info,
           fmt::format("peer {} at {} has been silent for 15 s", client->peer_id(), link.address));
      client->shutdown();  // the reader sees the connection end
    }
    if (handlers_.before_subscribe)
      for (Message& m : batch)
        if (Subscribe* s = std::get_if<Subscribe>(&m.value))
          handlers_.before_subscribe(link.address, *s);
    if (!batch.empty()) {
      auto started = handlers_.on_sent ? Clock::now() : Clock::time_point{};
      auto sent = client->send(batch);
      if (handlers_.on_sent)
        handlers_.on_sent(link.address, batch.size(), started, Clock::now(), sent.ok());
      if (!sent) client->shutdown();
    }
    lock.lock();
  }
  std::shared_ptr<PeerClient> last = std::move(link.client);
  lock.unlock();
  if (last) {
    last->shutdown();
    link.reader.join();
  }
}

// The reader of one connection: hands outcomes and events to the handlers
// (without the lock) until the connection ends.
void Outbox::read(Link& link, std::shared_ptr<PeerClient> client) {
  base::name_this_thread("peer-reader");
  for (;;) {
    auto message = client->receive();
    bool expected = false;  // a result of a call in flight
    {
      base::MutexLock lock(link.mutex);
      if (!message) {
        link.lost = true;
        link.lost_reason = message.error().message;
        link.changed.notify_all();
        return;
      }
      link.last_heard = Clock::now();
      if (const CallResult* result = std::get_if<CallResult>(&message->value))
        expected = link.in_flight.erase(result->call_id) > 0;
    }
    if (const CallResult* result = std::get_if<CallResult>(&message->value)) {
      if (expected && handlers_.on_result)
        handlers_.on_result(link.address, client->peer_id(), *result);
    } else if (const TableEvent* event = std::get_if<TableEvent>(&message->value)) {
      if (handlers_.on_event) handlers_.on_event(link.address, client->peer_id(), *event);
    } else if (const SubscribeResult* sub = std::get_if<SubscribeResult>(&message->value)) {
      if (handlers_.on_subscribe_result) handlers_.on_subscribe_result(link.address, *sub);
    } else if (!std::holds_alternative<Pong>(message->value)) {
      log_(LogLevel::Warning, fmt::format("peer {} at {} sent an unexpected message; disconnecting",
                                          client->peer_id(), link.address));
      client->shutdown();
    }
  }
}

}  // namespace interstice::net
