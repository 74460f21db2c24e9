#include "cli/http_client.h"

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace interstice::cli {

void print_error(bool json, const std::string& message) {
  if (json)
    fmt::print("{}\n", nlohmann::json{{"error", message}}.dump());
  else
    fmt::print(stderr, "error: {}\n", message);
}

bool send_to_node(const std::string& address, const NodeRequest& request, std::string* response) {
  std::string ignored;
  return send_to_node(address, request, response, &ignored);
}

bool send_to_node(const std::string& address, const NodeRequest& request, std::string* response,
                  std::string* next_page) {
  httplib::Client client(address.starts_with("http://") ? address : "http://" + address);
  client.set_connection_timeout(5);
  client.set_read_timeout(request.read_timeout_seconds);
  client.set_write_timeout(60);
  httplib::Headers headers(request.headers.begin(), request.headers.end());
  httplib::Result res = request.method == "POST"
                            ? client.Post(request.path, headers, request.body, request.content_type)
                        : request.method == "DELETE" ? client.Delete(request.path, headers)
                                                     : client.Get(request.path, headers);
  if (!res) {
    print_error(request.json_errors, fmt::format("cannot reach a node at {} ({} error)", address,
                                                 httplib::to_string(res.error())));
    return false;
  }
  if (res->status != 200) {
    auto error = nlohmann::json::parse(res->body, nullptr, false);
    std::string message = error.is_object() && error.contains("error") && error["error"].is_string()
                              ? error["error"].get<std::string>()
                              : res->body;
    print_error(request.json_errors, message);
    return false;
  }
  *response = res->body;
  std::string link = res->get_header_value("Link");
  size_t open = link.find('<'), close = link.find('>');
  bool next = link.find("rel=\"next\"") != std::string::npos && open != std::string::npos &&
              close != std::string::npos && close > open;
  *next_page = next ? link.substr(open + 1, close - open - 1) : "";
  return true;
}

}  // namespace interstice::cli
