#include "node/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <boost/asio/post.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

#include "base/thread_name.h"
#include "node/http_server_state.h"
#include "node/http_session.h"

namespace interstice::node {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = net::ip::tcp;

namespace {

// Repeated warnings (descriptor limit, connection limit) are logged at most
// this often.
constexpr auto kWarnEvery = std::chrono::minutes(1);

bool warn_now(bool* warned, std::chrono::steady_clock::time_point* last) {
  auto now = std::chrono::steady_clock::now();
  if (*warned && now - *last < kWarnEvery) return false;
  *warned = true;
  *last = now;
  return true;
}

bool out_of_descriptors(const error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory || ec.value() == ENFILE;
}

// A whole error response that closes the connection, for a socket that gets
// no session.
std::string error_response_bytes(int status, const std::string& message) {
  HttpResponse error = HttpResponse::error(status, message);
  http::response<http::string_body> response;
  response.version(11);
  response.result(static_cast<unsigned>(status));
  response.set(http::field::content_type, error.content_type);
  response.body() = error.body;
  response.keep_alive(false);
  response.prepare_payload();
  std::ostringstream out;
  out << response;
  return out.str();
}

}  // namespace

HttpResponse HttpResponse::error(int status, const std::string& message) {
  return HttpResponse{status, "application/json", nlohmann::json{{"error", message}}.dump(), {}};
}

void HttpServerState::accept() {
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (self->stopping) return;
    if (ec == net::error::operation_aborted) return;
    if (ec == net::error::connection_aborted || ec == net::error::interrupted)
      return self->accept();
    if (ec) {
      if (out_of_descriptors(ec)) {
        if (warn_now(&self->warned_descriptors, &self->last_descriptor_warning))
          spdlog::warn(
              "HTTP: cannot accept connections: {}; closing the longest-waiting ones, and "
              "accepting again (raise `ulimit -n`, or lower --http-max-connections)",
              ec.message());
        if (self->evict_one()) return self->accept();
      } else {
        spdlog::warn("HTTP: accept failed: {}; accepting again shortly", ec.message());
      }
      self->accept_pause.expires_after(std::chrono::milliseconds(100));
      self->accept_pause.async_wait([self](error_code wait) {
        if (!wait && !self->stopping) self->accept();
      });
      return;
    }
    if (self->sessions.size() + self->upgraded.size() >= self->limits.max_connections) {
      if (warn_now(&self->warned_full, &self->last_full_warning))
        spdlog::warn(
            "HTTP: {} connections open (--http-max-connections); closing the longest-waiting "
            "ones to admit new ones",
            self->sessions.size());
      if (!self->evict_one()) {
        std::string refusal = error_response_bytes(
            503, "the node is serving as many requests as it can (--http-max-connections)");
        (void)::send(socket.native_handle(), refusal.data(), refusal.size(),
                     MSG_NOSIGNAL | MSG_DONTWAIT);
        return self->accept();  // (the socket closes here)
      }
    }
    uint64_t id = self->next_id++;
    auto session = std::make_shared<HttpSession>(*self, id, std::move(socket));
    self->sessions.emplace(id, session);
    session->start();
    self->accept();
  });
}

bool HttpServerState::evict_one() {
  std::shared_ptr<HttpSession> oldest;
  for (auto& [id, session] : sessions)
    if (session->evictable() && (!oldest || session->since() < oldest->since())) oldest = session;
  if (!oldest) return false;
  oldest->close();
  return true;
}

void HttpServerState::close_all() {
  auto open = std::move(sessions);
  sessions.clear();
  for (auto& [id, session] : open) session->close();
  auto others = std::move(upgraded);
  upgraded.clear();
  for (auto& [id, weak] : others)
    if (auto session = weak.lock()) session->close();
}

uint64_t HttpServerState::adopt(std::weak_ptr<UpgradedSession> session) {
  uint64_t id = next_id++;
  upgraded.emplace(id, std::move(session));
  return id;
}

void HttpServerState::dispatch(HttpRequest request, Respond respond) {
  bool path_known = false;
  for (const RouteEntry& route : routes) {
    std::smatch match;
    if (!std::regex_match(request.path, match, route.pattern)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    for (size_t i = 1; i < match.size(); ++i) request.matches.push_back(match[i].str());
    auto run = [handler = &route.handler, request = std::move(request), respond]() mutable {
      try {
        (*handler)(request, respond);
      } catch (const std::exception& e) {
        respond(HttpResponse::error(500, fmt::format("the node failed: {}", e.what())));
      }
    };
    if (route.where == HttpServer::Route::Inline)
      run();
    else
      net::post(*workers, std::move(run));
    return;
  }
  respond(path_known
              ? HttpResponse::error(
                    405, fmt::format("{} is not allowed on {}", request.method, request.path))
              : HttpResponse::error(404, fmt::format("there is nothing at {}", request.path)));
}

HttpServer::HttpServer(HttpLimits limits) : state_(std::make_shared<HttpServerState>(limits)) {}

// serve() has returned (or never ran): what is still queued runs here, so
// that no handler outlives the server holding it.
HttpServer::~HttpServer() {
  shut_down();
  state_->io.restart();
  state_->io.run();
}

const HttpLimits& HttpServer::limits() const {
  return state_->limits;
}

void HttpServer::set_body_limit(std::function<size_t(const HttpRequest&)> limit) {
  state_->body_limit = std::move(limit);
}

void HttpServer::route(const std::string& method, const std::string& pattern, Route where,
                       Handler handler) {
  state_->routes.push_back(RouteEntry{method, std::regex(pattern), where, std::move(handler)});
}

void HttpServer::upgrade(const std::string& path, UpgradeHandler handler) {
  state_->upgrades[path] = std::move(handler);
}

base::Result<uint16_t> HttpServer::open(const std::string& host, uint16_t port) {
  error_code ec;
  tcp::resolver resolver(state_->io);
  auto endpoints = resolver.resolve(host, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec)
    return base::make_error(fmt::format("cannot listen on {}:{}: {}", host, port, ec.message()));
  tcp::acceptor& acceptor = state_->acceptor;
  for (const auto& entry : endpoints) {
    ec.clear();
    acceptor.open(entry.endpoint().protocol(), ec);
    if (ec) continue;
    // SO_REUSEADDR only: a restarted node may bind while old connections
    // linger, but no second process can bind the port (no SO_REUSEPORT).
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(entry.endpoint(), ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) break;
    error_code ignored;
    acceptor.close(ignored);
  }
  if (!acceptor.is_open())
    return base::make_error(fmt::format("cannot listen on {}:{}: {}{}", host, port, ec.message(),
                                        ec == net::error::address_in_use
                                            ? " (another node or program is listening there: stop "
                                              "it, or choose another --port)"
                                            : ""));
  return acceptor.local_endpoint().port();
}

void HttpServer::serve() {
  if (!state_->acceptor.is_open()) return;
  state_->workers.emplace(std::max<size_t>(1, state_->limits.threads));
  for (size_t i = 0; i < std::max<size_t>(1, state_->limits.threads); ++i)
    net::post(*state_->workers, [] { base::name_this_thread("http-worker"); });
  state_->accept();
  state_->io.run();
  state_->workers->join();
  state_->workers.reset();
}

void HttpServer::shut_down() {
  net::post(state_->io, [state = state_] {
    state->stopping = true;
    error_code ignored;
    state->acceptor.close(ignored);
    state->accept_pause.cancel();
    state->close_all();
    // serve() returns once the cancelled operations have completed.
  });
}

}  // namespace interstice::node
