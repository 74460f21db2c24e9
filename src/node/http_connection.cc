#include "node/http_connection.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace interstice::node {

HeadScan scan_head(const std::string& buffer, size_t* scanned, size_t max_bytes,
                   size_t max_headers) {
  HeadScan scan;
  size_t from = *scanned > 3 ? *scanned - 3 : 0;
  size_t end = buffer.find("\r\n\r\n", from);
  size_t head = end == std::string::npos ? buffer.size() : end + 4;
  // Lines so far: the request line, the headers, and (once complete) the blank line.
  size_t lines = static_cast<size_t>(std::count(buffer.begin(), buffer.begin() + head, '\n'));
  *scanned = buffer.size();
  if (lines > max_headers + (end == std::string::npos ? 1 : 2)) {
    scan.result = HeadScan::Result::TooManyHeaders;
  } else if (head > max_bytes) {
    scan.result = HeadScan::Result::TooLarge;
  } else if (end != std::string::npos) {
    scan.result = HeadScan::Result::Complete;
    scan.size = head;
  }
  return scan;
}

uint64_t content_length(std::string_view head) {
  const std::string_view name = "content-length:";
  size_t line = head.find('\n');
  while (line != std::string_view::npos && line + 1 < head.size()) {
    std::string_view rest = head.substr(line + 1);
    bool match = rest.size() > name.size();
    for (size_t i = 0; match && i < name.size(); ++i)
      match = std::tolower(static_cast<unsigned char>(rest[i])) == name[i];
    if (match) {
      size_t at = name.size();
      while (at < rest.size() && (rest[at] == ' ' || rest[at] == '\t')) ++at;
      uint64_t value = 0;
      size_t digits = 0;
      for (; at < rest.size() && rest[at] >= '0' && rest[at] <= '9' && digits < 19; ++at, ++digits)
        value = value * 10 + static_cast<uint64_t>(rest[at] - '0');
      return digits ? value : 0;
    }
    line = head.find('\n', line + 1);
  }
  return 0;
}

bool expects_continue(std::string_view head) {
  std::string lower(head);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t at = lower.find("\nexpect:");
  return at != std::string::npos && lower.find("100-continue", at) < lower.find('\n', at + 1);
}

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

std::string error_response(int status, const std::string& message) {
  std::string body = nlohmann::json{{"error", message}}.dump();
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, reason_phrase(status), body.size(), body);
}

bool ConnectionStream::wait(short events) const {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return false;
    }
    pollfd p{c_.fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1'000'000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

bool ConnectionStream::is_readable() const {
  if (pos_ < c_.buffer.size()) return true;
  return wait(POLLIN);
}

bool ConnectionStream::is_writable() const {
  return wait(POLLOUT);
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (consumed_ >= allowed_) {
    if (ends_at_limit_) return 0;
    exceeded_ = true;
    return -1;
  }
  size = std::min(size, allowed_ - consumed_);
  if (pos_ < c_.buffer.size()) {
    size_t n = std::min(size, c_.buffer.size() - pos_);
    std::memcpy(ptr, c_.buffer.data() + pos_, n);
    pos_ += n;
    consumed_ += n;
    return static_cast<ssize_t>(n);
  }
  for (;;) {
    ssize_t n = ::recv(c_.fd, ptr, size, 0);
    if (n > 0) {
      consumed_ += static_cast<size_t>(n);
      return n;
    }
    if (n == 0) {
      failed_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLIN)) {
      failed_ = true;
      return -1;
    }
  }
}

// The response is collected and sent at once (one write, no Nagle or
// delayed-ACK stall between its head and body) by send_output, here or, for
// a slow reader, by serve()'s thread. Only `100 Continue` goes out at once:
// the client waits for it before sending the body.
ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  std::string_view bytes(ptr, size);
  if (!bytes.starts_with("HTTP/1.1 100 ")) {
    c_.output.append(bytes);
    return static_cast<ssize_t>(size);
  }
  if (c_.continue_sent) {  // serve() sent it already, with the body it read early
    c_.continue_sent = false;
    return static_cast<ssize_t>(size);
  }
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = ::send(c_.fd, ptr + sent, size - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || !wait(POLLOUT)) {
      failed_ = true;
      return -1;
    }
  }
  return static_cast<ssize_t>(size);
}

bool ConnectionStream::send_output() {
  if (failed_) return true;
  if (!send_connection_output(c_)) failed_ = true;
  return failed_ || c_.output_sent == c_.output.size();
}

bool send_connection_output(HttpConnection& c) {
  while (c.output_sent < c.output.size()) {
    ssize_t n = ::send(c.fd, c.output.data() + c.output_sent, c.output.size() - c.output_sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.output_sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

namespace {

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    port = ntohs(in.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  }
  ip = text;
}

}  // namespace

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t length = sizeof addr;
  if (::getpeername(c_.fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
    address_of(addr, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t length = sizeof addr;
  if (::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
    address_of(addr, ip, port);
}

}  // namespace interstice::node
