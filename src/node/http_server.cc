#include "node/http_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

#include "node/http_connection.h"

namespace interstice::node {
namespace {

constexpr uint64_t kListener = 0;
constexpr uint64_t kWake = 1;
// A refused connection is read and discarded this long, so that its client
// reads the error instead of a reset.
constexpr auto kDrainTime = std::chrono::seconds(2);
// Repeated warnings (descriptor limit, connection limit) are logged at most
// this often.
constexpr auto kWarnEvery = std::chrono::minutes(1);

// The request a worker thread is serving (for the httplib hooks).
thread_local ConnectionStream* current_stream = nullptr;

void send_best_effort(int fd, const std::string& bytes) {
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

bool parse_length(const std::string& text, uint64_t* length) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *length = std::stoull(text);
  return true;
}

// `length`: 0 if unknown (a chunked body).
std::string too_large(uint64_t length, size_t limit, const httplib::Request& req) {
  return fmt::format(
      "the request body{} is larger than the {} bytes {} {} accepts "
      "(--http-max-call-body, or --http-max-body for an operator's POST /modules)",
      length ? fmt::format(" ({} bytes)", length) : "", limit, req.method, req.path);
}

// Whether httplib reads a body for this method.
bool expects_body(const httplib::Request& req) {
  return req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
         req.method == "DELETE";
}

}  // namespace

HttpServer::HttpServer(HttpLimits limits) : limits_(limits) {
  set_payload_max_length(limits_.max_body);
  set_keep_alive_max_count(limits_.keep_alive_requests);
  set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout).count()));
  set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return before_body(req, res);
  });
  set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    return on_expect_continue(req, res);
  });
  set_error_handler(HandlerWithResponse([this](const httplib::Request& req,
                                               httplib::Response& res) {
    ConnectionStream* stream = current_stream;
    if (stream && stream->exceeded()) {
      res.status = 413;
      res.set_content(
          nlohmann::json{
              {"error", too_large(0, body_limit_ ? body_limit_(req) : limits_.max_call_body, req)}}
              .dump(),
          "application/json");
    } else if (res.body.empty()) {  // httplib refused it (our handlers always give a message)
      res.set_content(
          nlohmann::json{{"error", fmt::format("the request was refused (HTTP {})", res.status)}}
              .dump(),
          "application/json");
      if (stream && res.status == 400) stream->close_after();
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
}

HttpServer::~HttpServer() {
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_})
    if (fd >= 0) ::close(fd);
}

// `Expect: 100-continue`: 100 if the body may come, else the refusal's status
// (the same checks as before_body).
int HttpServer::on_expect_continue(const httplib::Request& req, httplib::Response& res) {
  return before_body(req, res) == HandlerResponse::Handled ? res.status : 100;
}

// Runs once a request's headers are read, before any of its body: sets the
// body limit on the stream and refuses a Content-Length beyond it (413).
httplib::Server::HandlerResponse HttpServer::before_body(const httplib::Request& req,
                                                         httplib::Response& res) {
  ConnectionStream* stream = current_stream;
  size_t limit = body_limit_ ? body_limit_(req) : limits_.max_call_body;
  auto refuse_with = [&](int status, const std::string& message) {
    res.status = status;
    res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
    if (stream) stream->close_after();  // its body is not read
    return HandlerResponse::Handled;
  };
  bool chunked = req.has_header("Transfer-Encoding");
  uint64_t length = 0;
  if (req.has_header("Content-Length") &&
      !parse_length(req.get_header_value("Content-Length"), &length))
    return refuse_with(400, "the Content-Length header is not a number");
  if (chunked && req.has_header("Content-Length"))
    return refuse_with(400, "a request cannot have both Content-Length and Transfer-Encoding");
  if (length > limit) return refuse_with(413, too_large(length, limit, req));
  // A chunked body's size is unknown until its end, so it cannot be read
  // ahead without a worker: only the operator (trusted) may send one.
  if (chunked && limit <= limits_.max_call_body)
    return refuse_with(411,
                       "send the body with a Content-Length header (only an operator's "
                       "POST /modules may be chunked)");
  if (stream) {
    // Without Content-Length or chunks, a request has no body.
    bool has_body = chunked || req.has_header("Content-Length");
    stream->set_body_limit(has_body ? limit : 0, !has_body);
    if (length > 0 && !expects_body(req)) stream->close_after();
  }
  return HandlerResponse::Unhandled;
}

base::Result<uint16_t> HttpServer::open(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return base::make_error(
        fmt::format("cannot listen on {}:{}: {}", host, port, ::gai_strerror(rc)));
  int error = 0;
  for (addrinfo* ai = found; ai && listen_fd_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    // SO_REUSEADDR only: a restarted node may bind while old connections
    // linger, but no second process can bind the port (no SO_REUSEPORT).
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      listen_fd_ = fd;
    } else {
      error = errno;
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0)
    return base::make_error(fmt::format(
        "cannot listen on {}:{}: {}{}", host, port, std::strerror(error),
        error == EADDRINUSE ? " (another node or program is listening there: stop it, or "
                              "choose another --port)"
                            : ""));
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  uint16_t bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                        : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    return base::make_error(fmt::format("cannot serve HTTP: {}", std::strerror(errno)));
  epoll_event listener{EPOLLIN, {.u64 = kListener}};
  epoll_event wake{EPOLLIN, {.u64 = kWake}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listener);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  return bound_port;
}

void HttpServer::shut_down() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
}

