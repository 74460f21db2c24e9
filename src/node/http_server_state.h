// HttpServer's insides (http_server.h), shared by the server and its
// sessions (http_session.h). Beast and Asio types stay out of
// http_server.h.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "node/http_server.h"

namespace interstice::node {

class HttpSession;

// A connection that left HTTP (a WebSocket); the server closes it when it
// shuts down. Threading: the I/O thread.
class UpgradedSession {
 public:
  virtual ~UpgradedSession() = default;
  virtual void close() = 0;
};

struct UpgradedConnection {
  std::shared_ptr<HttpServerState> server;
  boost::asio::ip::tcp::socket socket;
  boost::beast::http::request<boost::beast::http::string_body> request;
  HttpRequest parsed;
};

struct RouteEntry {
  std::string method;
  std::regex pattern;
  HttpServer::Route where;
  Handler handler;
};

// Threading: `limits`, `body_limit` and `routes` are set before serve() and
// only read after; everything else belongs to the I/O thread (serve()),
// except `io` itself, which any thread may post to.
struct HttpServerState : std::enable_shared_from_this<HttpServerState> {
  using Clock = std::chrono::steady_clock;

  explicit HttpServerState(HttpLimits l) : limits(l) {}

  const HttpLimits limits;
  std::function<size_t(const HttpRequest&)> body_limit;
  std::vector<RouteEntry> routes;
  std::map<std::string, UpgradeHandler> upgrades;  // by path

  boost::asio::io_context io{1};
  boost::asio::ip::tcp::acceptor acceptor{io};
  boost::asio::steady_timer accept_pause{io};
  std::optional<boost::asio::thread_pool> workers;  // during serve()

  // I/O thread only:
  std::map<uint64_t, std::shared_ptr<HttpSession>> sessions;  // every open HTTP connection
  // Upgraded connections (count toward max_connections, never evicted).
  std::map<uint64_t, std::weak_ptr<UpgradedSession>> upgraded;
  uint64_t next_id = 1;
  size_t buffered = 0;  // bytes held by bodies being read and responses being written
  bool stopping = false;
  Clock::time_point last_descriptor_warning{}, last_full_warning{};
  bool warned_descriptors = false, warned_full = false;

  void accept();
  // Closes the connection that has waited longest for a request; false if
  // every connection is busy.
  bool evict_one();
  void close_all();
  // Registers an upgraded session (closed at shutdown); its id, for forget().
  uint64_t adopt(std::weak_ptr<UpgradedSession> session);
  void forget(uint64_t id) { upgraded.erase(id); }
  // Runs the request's route (on this thread or a worker); `respond` answers it.
  void dispatch(HttpRequest request, Respond respond);
};

}  // namespace interstice::node
