// Requests to a running node's local interface, for the CLI's commands.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace interstice::cli {

struct NodeRequest {
  std::string method = "GET";  // GET, POST or DELETE
  std::string path;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // For a command's --json: a failure is printed as {"error": "…"} on
  // stdout, as the command's answer, instead of "error: …" on stderr.
  bool json_errors = false;
  int read_timeout_seconds = 60;  // waiting for the answer
};

// Prints why a command failed: "error: MESSAGE" on stderr, or with `json`
// {"error": "MESSAGE"} on stdout.
void print_error(bool json, const std::string& message);

// Sends `request` to the node at `address` ("host:port" or
// "http://host:port"). On success stores the body and returns true; on
// failure prints the node's message, or why it was unreachable, with
// print_error and returns false.
bool send_to_node(const std::string& address, const NodeRequest& request, std::string* response);
// The same, and stores in `next_page` the path of the next page of a paged
// reply (its `Link: <PATH>; rel="next"` header), or "" on the last page.
bool send_to_node(const std::string& address, const NodeRequest& request, std::string* response,
                  std::string* next_page);

}  // namespace interstice::cli