void HttpServer::serve() {
  if (listen_fd_ < 0) return;
  for (size_t i = 0; i < std::max<size_t>(1, limits_.threads); ++i)
    workers_.emplace_back([this] { worker_loop(); });
  std::vector<epoll_event> events(256);
  while (!stopping_) {
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n && !stopping_; ++i) {
      uint64_t id = events[i].data.u64;
      if (id == kListener)
        accept_all();
      else if (id != kWake)
        on_readable(id);
    }
    sweep();
  }
  {
    base::MutexLock lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second->state == HttpConnection::State::Busy) {
        ::shutdown(it->second->fd, SHUT_RDWR);  // its worker sees the end and closes it
        ++it;
      } else {
        ::close(it->second->fd);
        it = connections_.erase(it);
      }
    }
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void HttpServer::accept_all() {
  base::MutexLock lock(mutex_);
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    auto now = Clock::now();
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        if (!logged_emfile_ || now - last_emfile_log_ > kWarnEvery) {
          spdlog::warn(
              "HTTP: cannot accept connections: {}; closing the longest-waiting ones, and "
              "accepting again (raise `ulimit -n`, or lower --http-max-connections)",
              std::strerror(errno));
          logged_emfile_ = true;
          last_emfile_log_ = now;
        }
        if (evict_one()) continue;
        pause_accepting(std::chrono::milliseconds(100));
        return;
      }
      spdlog::warn("HTTP: accept failed: {}; accepting again shortly", std::strerror(errno));
      pause_accepting(std::chrono::milliseconds(100));
      return;
    }
    if (connections_.size() >= limits_.max_connections) {
      if (!logged_full_ || now - last_full_log_ > kWarnEvery) {
        spdlog::warn(
            "HTTP: {} connections open (--http-max-connections); closing the longest-waiting "
            "ones to admit new ones",
            connections_.size());
        logged_full_ = true;
        last_full_log_ = now;
      }
      if (!evict_one()) {
        send_best_effort(fd, error_response(503,
                                            "the node is serving as many requests as it "
                                            "can (--http-max-connections)"));
        ::close(fd);
        continue;
      }
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto c = std::make_unique<HttpConnection>();
    c->id = next_id_++;
    c->fd = fd;
    c->since = now;
    c->deadline = now + limits_.header_timeout;
    epoll_event event{EPOLLIN | EPOLLONESHOT, {.u64 = c->id}};
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      continue;
    }
    connections_.emplace(c->id, std::move(c));
  }
}

