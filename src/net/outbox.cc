#include "net/outbox.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "net/peer_client.h"

namespace interstice::net {

struct Outbox::Link {
  std::string address;
  std::string host;
  uint16_t port = 0;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<CallRequest> queue;
  bool eager = false;  // connect even with nothing to send
  bool stopping = false;
  std::thread thread;
};

Outbox::Outbox(const Identity& identity, KnownPeers* known, ResultHandler on_result,
               std::function<void(const std::string&)> log)
    : identity_(identity), known_(known), on_result_(std::move(on_result)), log_(std::move(log)) {}

Outbox::~Outbox() {
  std::lock_guard lock(mutex_);
  for (auto& [address, link] : links_) {
    {
      std::lock_guard link_lock(link->mutex);
      link->stopping = true;
    }
    link->changed.notify_all();
  }
  for (auto& [address, link] : links_) link->thread.join();
}

Outbox::Link& Outbox::link_for(const std::string& address) {
  auto& link = links_[address];
  if (!link) {
    link = std::make_unique<Link>();
    link->address = address;
    size_t colon = address.rfind(':');
    link->host = address.substr(0, colon);
    link->port = colon == std::string::npos
                     ? 0
                     : static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
    link->thread = std::thread([this, raw = link.get()] { run(*raw); });
  }
  return *link;
}

void Outbox::send(const std::string& address, CallRequest call) {
  std::lock_guard lock(mutex_);
  Link& link = link_for(address);
  {
    std::lock_guard link_lock(link.mutex);
    link.queue.push_back(std::move(call));
  }
  link.changed.notify_all();
}

void Outbox::connect(const std::string& address) {
  std::lock_guard lock(mutex_);
  Link& link = link_for(address);
  {
    std::lock_guard link_lock(link.mutex);
    link.eager = true;
  }
  link.changed.notify_all();
}

void Outbox::run(Link& link) {
  std::unique_ptr<PeerClient> client;
  auto backoff = std::chrono::milliseconds(100);
  std::unique_lock lock(link.mutex);
  for (;;) {
    link.changed.wait(
        lock, [&] { return link.stopping || !link.queue.empty() || (link.eager && !client); });
    if (link.stopping) return;
    std::optional<CallRequest> next;
    if (!link.queue.empty()) next = link.queue.front();
    lock.unlock();
    if (!client) {
      auto connected = PeerClient::connect(link.host, link.port, identity_, known_);
      if (connected) {
        client = std::move(connected).value();
        backoff = std::chrono::milliseconds(100);
        log_(fmt::format("connected to peer {} at {}", client->peer_id(), link.address));
      } else {
        log_(fmt::format("cannot reach peer {}: {}; retrying in {} ms", link.address,
                         connected.error().message, backoff.count()));
        lock.lock();
        link.changed.wait_for(lock, backoff, [&] { return link.stopping; });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
    }
    if (!next) {  // connected eagerly; nothing to send yet
      lock.lock();
      continue;
    }
    const CallRequest& call = *next;
    auto result = client->call(call.call_id, call.module, call.reducer, call.args.data);
    if (!result) {
      log_(fmt::format("lost the connection to peer {}: {}; will resend call {}", link.address,
                       result.error().message, call.call_id));
      client.reset();
      lock.lock();
      continue;
    }
    on_result_(link.address, client->peer_id(), *result);
    lock.lock();
    link.queue.pop_front();
  }
}

}  // namespace interstice::net
