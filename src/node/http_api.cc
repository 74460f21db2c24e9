#include "node/http_api.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <optional>
#include "node/json_api.h"
#include "node/json_codec.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

namespace {

void reply_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", message}}.dump(), "application/json");
}

// The nesting depth and the number of values (arrays, objects, strings with
// object keys, numbers, literals) of a JSON body, from a scan without
// allocation: a body is refused before the JSON parser builds it, when that
// would cost far more than its size (1 MiB of `[` or of `{},` takes tens of
// MB as a DOM).
struct JsonShape {
  size_t depth = 0;
  size_t values = 0;
};
JsonShape scan_json(const std::string& body) {
  JsonShape shape;
  size_t depth = 0;
  bool in_string = false;
  char before = ',';  // the last significant character outside strings
  for (size_t i = 0; i < body.size(); ++i) {
    char ch = body[i];
    if (in_string) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
    if (ch == '"') {
      in_string = true;
      ++shape.values;
    } else if (ch == '[' || ch == '{') {
      shape.depth = std::max(shape.depth, ++depth);
      ++shape.values;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    } else if ((before == '[' || before == ',' || before == ':') && ch != ',' && ch != ']') {
      ++shape.values;  // the first character of a number or literal
    }
    before = ch;
  }
  return shape;
}

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

std::string bearer_key(const httplib::Request& req) {
  std::string header = req.get_header_value("Authorization");
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

void reply_failure(httplib::Response& res, const base::Error& error) {
  reply_error(res, http_status(error.code), error.message);
}

}  // namespace

HttpApi::HttpApi(Node& node, HttpApiOptions options)
    : node_(node), options_(options), server_(std::make_unique<HttpServer>(options.limits)) {
  // Only the operator may send a module's worth of bytes; the key is checked
  // before any of the body is read.
  server_->set_body_limit([this](const httplib::Request& req) {
    bool publish = req.method == "POST" && req.path == "/modules";
    return publish && node_.is_operator(bearer_key(req)) ? options_.limits.max_body
                                                         : options_.limits.max_call_body;
  });
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
    res.set_content(modules_to_json(node_.describe_modules()).dump(), "application/json");
  });
  server_->Post(
      R"(/call/([^/]+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
        JsonShape shape = scan_json(req.body);
        if (shape.depth > options_.max_json_depth)
          return reply_error(res, 400,
                             fmt::format("the request body nests deeper than {} levels "
                                         "(--http-max-json-depth)",
                                         options_.max_json_depth));
        if (shape.values > options_.max_json_values)
          return reply_error(res, 400,
                             fmt::format("the request body has more than {} JSON values "
                                         "(--http-max-json-values)",
                                         options_.max_json_values));
        auto parsed = parse_client_json(req.body.empty() ? "[]" : req.body);
        if (!parsed) return reply_error(res, 400, "the request body is " + parsed.error().message);
        json args = std::move(parsed).value();
        if (!args.is_array())
          return reply_error(res, 400, "the request body must be a JSON array of arguments");
        if (auto called = call_json(node_, req.matches[1], req.matches[2], args); !called)
          return reply_failure(res, called.error());
        res.set_content(json{{"ok", true}}.dump(), "application/json");
      });
  // Operator actions: Authorization: Bearer <the operator key>.
  auto is_operator = [this](const httplib::Request& req, httplib::Response& res) {
    std::string key = bearer_key(req);
    if (node_.is_operator(key)) return true;
    reply_error(res, 401,
                key.empty() ? "this needs the node's operator key (DATA_DIR/operator.key)"
                            : "the operator key is wrong");
    return false;
  };
  server_->Post("/modules", [this, is_operator](const httplib::Request& req,
                                                httplib::Response& res) {
    if (!is_operator(req, res)) return;
    auto wasm = std::span(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size());
    auto done = node_.publish(wasm);
    if (!done) return reply_failure(res, done.error());
    const Node::Published& published = *done;
    json previous = published.previous_version.empty() ? json() : json(published.previous_version);
    res.set_content(
        json{{"module", published.module}, {"version", published.version}, {"replaced", previous}}
            .dump(),
        "application/json");
  });
  server_->Delete(R"(/modules/([^/]+))",
                  [this, is_operator](const httplib::Request& req, httplib::Response& res) {
                    if (!is_operator(req, res)) return;
                    if (auto removed = node_.remove_module(req.matches[1]); !removed)
                      return reply_failure(res, removed.error());
                    res.set_content(json{{"ok", true}}.dump(), "application/json");
                  });
  server_->Get("/authorities", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(authorities_to_json(node_.describe_authorities()).dump(), "application/json");
  });
  server_->Post(R"(/authorities/([^/]+)/(grant|revoke))", [this, is_operator](
                                                              const httplib::Request& req,
                                                              httplib::Response& res) {
    if (!is_operator(req, res)) return;
    if (auto set = node_.set_authority(req.matches[1], req.matches[2] == "grant"); !set)
      return reply_failure(res, set.error());
    res.set_content(authorities_to_json(node_.describe_authorities()).dump(), "application/json");
  });
  server_->Get(R"(/modules/([^/]+)/wasm)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 auto wasm = node_.module_wasm(req.matches[1]);
                 if (!wasm) return reply_failure(res, wasm.error());
                 res.set_content(std::string(wasm->begin(), wasm->end()), "application/wasm");
               });
  // One page of rows; the module's executor only copies them, JSON is made here.
  server_->Get(
      R"(/tables/([^/]+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
        std::optional<std::string> after;
        if (req.has_param("after")) {
          after = from_hex(req.get_param_value("after"));
          if (!after) return reply_error(res, 400, "`after` must be a cursor from a Link header");
        }
        size_t limit = options_.page_rows;
        if (req.has_param("limit")) {
          std::string text = req.get_param_value("limit");
          if (text.empty() || text.size() > 9 ||
              text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) == 0)
            return reply_error(res, 400, "`limit` must be a positive number of rows");
          limit = std::min<size_t>(limit, std::stoul(text));
        }
        auto found = node_.query_page(req.matches[1], req.matches[2], after, limit,
                                      options_.page_bytes, node_.is_operator(bearer_key(req)));
        if (!found) return reply_failure(res, found.error());
        Node::TablePage& page = *found;
        if (page.next)
          res.set_header("Link", fmt::format("<{}?after={}&limit={}>; rel=\"next\"", req.path,
                                             to_hex(*page.next), limit));
        res.set_content(rows_to_json_text(page.rows), "application/json");
      });
}

HttpApi::~HttpApi() = default;

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
