#include "node/http_head.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace interstice::node {

HeadScan scan_head(std::string_view bytes, size_t* scanned, size_t max_bytes, size_t max_headers) {
  HeadScan scan;
  size_t from = *scanned > 3 ? *scanned - 3 : 0;
  size_t end = bytes.find("\r\n\r\n", from);
  size_t head = end == std::string_view::npos ? bytes.size() : end + 4;
  // Lines so far: the request line, the headers, and (once complete) the blank line.
  size_t lines = static_cast<size_t>(std::count(bytes.begin(), bytes.begin() + head, '\n'));
  *scanned = bytes.size();
  if (lines > max_headers + (end == std::string_view::npos ? 1 : 2)) {
    scan.result = HeadScan::Result::TooManyHeaders;
  } else if (head > max_bytes) {
    scan.result = HeadScan::Result::TooLarge;
  } else if (end != std::string_view::npos) {
    scan.result = HeadScan::Result::Complete;
    scan.size = head;
  }
  return scan;
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '+') {
      out += ' ';
    } else if (ch == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += ch;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    params[std::move(name)] = std::move(value);
  }
  return params;
}

base::Result<HttpRequest> parse_head(RequestParser& parser, std::string_view head) {
  parser.header_limit(static_cast<uint32_t>(std::min<size_t>(head.size() + 1, UINT32_MAX)));
  parser.body_limit(boost::none);  // the caller decides, once the headers are known
  boost::system::error_code ec;
  size_t used = parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec || !parser.is_header_done() || used != head.size())
    return base::make_error(
        fmt::format("the request is malformed: {}",
                    ec ? ec.message() : "its head does not end where it should"),
        base::ErrorCode::InvalidArgument);
  const auto& message = parser.get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  std::string_view target = message.target();
  size_t query = target.find('?');
  request.path = std::string(target.substr(0, query));
  if (query != std::string_view::npos) request.params = parse_query(target.substr(query + 1));
  for (const auto& field : message) request.headers[lower(field.name_string())] = field.value();
  return request;
}

}  // namespace interstice::node
