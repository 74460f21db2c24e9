#include "node/http_session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include "node/http_head.h"

namespace interstice::node {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

namespace {

// A refused or finished connection is read and discarded this long, so that
// its client reads the response instead of a reset.
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr size_t kReadChunk = 16u << 10;
const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// `length`: 0 if unknown (a chunked body).
std::string too_large(uint64_t length, size_t limit, const HttpRequest& req) {
  return fmt::format(
      "the request body{} is larger than the {} bytes {} {} accepts "
      "(--http-max-call-body, or --http-max-body for an operator's POST /modules)",
      length ? fmt::format(" ({} bytes)", length) : "", limit, req.method, req.path);
}

}  // namespace

HttpSession::HttpSession(HttpServerState& server, uint64_t id, net::ip::tcp::socket socket)
    : server_(server),
      id_(id),
      socket_(std::move(socket)),
      timer_(server.io),
      since_(Clock::now()) {}

void HttpSession::start() {
  error_code ignored;
  socket_.set_option(net::ip::tcp::no_delay(true), ignored);
  read_head();
}

void HttpSession::read_head() {
  if (state_ != State::Waiting) {
    state_ = State::Waiting;
    since_ = Clock::now();
  }
  const HttpLimits& limits = server_.limits;
  if (buffer_.size() > 0) {
    // The first request's head counts from connecting, later ones from
    // their first byte.
    if (scanned_ == 0)
      head_deadline_ = (requests_ == 0 ? since_ : Clock::now()) + limits.header_timeout;
    std::string_view bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    HeadScan scan = scan_head(bytes, &scanned_, limits.max_header_bytes, limits.max_headers);
    switch (scan.result) {
      case HeadScan::Result::Complete:
        return start_request(scan.size);
      case HeadScan::Result::TooLarge:
        return refuse(431, fmt::format("the request line and headers are larger than {} bytes "
                                       "(--http-max-header-bytes)",
                                       limits.max_header_bytes));
      case HeadScan::Result::TooManyHeaders:
        return refuse(431, fmt::format("the request has more than {} headers (--http-max-headers)",
                                       limits.max_headers));
      case HeadScan::Result::Incomplete:
        break;
    }
  }
  arm(buffer_.size() > 0 ? head_deadline_
                         : since_ + (requests_ == 0 ? limits.header_timeout : limits.idle_timeout));
  socket_.async_read_some(
      buffer_.prepare(kReadChunk), [self = shared_from_this()](error_code ec, size_t n) {
        if (self->closing()) return;
        if (ec) {
          if (self->timed_out_ && self->buffer_.size() > 0)
            return self->refuse(408, fmt::format("the request's headers did not arrive within "
                                                 "{} ms (--http-header-timeout)",
                                                 self->server_.limits.header_timeout.count()));
          return self->close();
        }
        self->buffer_.commit(n);
        self->ack_now();
        self->read_head();
      });
}

void HttpSession::start_request(size_t head_size) {
  const HttpLimits& limits = server_.limits;
  scanned_ = 0;
  parser_.emplace();
  auto parsed = parse_head(
      *parser_, std::string_view(static_cast<const char*>(buffer_.data().data()), head_size));
  if (!parsed) return refuse(400, parsed.error().message);
  buffer_.consume(head_size);
  request_ = std::move(parsed).value();
  keep_alive_ = parser_->get().keep_alive();

  size_t limit = server_.body_limit ? server_.body_limit(request_) : limits.max_call_body;
  std::optional<uint64_t> length;
  if (auto declared = parser_->content_length()) length = *declared;
  if (length && *length > limit) return refuse(413, too_large(*length, limit, request_));
  // A chunked body's size is unknown until its end: only a trusted sender
  // (whose limit is above the call limit) may send one.
  if (parser_->chunked() && limit <= limits.max_call_body)
    return refuse(411,
                  "send the body with a Content-Length header (only an operator's "
                  "POST /modules may be chunked)");
  body_limit_ = limit;
  parser_->body_limit(limit);
  if (parser_->is_done()) return finish_request();
  uint64_t expected = length.value_or(0);
  if (server_.buffered + expected > limits.max_buffered)
    return refuse(503, fmt::format("the node holds as many request bodies and unread responses "
                                   "as it may ({} bytes, --http-max-buffered); try again",
                                   limits.max_buffered));
  hold(expected);
  // A small body comes within the head's deadline, a large one (an
  // operator's module) within the request timeout.
  Clock::time_point deadline = length && expected <= limits.max_call_body
                                   ? head_deadline_
                                   : Clock::now() + limits.request_timeout;
  if (lower(request_.header("expect")) != "100-continue") return read_body(deadline);
  state_ = State::Reading;
  arm(deadline);
  net::async_write(socket_, net::buffer(kContinue),
                   [self = shared_from_this(), deadline](error_code ec, size_t) {
                     if (self->closing()) return;
                     if (ec) return self->close();
                     self->read_body(deadline);
                   });
}

void HttpSession::read_body(Clock::time_point deadline) {
  state_ = State::Reading;
  since_ = Clock::now();
  arm(deadline);
  http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (self->closing()) return;
    const HttpLimits& limits = self->server_.limits;
    if (ec == http::error::body_limit)
      return self->refuse(413, too_large(0, self->body_limit_, self->request_));
    if (ec && self->timed_out_)
      return self->refuse(408, fmt::format("the request body did not arrive in time "
                                           "({} ms for a body of up to --http-max-call-body, "
                                           "--http-request-timeout for larger ones)",
                                           limits.header_timeout.count()));
    if (ec) return self->close();
    self->ack_now();
    self->finish_request();
  });
}