void HttpServer::pause_accepting(Clock::duration for_how_long) {
  epoll_event none{0, {.u64 = kListener}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &none);
  accept_paused_ = true;
  resume_accept_at_ = Clock::now() + for_how_long;
}

bool HttpServer::evict_one() {
  HttpConnection* oldest = nullptr;
  for (auto& [id, c] : connections_)
    if (c->state != HttpConnection::State::Busy && (!oldest || c->since < oldest->since))
      oldest = c.get();
  if (!oldest) return false;
  close_connection(oldest->id);
  return true;
}

void HttpServer::close_connection(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  buffered_ -= it->second->held;
  ::close(it->second->fd);  // also leaves the epoll set
  connections_.erase(it);
}

void HttpServer::rearm(const HttpConnection& c) {
  epoll_event event{EPOLLIN | EPOLLONESHOT, {.u64 = c.id}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event);
}

void HttpServer::on_readable(uint64_t id) {
  base::MutexLock lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->state == HttpConnection::State::Busy) return;
  HttpConnection& c = *it->second;
  if (c.state == HttpConnection::State::Writing) return on_writable(c);
  char chunk[16384];
  // At most 64 reads per wake-up, so a client sending without pause cannot
  // keep this thread.
  for (int reads = 0; reads < 64; ++reads) {
    ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      if (c.state == HttpConnection::State::Draining) continue;
      if (c.buffer.empty()) c.deadline = Clock::now() + limits_.header_timeout;
      c.buffer.append(chunk, static_cast<size_t>(n));
      if (c.buffer.size() > limits_.max_header_bytes + limits_.max_call_body) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return close_connection(id);  // the client closed, or the connection failed
  }
  advance(c);
}

