#include "node/http_api.h"

#include <fmt/format.h>
#include <httplib.h>

#include "node/json_codec.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

namespace {

void reply_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", message}}.dump(), "application/json");
}

int http_status(NodeError::Kind kind) {
  switch (kind) {
    case NodeError::Kind::NotFound:
      return 404;
    case NodeError::Kind::BadArguments:
      return 400;
    case NodeError::Kind::Failed:
      return 422;
  }
  return 500;
}

}  // namespace

HttpApi::HttpApi(Node& node) : node_(node), server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(64u << 20);  // a published module, at most 64 MiB
  server_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server_->Get("/node", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(json{{"id", node_.identity().id()}}.dump(), "application/json");
  });
  server_->Get("/peers", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content((peers_ ? peers_() : json::array()).dump(), "application/json");
  });
  server_->Get("/modules", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(node_.describe_modules().dump(), "application/json");
  });
  server_->Post(
      R"(/call/([^/]+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
        auto parsed = parse_client_json(req.body.empty() ? "[]" : req.body);
        if (!parsed) return reply_error(res, 400, "the request body is " + parsed.error().message);
        json args = std::move(parsed).value();
        if (!args.is_array())
          return reply_error(res, 400, "the request body must be a JSON array of arguments");
        if (auto error = node_.call(req.matches[1], req.matches[2], args))
          return reply_error(res, http_status(error->kind), error->message);
        res.set_content(json{{"ok", true}}.dump(), "application/json");
      });
  // Operator actions: Authorization: Bearer <the operator key>.
  auto is_operator = [this](const httplib::Request& req, httplib::Response& res) {
    std::string header = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    std::string key = header.starts_with(bearer) ? header.substr(bearer.size()) : "";
    if (node_.is_operator(key)) return true;
    reply_error(res, 401,
                key.empty() ? "this needs the node's operator key (DATA_DIR/operator.key)"
                            : "the operator key is wrong");
    return false;
  };
  server_->Post("/modules", [this, is_operator](const httplib::Request& req,
                                                httplib::Response& res) {
    if (!is_operator(req, res)) return;
    Node::Published published;
    auto wasm = std::span(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size());
    if (auto error = node_.publish(wasm, &published))
      return reply_error(res, http_status(error->kind), error->message);
    json previous = published.previous_version.empty() ? json() : json(published.previous_version);
    res.set_content(
        json{{"module", published.module}, {"version", published.version}, {"replaced", previous}}
            .dump(),
        "application/json");
  });
  server_->Delete(R"(/modules/([^/]+))",
                  [this, is_operator](const httplib::Request& req, httplib::Response& res) {
                    if (!is_operator(req, res)) return;
                    if (auto error = node_.remove_module(req.matches[1]))
                      return reply_error(res, http_status(error->kind), error->message);
                    res.set_content(json{{"ok", true}}.dump(), "application/json");
                  });
  server_->Get("/authorities", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(node_.describe_authorities().dump(), "application/json");
  });
  server_->Post(R"(/authorities/([^/]+)/(grant|revoke))",
                [this, is_operator](const httplib::Request& req, httplib::Response& res) {
                  if (!is_operator(req, res)) return;
                  if (auto error = node_.set_authority(req.matches[1], req.matches[2] == "grant"))
                    return reply_error(res, http_status(error->kind), error->message);
                  res.set_content(node_.describe_authorities().dump(), "application/json");
                });
  server_->Get(R"(/modules/([^/]+)/wasm)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::vector<uint8_t> wasm;
                 if (auto error = node_.module_wasm(req.matches[1], &wasm))
                   return reply_error(res, http_status(error->kind), error->message);
                 res.set_content(std::string(wasm.begin(), wasm.end()), "application/wasm");
               });
  server_->Get(R"(/tables/([^/]+)/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 json rows;
                 if (auto error = node_.query(req.matches[1], req.matches[2], &rows))
                   return reply_error(res, http_status(error->kind), error->message);
                 res.set_content(rows.dump(), "application/json");
               });
}

HttpApi::~HttpApi() = default;

engine::Result<uint16_t> HttpApi::bind(const std::string& host, uint16_t port) {
  int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) return engine::make_error(fmt::format("cannot listen on {}:{}", host, port));
  return static_cast<uint16_t>(bound);
}

void HttpApi::serve() {
  server_->listen_after_bind();
}

void HttpApi::stop() {
  server_->stop();
}

}  // namespace interstice::node
