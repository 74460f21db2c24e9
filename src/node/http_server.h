// HttpServer: HTTP/1.1 on Boost.Beast, with bounds on what clients can hold
// (docs/node.md, "Limits").
//
// Threading: one I/O thread (serve()) runs every connection, without a
// thread per connection: accepting, reading requests, writing responses,
// timeouts. Handlers either run on that thread (Route::Inline: they must not
// block; /call answers later through its Respond) or on a pool of
// HttpLimits::threads workers (Route::Worker: table pages, publishing). A
// Respond may be called from any thread, once; the response is written by
// the I/O thread.
//
// Per connection, one request at a time:
//   - its line and headers are read within header_timeout of their first
//     byte (408), at most max_header_bytes and max_headers (431); a
//     connection waiting for a request is closed after idle_timeout;
//   - a body with a Content-Length over its limit (body_limit(): 413) is
//     refused before any of it is read; only a body limit above
//     max_call_body (an operator's POST /modules) admits a chunked body (411
//     otherwise). Small bodies are read within header_timeout, larger ones
//     within request_timeout;
//   - bodies being read and responses being written hold at most
//     max_buffered bytes in all (503 beyond it);
//   - after keep_alive_requests requests the connection is closed;
//   - a response is written in one send where the socket takes it
//     (TCP_NODELAY), within request_timeout;
//   - at max_connections, or when the descriptors run out, the connection
//     that has waited longest for a request is closed to admit a new one.
// A refused request gets its error and the connection is closed after the
// client has read it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace interstice::node {

struct HttpLimits {
  size_t max_body = 64u << 20;          // a body that body_limit() allows the most (POST /modules)
  size_t max_call_body = 1u << 20;      // every other body
  size_t max_header_bytes = 16u << 10;  // a request's line and headers together
  size_t max_headers = 64;              // header lines of a request
  size_t max_connections = 1024;        // open at once
  size_t threads = 16;                  // Route::Worker requests served at once
  size_t keep_alive_requests = 1000;    // requests on one connection, then it is closed
  size_t max_buffered = 256u << 20;     // request bodies being read and responses being written
  std::chrono::milliseconds header_timeout{10'000};   // first byte of a request to its last header
  std::chrono::milliseconds idle_timeout{30'000};     // a connection waiting for a request
  std::chrono::milliseconds request_timeout{60'000};  // a large body; writing the response
};

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // the target without its query, undecoded
  std::map<std::string, std::string> params;   // the query's parameters, decoded
  std::vector<std::string> matches;            // the route pattern's groups
  std::map<std::string, std::string> headers;  // by lower-case name (the last of repeated ones)
  std::string body;

  std::string header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones

  // {"error": message} with `status`.
  static HttpResponse error(int status, const std::string& message);
  static HttpResponse json(std::string body) { return HttpResponse{200, "application/json", body}; }
};

// Answers a request; call it exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&, Respond)>;

struct HttpServerState;
// A connection upgraded to a WebSocket: its socket and upgrade request
// (http_server_state.h), handed to the upgrade handler on the I/O thread.
struct UpgradedConnection;
using UpgradeHandler = std::function<void(std::unique_ptr<UpgradedConnection>)>;

class HttpServer {
 public:
  enum class Route { Inline, Worker };

  explicit HttpServer(HttpLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const HttpLimits& limits() const;
  // The body size a request may send, decided from its line and headers
  // before any of its body is read (default: limits().max_call_body). Runs on
  // the I/O thread.
  void set_body_limit(std::function<size_t(const HttpRequest&)> limit);
  // Requests whose method is `method` and whose whole path matches `pattern`
  // go to `handler` (the first route that matches; 404 if none does, 405 if
  // only other methods match). Set routes before serve().
  void route(const std::string& method, const std::string& pattern, Route where, Handler handler);

  // A WebSocket upgrade request (GET with `Upgrade: websocket`) for `path`
  // goes to `handler`, which takes the connection over. Set before serve().
  void upgrade(const std::string& path, UpgradeHandler handler);

  // Binds host:port (0: a free port) and returns the bound port.
  base::Result<uint16_t> open(const std::string& host, uint16_t port);
  // Serves on the calling thread until shut_down() is called (from any
  // thread); open connections are closed then.
  void serve();
  void shut_down();

 private:
  std::shared_ptr<HttpServerState> state_;
};

}  // namespace interstice::node
