#include "node/http_api.h"

#include <charconv>

#include <fmt/format.h>

#include <boost/asio/write.hpp>

#include <algorithm>
#include <optional>
#include "node/dashboard_files.h"
#include "node/json_api.h"
#include "node/json_codec.h"
#include "node/trigger_graph.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

namespace {

std::string to_hex(const std::string& bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

std::optional<std::string> from_hex(const std::string& hex) {
  if (hex.size() % 2 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return std::nullopt;
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

std::string bearer_key(const HttpRequest& req) {
  std::string header = req.header("authorization");
  const std::string bearer = "Bearer ";
  return header.starts_with(bearer) ? header.substr(bearer.size()) : "";
}

int http_status(base::ErrorCode code) {
  switch (code) {
    case base::ErrorCode::NotFound:
      return 404;
    case base::ErrorCode::InvalidArgument:
      return 400;
    case base::ErrorCode::Forbidden:
      return 403;
    default:  // the reducer failed or trapped, or the node could not do it
      return 422;
  }
}

HttpResponse failure(const base::Error& error) {
  return HttpResponse::error(http_status(error.code), error.message);
}

HttpResponse ok() {
  return HttpResponse::json(json{{"ok", true}}.dump());
}

}  // namespace

HttpApi::HttpApi(Node& node, HttpApiOptions options)
    : node_(node),
      options_(options),
      server_(std::make_unique<HttpServer>(options.limits)),
      trace_session_(node.tracer()) {
  using Route = HttpServer::Route;
  // Only the operator may send a module's worth of bytes; the key is checked
  // before any of the body is read.
  server_->set_body_limit([this](const HttpRequest& req) {
    bool publish = req.method == "POST" && req.path == "/modules";
    return publish && node_.is_operator(bearer_key(req)) ? options_.limits.max_body
                                                         : options_.limits.max_call_body;
  });
  server_->route("GET", "/health", Route::Inline, [](HttpRequest&, Respond respond) {
    respond(HttpResponse{200, "text/plain", "ok", {}});
  });
  server_->route("GET", "/node", Route::Inline, [this](HttpRequest&, Respond respond) {
    Node::LogState log = node_.log_state();
    json log_json{{"last_offset", log.last_offset},
                  {"durable_offset", log.durable_offset},
                  {"fsyncs", log.writer.batches},
                  {"fsynced_records", log.writer.records}};
    respond(HttpResponse::json(json{{"id", node_.identity().id()}, {"log", log_json}}.dump()));
  });
  server_->route("GET", "/peers", Route::Inline, [this](HttpRequest&, Respond respond) {
    respond(HttpResponse::json((peers_ ? peers_() : json::array()).dump()));
  });
  server_->route("GET", "/modules", Route::Worker, [this](HttpRequest&, Respond respond) {
    respond(HttpResponse::json(modules_to_json(node_.describe_modules()).dump()));
  });
  // The call runs on its module's executor; the answer comes once it is durable.
  server_->route(
      "POST", "/call/([^/]+)/([^/]+)", Route::Inline, [this](HttpRequest& req, Respond answer) {
        // A refusal here is counted as the node's own are (GET /metrics).
        auto respond = [this, &answer](HttpResponse response) {
          node_.metrics().outside_call(NodeMetrics::Outcome::Refused, {});
          answer(std::move(response));
        };
        JsonShape shape = scan_json(req.body);
        if (shape.depth > options_.max_json_depth)
          return respond(HttpResponse::error(
              400,
              fmt::format("the request body nests deeper than {} levels (--http-max-json-depth)",
                          options_.max_json_depth)));
        if (shape.values > options_.max_json_values)
          return respond(
              HttpResponse::error(400, fmt::format("the request body has more than {} JSON values "
                                                   "(--http-max-json-values)",
                                                   options_.max_json_values)));
        auto parsed = parse_client_json(req.body.empty() ? "[]" : req.body);
        if (!parsed)
          return respond(HttpResponse::error(400, "the request body is " + parsed.error().message));
        const json& args = *parsed;
        if (!args.is_array())
          return respond(
              HttpResponse::error(400, "the request body must be a JSON array of arguments"));
        auto caller = caller_of(req);
        if (!caller) return respond(HttpResponse::error(401, caller.error().message));
        auto bytes = encode_call_json(node_, req.matches[0], req.matches[1], args);
        if (!bytes) return respond(failure(bytes.error()));
        node_.call_async(
            req.matches[0], req.matches[1], std::move(bytes).value(),
            [answer](base::Result<void> done) { answer(done ? ok() : failure(done.error())); },
            *caller);
      });
  // A query's value, asked on its module's executor; nothing is logged.
  server_->route(
      "POST", "/query/([^/]+)/([^/]+)", Route::Worker, [this](HttpRequest& req, Respond respond) {
        JsonShape shape = scan_json(req.body);
        if (shape.depth > options_.max_json_depth || shape.values > options_.max_json_values)
          return respond(HttpResponse::error(
              400, fmt::format("the request body nests deeper than {} levels or has more than {} "
                               "JSON values",
                               options_.max_json_depth, options_.max_json_values)));
        auto parsed = parse_client_json(req.body.empty() ? "[]" : req.body);
        if (!parsed)
          return respond(HttpResponse::error(400, "the request body is " + parsed.error().message));
        if (!parsed->is_array())
          return respond(
              HttpResponse::error(400, "the request body must be a JSON array of arguments"));
        auto caller = caller_of(req);
        if (!caller) return respond(HttpResponse::error(401, caller.error().message));
        auto bytes = encode_call_json(node_, req.matches[0], req.matches[1], *parsed);
        if (!bytes) return respond(failure(bytes.error()));
        Reader reader =
            node_.is_operator(bearer_key(req)) ? Reader::operator_key() : Reader::named(*caller);
        auto value = node_.ask(req.matches[0], req.matches[1], *bytes, *caller, reader);
        if (!value) return respond(failure(value.error()));
        respond(HttpResponse::json(*value));
      });
  // Operator actions: Authorization: Bearer <the operator key>.
  auto refused = [this](const HttpRequest& req) -> std::optional<HttpResponse> {
    std::string key = bearer_key(req);
    if (node_.is_operator(key)) return std::nullopt;
    return HttpResponse::error(
        401, key.empty() ? "this needs the node's operator key (DATA_DIR/operator.key)"
                         : "the operator key is wrong");
  };
  // The node's recent log lines, for `interstice logs` (operator only: they
  // hold what modules log). ?after=SEQ&module=M&level=L&limit=N.
  server_->route("GET", "/logs", Route::Inline, [this, refused](HttpRequest& req, Respond respond) {
    if (auto no = refused(req)) return respond(*no);
    if (!log_book_) return respond(HttpResponse::error(404, "this node keeps no log lines"));
    LogBook::Filter filter;
    filter.module = req.params.count("module") ? req.params["module"] : "";
    if (req.params.count("level")) {
      std::optional<int> rank = log_level_rank(req.params["level"]);
      if (!rank)
        return respond(HttpResponse::error(
            400, fmt::format("unknown level '{}': trace, debug, info, warning, error or critical",
                             req.params["level"])));
      filter.min_level = *rank;
    }
    uint64_t after = 0, limit = 1000;
    auto number = [&](const char* name, uint64_t* out) {
      if (!req.params.count(name)) return true;
      const std::string& text = req.params[name];
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
      return ec == std::errc() && end == text.data() + text.size();
    };
    if (!number("after", &after) || !number("limit", &limit))
      return respond(HttpResponse::error(400, "after and limit are whole numbers"));
    uint64_t next = 0;
    std::string body = "{\"lines\":[";
    bool first = true;
    for (const LogLine& line :
         log_book_->after(after, filter, std::min<uint64_t>(limit, 10000), &next)) {
      body += (first ? "" : ",") + log_line_json(line);
      first = false;
    }
    body += fmt::format("],\"next\":{}}}", next);
    respond(HttpResponse::json(std::move(body)));
  });
  // The web dashboard (dashboard_files.h); its pages use the routes here.
  server_->route("GET", "/|/dashboard", Route::Inline, [](HttpRequest&, Respond respond) {
    respond(HttpResponse{302, "text/plain", "", {{"Location", "/dashboard/"}}});
  });
  server_->route(
      "GET", "/dashboard/([a-z.]*)", Route::Inline, [](HttpRequest& req, Respond respond) {
        std::string name = req.matches[0].empty() ? "index.html" : req.matches[0];
        auto found = dashboard_files().find(name);
        if (found == dashboard_files().end())
          return respond(HttpResponse::error(404, "the dashboard has no file " + name));
        std::string type = name.ends_with(".js")    ? "text/javascript; charset=utf-8"
                           : name.ends_with(".css") ? "text/css; charset=utf-8"
                                                    : "text/html; charset=utf-8";
        respond(
            HttpResponse{200, type, std::string(found->second), {{"Cache-Control", "no-cache"}}});
      });
  // The dashboard's graph of the last 10,000 transactions (trigger_graph.h),
  // drawn by Graphviz (operator only: it names what ran).
  server_->route("GET", "/graph.svg", Route::Worker,
                 [this, refused](HttpRequest& req, Respond respond) {
                   if (auto no = refused(req)) return respond(*no);
                   uint64_t last = node_.log_state().last_offset;
                   GraphOptions range;
                   range.from = last > 10'000 ? last - 9'999 : 1;
                   auto dot = trigger_graph_dot(base::Env::posix(), node_.data_dir(), range);
                   if (!dot) return respond(HttpResponse::error(500, dot.error().message));
                   auto svg = dot_to_svg(*dot);
                   if (!svg) return respond(HttpResponse::error(500, svg.error().message));
                   respond(HttpResponse{200, "image/svg+xml", std::move(*svg), {}});
                 });
  // Prometheus scrapes it (it shows no data, only counts and names).
  server_->route("GET", "/metrics", Route::Worker, [this](HttpRequest&, Respond respond) {
    respond(
        HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", node_.metrics_text(), {}});
  });
  // A trace of the next N seconds (operator only: it names what runs).
  server_->route(
      "GET", "/trace", Route::Inline, [this, refused](HttpRequest& req, Respond respond) {
        if (auto no = refused(req)) return respond(*no);
        uint64_t seconds = 5;
        if (req.params.count("seconds")) {
          const std::string& text = req.params["seconds"];
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
          if (ec != std::errc() || end != text.data() + text.size() || seconds < 1 || seconds > 60)
            return respond(HttpResponse::error(400, "seconds is a whole number from 1 to 60"));
        }
        auto answer = [respond](nlohmann::json trace) {
          respond(HttpResponse::json(trace.dump()));
        };
        if (!trace_session_.record(std::chrono::seconds(seconds), answer))
          respond(
              HttpResponse::error(409, "a trace is already being recorded; try again after it"));
      });
  server_->route(
      "POST", "/modules", Route::Worker, [this, refused](HttpRequest& req, Respond respond) {
        if (auto no = refused(req)) return respond(*no);
        auto wasm = std::span(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size());
        if (req.params.count("dry_run") && req.params["dry_run"] != "false") {
          auto plan = node_.plan_publish(wasm);
          if (!plan) return respond(failure(plan.error()));
          return respond(HttpResponse::json(publish_plan_to_json(*plan).dump()));
        }
        auto done = node_.publish(wasm);
        if (!done) return respond(failure(done.error()));
        const Node::Published& published = *done;
        json previous =
            published.previous_version.empty() ? json() : json(published.previous_version);
        respond(HttpResponse::json(json{
            {"module", published.module},
            {"version", published.version},
            {"replaced", previous}}.dump()));
      });
  server_->route(
      "DELETE", "/modules/([^/]+)", Route::Worker,
      [this, refused](HttpRequest& req, Respond respond) {
        if (auto no = refused(req)) return respond(*no);
        auto removed = node_.remove_module(req.matches[0]);
        if (!removed) return respond(failure(removed.error()));
        respond(HttpResponse::json(json{{"removed", req.matches[0]}, {"rows", *removed}}.dump()));
      });
  server_->route("GET", "/authorities", Route::Worker, [this](HttpRequest&, Respond respond) {
    respond(HttpResponse::json(authorities_to_json(node_.describe_authorities()).dump()));
  });
  server_->route(
      "POST", "/authorities/([^/]+)/(grant|revoke)", Route::Worker,
      [this, refused](HttpRequest& req, Respond respond) {
        if (auto no = refused(req)) return respond(*no);
        auto set = node_.set_authority(req.matches[0], req.matches[1] == "grant");
        if (!set) return respond(failure(set.error()));
        respond(HttpResponse::json(authorities_to_json(node_.describe_authorities()).dump()));
      });
  server_->route(
      "GET", "/modules/([^/]+)/wasm", Route::Worker, [this](HttpRequest& req, Respond respond) {
        auto wasm = node_.module_wasm(req.matches[0]);
        if (!wasm) return respond(failure(wasm.error()));
        respond(HttpResponse{200, "application/wasm", std::string(wasm->begin(), wasm->end()), {}});
      });
  // Clients' WebSockets: a token names the client; the operator key in the
  // upgrade request shows private tables.
  server_->upgrade("/v1/ws", [this](std::unique_ptr<UpgradedConnection> connection) {
    bool as_operator = node_.is_operator(bearer_key(connection->parsed));
    auto caller = caller_of(connection->parsed);
    if (!caller && !as_operator) {
      std::string refusal = fmt::format(
          "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "
          "{}\r\nConnection: close\r\n\r\n{}",
          json{{"error", caller.error().message}}.dump().size(),
          json{{"error", caller.error().message}}.dump());
      boost::system::error_code ignored;
      boost::asio::write(connection->socket, boost::asio::buffer(refusal), ignored);
      return;  // (the socket closes here)
    }
    ClientSession::start(std::move(connection), node_, options_.clients, as_operator,
                         caller ? *caller : std::string(kHttpClientCaller));
  });
  // Identities: a challenge, then a token for a key that signed it.
  server_->route(
      "POST", "/v1/identity/challenge", Route::Inline, [this](HttpRequest&, Respond respond) {
        respond(HttpResponse::json(json{{"challenge", node_.identities().challenge()}}.dump()));
      });
  server_->route("POST", "/v1/identity", Route::Inline, [this](HttpRequest& req, Respond respond) {
    auto parsed = parse_client_json(req.body);
    if (!parsed || !parsed->is_object())
      return respond(HttpResponse::error(
          400, "the body is a JSON object: {\"public_key\", \"challenge\", \"signature\"}"));
    const json& body = *parsed;
    auto field = [&](const char* name) {
      return body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
    };
    auto token =
        node_.identities().issue(field("public_key"), field("challenge"), field("signature"));
    if (!token)
      return respond(HttpResponse::error(
          token.error().code == base::ErrorCode::Forbidden ? 401 : 400, token.error().message));
    respond(HttpResponse::json(
        json{{"identity", *node_.identities().caller_of(*token)}, {"token", *token}}.dump()));
  });
  // SQL: the module's executor runs the plan; JSON is made here.
  server_->route("POST", "/v1/sql", Route::Worker, [this](HttpRequest& req, Respond respond) {
    auto reader = reader_of(req);
    if (!reader) return respond(HttpResponse::error(401, reader.error().message));
    auto answer = node_.sql(req.body, options_.sql_rows, *reader);
    if (!answer) return respond(failure(answer.error()));
    respond(HttpResponse::json(sql_to_json_text(*answer)));
  });
  // One page of rows; the module's executor only copies them, JSON is made here.
  server_->route(
      "GET", "/tables/([^/]+)/([^/]+)", Route::Worker, [this](HttpRequest& req, Respond respond) {
        std::optional<std::string> after;
        if (req.params.contains("after")) {
          after = from_hex(req.params["after"]);
          if (!after)
            return respond(HttpResponse::error(400, "`after` must be a cursor from a Link header"));
        }
        size_t limit = options_.page_rows;
        if (req.params.contains("limit")) {
          const std::string& text = req.params["limit"];
          if (text.empty() || text.size() > 9 ||
              text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) == 0)
            return respond(HttpResponse::error(400, "`limit` must be a positive number of rows"));
          limit = std::min<size_t>(limit, std::stoul(text));
        }
        auto reader = reader_of(req);
        if (!reader) return respond(HttpResponse::error(401, reader.error().message));
        auto found = node_.query_page(req.matches[0], req.matches[1], after, limit,
                                      options_.page_bytes, *reader);
        if (!found) return respond(failure(found.error()));
        Node::TablePage& page = *found;
        HttpResponse response = HttpResponse::json(rows_to_json_text(page.rows));
        if (page.next)
          response.headers.emplace_back("Link", fmt::format("<{}?after={}&limit={}>; rel=\"next\"",
                                                            req.path, to_hex(*page.next), limit));
        respond(std::move(response));
      });
}

HttpApi::~HttpApi() = default;

base::Result<std::string> HttpApi::caller_of(const HttpRequest& req) const {
  std::string presented = bearer_key(req);
  if (ClientIdentities::looks_like_token(presented)) {
    auto caller = node_.identities().caller_of(presented);
    if (!caller)
      return base::make_error("the client token is not valid (get one: POST /v1/identity)",
                              base::ErrorCode::Forbidden);
    return *caller;
  }
  if (!options_.allow_anonymous)
    return base::make_error(
        "this node serves identified clients only: send a token as Authorization: Bearer TOKEN "
        "(POST /v1/identity/challenge, then POST /v1/identity)",
        base::ErrorCode::Forbidden);
  return std::string(kHttpClientCaller);
}

base::Result<Reader> HttpApi::reader_of(const HttpRequest& req) const {
  if (node_.is_operator(bearer_key(req))) return Reader::operator_key();
  auto caller = caller_of(req);
  if (!caller) return caller.take_error();
  return Reader::named(*caller);
}

base::Result<uint16_t> HttpApi::bind(const std::string& host, uint16_t port) {
  return server_->open(host, port);
}

void HttpApi::serve() {
  server_->serve();
}

void HttpApi::stop() {
  server_->shut_down();
}

}  // namespace interstice::node
