// `interstice subscribe ADDR "SELECT ..."`: follows a SQL subscription over
// the client protocol (docs/client-protocol.md, JSON form) and prints each
// message as it comes, one JSON line each: the `subscribed` answer with the
// matching rows, then one `update` per transaction that changes them.
#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "cli/exit_codes.h"
#include "cli/node_commands.h"

namespace interstice::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using json = nlohmann::ordered_json;

struct SubscribeOptions {
  std::string address, query, key_file, token;
  std::optional<uint64_t> resume_after;
  uint64_t count = 0;  // updates to print before exiting (0: until the node closes)
};

int subscribe(const SubscribeOptions& o) {
  std::string address = o.address.starts_with("http://") ? o.address.substr(7) : o.address;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    fmt::print(stderr, "error: the address is HOST:PORT, not {}\n", o.address);
    return kExitUsage;
  }
  std::string key = o.token;  // sent as the bearer: a client token, or the operator key
  if (!o.key_file.empty() && !(std::ifstream(o.key_file) >> key)) {
    fmt::print(stderr, "error: cannot read the operator key from {}\n", o.key_file);
    return kExitError;
  }
  net::io_context io;
  websocket::stream<net::ip::tcp::socket> ws(io);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(address.substr(0, colon), address.substr(colon + 1), ec);
  if (!ec) net::connect(ws.next_layer(), endpoints, ec);
  if (!ec) {
    ws.set_option(websocket::stream_base::decorator([key](websocket::request_type& request) {
      if (!key.empty()) request.set(beast::http::field::authorization, "Bearer " + key);
    }));
    ws.handshake(address, "/v1/ws", ec);
  }
  if (ec) {
    fmt::print(stderr, "error: cannot reach a node at {} ({})\n", o.address, ec.message());
    return kExitError;
  }
  json request = {{"type", "subscribe"}, {"id", 1}, {"query", o.query}};
  if (o.resume_after) request["resume_after"] = *o.resume_after;
  ws.text(true);
  ws.write(net::buffer(request.dump()), ec);
  uint64_t updates = 0;
  while (!ec) {
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
    if (ec) break;
    std::string text = beast::buffers_to_string(buffer.data());
    json message = json::parse(text, nullptr, false);
    if (message.value("type", "") == "subscribed" && !message.value("ok", false)) {
      fmt::print(stderr, "error: {}\n", message.value("error", "the subscription was refused"));
      return kExitError;
    }
    if (message.value("type", "") == "goodbye" || message.value("type", "") == "unsubscribed") {
      fmt::print(stderr, "error: the node ended the subscription: {}\n",
                 message.value("reason", ""));
      return kExitError;
    }
    fmt::print("{}\n", text);
    std::fflush(stdout);
    if (message.value("type", "") == "update" && o.count && ++updates >= o.count) return kExitOk;
  }
  if (ec == websocket::error::closed) return kExitOk;
  fmt::print(stderr, "error: the connection to {} ended: {}\n", o.address, ec.message());
  return kExitError;
}

}  // namespace

void add_subscribe_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SubscribeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "subscribe", "Follow a SQL query's rows and changes on a node, one JSON line each");
  cmd->add_option("address", o->address, "The node's local interface, HOST:PORT")->required();
  cmd->add_option("query", o->query, "The query, e.g. \"SELECT * FROM greetings WHERE id > 1\"")
      ->required();
  cmd->add_option("--resume-after", o->resume_after,
                  "Only the changes after this log offset (from an earlier update's \"offset\")");
  cmd->add_option("--count", o->count,
                  "Exit after this many updates (default: follow until the "
                  "node closes the connection)");
  cmd->add_option("--token", o->token, "A client token (`interstice identity`)");
  cmd->add_option("--operator-key", o->key_file,
                  "The node's operator key file (DATA_DIR/operator.key): private tables need it");
  cmd->callback([o, &exit_code] { exit_code = subscribe(*o); });
}

}  // namespace interstice::cli