void HttpSession::finish_request() {
  release();
  if (auto upgrade = server_.upgrades.find(request_.path);
      upgrade != server_.upgrades.end() && websocket::is_upgrade(parser_->get())) {
    // The connection leaves HTTP: the handler owns its socket now.
    auto connection = std::make_unique<UpgradedConnection>(UpgradedConnection{
        server_.shared_from_this(), std::move(socket_), parser_->release(), std::move(request_)});
    state_ = State::Closed;
    timer_.cancel();
    auto keep = shared_from_this();
    server_.sessions.erase(id_);
    return upgrade->second(std::move(connection));
  }
  ++requests_;
  state_ = State::Busy;
  since_ = Clock::now();
  timer_.cancel();
  HttpRequest request = std::move(request_);
  request.body = std::move(parser_->get().body());
  parser_.reset();
  // The answer comes back to the I/O thread; a connection closed meanwhile
  // drops it.
  Respond respond = [server = server_.shared_from_this(),
                     weak = weak_from_this()](HttpResponse response) {
    auto deliver = [weak, response = std::move(response)]() mutable {
      if (auto self = weak.lock()) self->answer(std::move(response));
    };
    if (server->io.get_executor().running_in_this_thread())
      deliver();
    else
      net::post(server->io, std::move(deliver));
  };
  server_.dispatch(std::move(request), std::move(respond));
}

void HttpSession::answer(HttpResponse answer) {
  if (state_ != State::Busy || closing()) return;
  bool close_after =
      !keep_alive_ || requests_ >= server_.limits.keep_alive_requests || server_.stopping;
  response_ = Response{};
  response_.version(11);
  response_.result(static_cast<unsigned>(answer.status));
  response_.set(http::field::content_type, answer.content_type);
  for (auto& [name, value] : answer.headers) response_.set(name, value);
  response_.body() = std::move(answer.body);
  response_.keep_alive(!close_after);
  response_.prepare_payload();
  size_t size = response_.body().size();
  if (size > 0 && server_.buffered + size > server_.limits.max_buffered) {
    spdlog::warn(
        "HTTP: closing a connection whose response does not fit: unread responses and "
        "request bodies hold {} bytes (--http-max-buffered)",
        server_.buffered);
    return close();
  }
  hold(size);
  write(close_after);
}

void HttpSession::write(bool close_after) {
  state_ = State::Writing;
  since_ = Clock::now();
  arm(since_ + server_.limits.request_timeout);
  http::async_write(socket_, response_,
                    [self = shared_from_this(), close_after](error_code ec, size_t) {
                      if (self->closing()) return;
                      self->release();
                      self->response_ = Response{};
                      if (ec) return self->close();
                      if (close_after) return self->drain();
                      self->read_head();
                    });
}

void HttpSession::refuse(int status, const std::string& message) {
  release();
  parser_.reset();
  keep_alive_ = false;
  HttpResponse error = HttpResponse::error(status, message);
  response_ = Response{};
  response_.version(11);
  response_.result(static_cast<unsigned>(status));
  response_.set(http::field::content_type, error.content_type);
  response_.body() = std::move(error.body);
  response_.keep_alive(false);
  response_.prepare_payload();
  write(true);
}

void HttpSession::drain() {
  if (state_ != State::Draining) {
    state_ = State::Draining;
    since_ = Clock::now();
    error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    arm(since_ + kDrainTime);  // in all, however much the client still sends
    buffer_.clear();
    buffer_.shrink_to_fit();
  }
  socket_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](error_code ec, size_t) {
                            if (self->closing()) return;
                            if (ec) return self->close();
                            self->drain();
                          });
}

void HttpSession::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  release();
  error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  server_.sessions.erase(id_);  // the caller holds a reference
}

void HttpSession::arm(Clock::time_point deadline) {
  timed_out_ = false;
  timer_.expires_at(deadline);
  timer_.async_wait([weak = weak_from_this()](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ == State::Closed) return;
    if (self->timer_.expiry() > Clock::now()) return;  // re-armed since
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

// A client that sends its headers and body in two writes without
// TCP_NODELAY holds the body back until the headers are acknowledged, and a
// delayed ACK takes up to 40 ms: Linux leaves quick-ACK mode by itself, so
// it is asked again after every read.
void HttpSession::ack_now() {
  int one = 1;
  (void)::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

void HttpSession::hold(size_t bytes) {
  held_ += bytes;
  server_.buffered += bytes;
}

void HttpSession::release() {
  server_.buffered -= held_;
  held_ = 0;
}

}  // namespace interstice::node