void HttpServer::advance(HttpConnection& c) {
  if (c.state == HttpConnection::State::Draining) return rearm(c);
  if (c.head_size == 0) {
    HeadScan scan = scan_head(c.buffer, &c.scanned, limits_.max_header_bytes, limits_.max_headers);
    switch (scan.result) {
      case HeadScan::Result::Complete: {
        c.head_size = scan.size;
        std::string_view head = std::string_view(c.buffer).substr(0, scan.size);
        uint64_t length = content_length(head);
        if (length == 0 || length > limits_.max_call_body) break;  // none, or the worker's
        if (buffered_ + length > limits_.max_buffered)
          return refuse(c, 503,
                        fmt::format("the node holds as many request bodies and unread "
                                    "responses as it may ({} bytes, --http-max-buffered); "
                                    "try again",
                                    limits_.max_buffered));
        c.early_body = length;
        c.held = length;
        buffered_ += length;
        if (expects_continue(head)) {
          send_best_effort(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
          c.continue_sent = true;
        }
        break;
      }
      case HeadScan::Result::TooLarge:
        return refuse(c, 431,
                      fmt::format("the request line and headers are larger than {} bytes "
                                  "(--http-max-header-bytes)",
                                  limits_.max_header_bytes));
      case HeadScan::Result::TooManyHeaders:
        return refuse(c, 431,
                      fmt::format("the request has more than {} headers (--http-max-headers)",
                                  limits_.max_headers));
      case HeadScan::Result::Incomplete:
        return rearm(c);
    }
  }
  if (c.buffer.size() < c.head_size + c.early_body) return rearm(c);  // a small body, coming
  c.state = HttpConnection::State::Busy;
  buffered_ -= c.held;  // what a worker holds is bounded by the number of workers
  c.held = 0;
  work_.emplace_back(&c, c.head_size);
  c.head_size = 0;
  c.early_body = 0;
  work_ready_.notify_one();
}

void HttpServer::refuse(HttpConnection& c, int status, const std::string& message) {
  send_best_effort(c.fd, error_response(status, message));
  start_draining(c);
}

void HttpServer::start_draining(HttpConnection& c) {
  ::shutdown(c.fd, SHUT_WR);
  c.state = HttpConnection::State::Draining;
  c.buffer.clear();
  c.buffer.shrink_to_fit();
  c.since = Clock::now();
  c.deadline = c.since + kDrainTime;
  rearm(c);
}

void HttpServer::sweep() {
  auto now = Clock::now();
  if (now - last_sweep_ < std::chrono::milliseconds(50)) return;
  last_sweep_ = now;
  base::MutexLock lock(mutex_);
  if (accept_paused_ && now >= resume_accept_at_) {
    epoll_event listener{EPOLLIN, {.u64 = kListener}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &listener);
    accept_paused_ = false;
  }
  std::vector<uint64_t> expired;
  for (auto& [id, c] : connections_)
    if (c->state != HttpConnection::State::Busy && c->deadline <= now) expired.push_back(id);
  for (uint64_t id : expired) {
    HttpConnection& c = *connections_[id];
    if (c.state == HttpConnection::State::Waiting && !c.buffer.empty())
      send_best_effort(c.fd,
                       error_response(408, fmt::format("the request's headers (or small body) "
                                                       "did not arrive within {} ms "
                                                       "(--http-header-timeout)",
                                                       limits_.header_timeout.count())));
    close_connection(id);
  }
}

void HttpServer::worker_loop() {
  for (;;) {
    std::pair<HttpConnection*, size_t> job;
    {
      base::MutexLock lock(mutex_);
      while (!stopping_ && work_.empty()) work_ready_.wait(lock);
      if (work_.empty()) return;
      job = work_.front();
      work_.pop_front();
    }
    serve_connection(*job.first, job.second);
  }
}

void HttpServer::serve_connection(HttpConnection& c, size_t head_size) {
  // Only this thread touches c's socket and buffer until it hands it back.
  ConnectionStream stream(c, head_size, Clock::now() + limits_.request_timeout);
  bool last = ++c.requests >= limits_.keep_alive_requests || stopping_;
  bool closed = false;
  current_stream = &stream;
  bool written = process_request(stream, last, closed, nullptr);
  current_stream = nullptr;
  stream.keep_unread();
  c.scanned = 0;
  bool sent = stream.send_output();
  base::MutexLock lock(mutex_);
  c.continue_sent = false;
  if (stopping_ || !written || stream.timed_out() || (stream.must_close() && !sent))
    return close_connection(c.id);
  bool close_after = closed || last || stream.must_close();
  if (sent) return finish_response(c, close_after);
  // A slow reader: serve()'s thread sends the rest as it reads.
  size_t unsent = c.output.size() - c.output_sent;
  if (buffered_ + unsent > limits_.max_buffered) {
    spdlog::warn(
        "HTTP: closing a connection that does not read its response: unread responses "
        "and request bodies hold {} bytes (--http-max-buffered)",
        buffered_);
    return close_connection(c.id);
  }
  c.held = unsent;
  buffered_ += unsent;
  c.close_after_output = close_after;
  c.state = HttpConnection::State::Writing;
  c.since = Clock::now();
  c.deadline = c.since + limits_.request_timeout;
  epoll_event event{EPOLLOUT | EPOLLONESHOT, {.u64 = c.id}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event);
}

void HttpServer::on_writable(HttpConnection& c) {
  if (!send_connection_output(c)) return close_connection(c.id);
  if (c.output_sent < c.output.size()) {
    epoll_event event{EPOLLOUT | EPOLLONESHOT, {.u64 = c.id}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event);
    return;
  }
  buffered_ -= c.held;
  c.held = 0;
  finish_response(c, c.close_after_output);
}

void HttpServer::finish_response(HttpConnection& c, bool close_after) {
  c.output.clear();
  c.output.shrink_to_fit();
  c.output_sent = 0;
  // Let the client read the response: stop sending, discard what it still
  // sends, close when it does (or after kDrainTime).
  if (close_after) return start_draining(c);
  c.state = HttpConnection::State::Waiting;
  c.since = Clock::now();
  c.deadline = c.since + (c.buffer.empty() ? limits_.idle_timeout : limits_.header_timeout);
  advance(c);
}

}  // namespace interstice::node
