// HttpSession: one client connection of HttpServer, from accept to close
// (the limits it applies are listed in http_server.h).
//
// Threading: every member runs on the server's I/O thread. The session is
// owned by the server's `sessions` map and by its pending operations; a
// Respond holds only a weak reference, so a response for a connection that
// closed meanwhile is dropped.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "node/http_server_state.h"

namespace interstice::node {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Clock = std::chrono::steady_clock;

  HttpSession(HttpServerState& server, uint64_t id, boost::asio::ip::tcp::socket socket);

  // Reads the first request.
  void start();
  // Closes the connection now (eviction, shutdown).
  void close();
  // Whether it waits for a request (or drains after a refusal): what
  // eviction may close. Since when.
  bool evictable() const { return state_ == State::Waiting || state_ == State::Draining; }
  Clock::time_point since() const { return since_; }

 private:
  // Waiting: reading a request's head. Reading: its body. Busy: its handler
  // has it. Writing: its response. Draining: refused or done, the client's
  // bytes are discarded until it closes (so it reads the response, not a
  // reset). Closed.
  enum class State { Waiting, Reading, Busy, Writing, Draining, Closed };
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void read_head();
  // A head is complete in buffer_: parses it, decides on its body.
  void start_request(size_t head_size);
  void read_body(Clock::time_point deadline);
  void finish_request();
  // Writes the handler's answer (through a Respond).
  void answer(HttpResponse response);
  void write(bool close_after);
  // An error response, then the connection is closed.
  void refuse(int status, const std::string& message);
  void drain();
  // Deadlines: when one passes, the pending read or write is cancelled and
  // timed_out_ is set.
  void arm(Clock::time_point deadline);
  // Acknowledges what was read at once (TCP_QUICKACK).
  void ack_now();
  void hold(size_t bytes);
  void release();
  bool closing() const { return state_ == State::Closed || server_.stopping; }

  HttpServerState& server_;
  const uint64_t id_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;  // received, not yet consumed by a request
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpRequest request_;    // being read (its line and headers)
  size_t body_limit_ = 0;  // of request_
  Response response_;      // being written
  State state_ = State::Waiting;
  Clock::time_point since_;          // in this state since
  Clock::time_point head_deadline_;  // the current request's first byte + header_timeout
  size_t scanned_ = 0;               // bytes of buffer_ searched for the end of the head
  size_t requests_ = 0;              // served on this connection
  size_t held_ = 0;                  // bytes counted in server_.buffered
  bool keep_alive_ = true;           // the client's request allows another
  bool timed_out_ = false;
};

}  // namespace interstice::node
