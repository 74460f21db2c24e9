// The node's local interface: HTTP/1.1 with JSON bodies, on loopback by
// default (docs/node.md lists the routes).
//   GET  /health                      "ok"
//   GET  /node                        {"id": node id}
//   GET  /peers                       [{"id", "address"}]: authenticated peer connections
//   GET  /modules                     loaded modules, their tables and reducers
//   POST /call/MODULE/REDUCER         body: JSON array of arguments
//   GET  /v1/ws                       a WebSocket: the client protocol
//                                     (docs/client-protocol.md)
//   POST /v1/identity/challenge       {"challenge": hex}
//   POST /v1/identity                 {"public_key","challenge","signature"}:
//                                     {"identity","token"} (client_identity.h)
//   POST /v1/sql                      body: a SQL query (query/sql.h); the
//                                     matching rows, a JSON array of objects
//   GET  /tables/MODULE/TABLE         JSON array of rows, one page of them:
//        ?after=CURSOR&limit=N; a `Link: <URL>; rel="next"` header gives the
//        next page's URL while more rows follow
//   GET  /metrics                     Prometheus' text format (metrics.h)
//   GET  /dashboard/                  the web dashboard (dashboard_files.h); / leads there
//   GET  /graph.svg                   (operator) the trigger graph of the last
//                                     10,000 transactions (trigger_graph.h)
//   GET  /logs                        (operator) the recent log lines: ?after=SEQ
//                                     &module=M&level=L&limit=N
//   GET  /trace?seconds=N             (operator) records for N seconds (1-60)
//                                     and answers the trace (tracer.h); 409
//                                     while another is being recorded
// Errors: 400 bad JSON or arguments, 404 unknown module/reducer/table,
// 413 a body over its limit, 422 the reducer failed (its message), each as
// {"error": "..."}. The limits on clients are HttpServer's (http_server.h).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "node/client_session.h"
#include "node/http_server.h"
#include "node/node.h"
#include "node/structured_log.h"
#include "node/trace_session.h"

namespace interstice::node {

struct HttpApiOptions {
  HttpLimits limits;
  size_t max_json_depth = 128;     // nesting of a /call body, checked before it is parsed
  size_t max_json_values = 65536;  // values (arrays, objects, strings, numbers...) of it, likewise
  size_t page_rows = 1000;         // rows of a GET /tables page (default and most)
  size_t page_bytes = 4u << 20;    // a page ends after the row that reaches this much row data
  size_t sql_rows = 100'000;       // rows a SQL query may hold (more: 400, add a LIMIT)
  ClientLimits clients;            // WebSocket clients (GET /v1/ws)
  // Whether calls and WebSockets without a client token are served (as
  // client:anonymous); the CLI allows them on loopback only, by default.
  bool allow_anonymous = true;
};

class HttpApi {
 public:
  explicit HttpApi(Node& node, HttpApiOptions options = {});
  ~HttpApi();

  // What GET /peers reports (the peer server's connections); empty if unset.
  void set_peers(std::function<nlohmann::ordered_json()> peers) { peers_ = std::move(peers); }
  // Where GET /logs reads the node's recent log lines; none if unset.
  // Both setters are for before bind().
  void set_log_book(std::shared_ptr<LogBook> book) { log_book_ = std::move(book); }

  // Binds host:port (port 0 picks a free one) and returns the bound port.
  base::Result<uint16_t> bind(const std::string& host, uint16_t port);
  // Serves until stop() is called (from any thread).
  void serve();
  void stop();

 private:
  Node& node_;
  const HttpApiOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::function<nlohmann::ordered_json()> peers_;
  std::shared_ptr<LogBook> log_book_;
  // After server_: destroyed first, so a recording's answer finds the server.
  TraceSession trace_session_;

  // Who a request calls as: its token's identity, or client:anonymous if
  // it has none and anonymous clients are allowed; else the 401 to answer.
  base::Result<std::string> caller_of(const HttpRequest& req) const;
  // Who reads (views, private tables): the operator if the request carries
  // its key, else the caller above.
  base::Result<Reader> reader_of(const HttpRequest& req) const;
};

}  // namespace interstice::node
