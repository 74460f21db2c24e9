// The node's local interface: HTTP/1.1 with JSON bodies, on loopback by
// default (docs/node.md lists the routes).
//   GET  /health                      "ok"
//   GET  /node                        {"id": node id}
//   GET  /peers                       [{"id", "address"}]: authenticated peer connections
//   GET  /modules                     loaded modules, their tables and reducers
//   POST /call/MODULE/REDUCER         body: JSON array of arguments
//   GET  /tables/MODULE/TABLE         JSON array of rows
// Errors: 400 bad JSON or arguments, 404 unknown module/reducer/table,
// 422 the reducer failed (its message), each as {"error": "..."}.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/result.h"
#include "node/node.h"

namespace httplib {
class Server;
}

namespace interstice::node {

class HttpApi {
 public:
  explicit HttpApi(Node& node);
  ~HttpApi();

  // What GET /peers reports (the peer server's connections); empty if unset.
  void set_peers(std::function<nlohmann::ordered_json()> peers) { peers_ = std::move(peers); }

  // Binds host:port (port 0 picks a free one) and returns the bound port.
  engine::Result<uint16_t> bind(const std::string& host, uint16_t port);
  // Serves until stop() is called (from any thread).
  void serve();
  void stop();

 private:
  Node& node_;
  std::unique_ptr<httplib::Server> server_;
  std::function<nlohmann::ordered_json()> peers_;
};

}  // namespace interstice::node
