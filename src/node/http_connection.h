// One client connection of HttpServer, and the httplib::Stream a worker
// serves one request of it through: reads come first from the bytes the
// server already buffered (the request's head), then from the socket, never
// past the head plus the body limit, and every read and write waits at most
// until the request's deadline.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace interstice::node {

struct HttpConnection {
  // Waiting: serve()'s thread reads its next request. Busy: a worker serves
  // it. Writing: serve()'s thread sends `output` as the client reads it.
  // Draining: refused or done, read and discarded until the client closes.
  enum class State { Waiting, Busy, Writing, Draining };
  uint64_t id = 0;
  int fd = -1;
  State state = State::Waiting;
  std::string buffer;          // received, not yet consumed by a request
  size_t scanned = 0;          // bytes of `buffer` searched for the end of the head
  size_t head_size = 0;        // once the head is complete: its size
  size_t early_body = 0;       // body bytes read before a worker takes the request
  size_t held = 0;             // bytes counted in HttpServer's buffered budget (body or output)
  bool continue_sent = false;  // serve() answered `Expect: 100-continue` itself
  std::string output;          // the response, as the worker wrote it
  size_t output_sent = 0;      // bytes of `output` sent
  bool close_after_output = false;
  size_t requests = 0;  // served on this connection
  // Waiting or draining: closed when reached (idle, or header timeout).
  std::chrono::steady_clock::time_point deadline;
  // Waiting since (the longest-waiting connection is evicted first).
  std::chrono::steady_clock::time_point since;
};

// Where the head (request line and headers) of the request at the start of
// `buffer` ends.
struct HeadScan {
  enum class Result { Incomplete, Complete, TooLarge, TooManyHeaders };
  Result result = Result::Incomplete;
  size_t size = 0;  // Complete: bytes of the head, through the blank line
};
HeadScan scan_head(const std::string& buffer, size_t* scanned, size_t max_bytes,
                   size_t max_headers);

// The Content-Length of a request head (0 if it has none, or an invalid one:
// the worker refuses those).
uint64_t content_length(std::string_view head);
// Sends what it can of c.output without waiting (c.output_sent advances).
// False if the connection failed.
bool send_connection_output(HttpConnection& c);

// Whether a request head asks `Expect: 100-continue`.
bool expects_continue(std::string_view head);

// A complete HTTP/1.1 error response with a JSON body {"error": message},
// closing the connection.
std::string error_response(int status, const std::string& message);

class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(HttpConnection& connection, size_t head_size,
                   std::chrono::steady_clock::time_point deadline)
      : c_(connection), head_size_(head_size), allowed_(head_size), deadline_(deadline) {}

  // How many body bytes this request may send (set once its headers are
  // read; 0 until then). With `ends_at_limit` (a request without
  // Content-Length or chunks) the body ends there instead of exceeding it.
  void set_body_limit(size_t limit, bool ends_at_limit = false) {
    allowed_ = head_size_ + limit;
    ends_at_limit_ = ends_at_limit;
  }
  // The request tried to send more than allowed / ran past its deadline.
  bool exceeded() const { return exceeded_; }
  bool timed_out() const { return timed_out_; }
  // The connection must be closed after this request (its body was not read, ...).
  void close_after() { close_ = true; }
  bool must_close() const { return close_ || exceeded_ || timed_out_ || failed_; }
  // Gives back the bytes buffered beyond what the request consumed.
  void keep_unread() { c_.buffer.erase(0, pos_); }

  // Sends what it can of the connection's output without waiting; true if
  // all of it went out. (A failed connection counts as done: must_close().)
  bool send_output();

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return c_.fd; }

 private:
  bool wait(short events) const;  // until the fd is ready or the deadline

  HttpConnection& c_;
  size_t pos_ = 0;       // consumed from c_.buffer
  size_t consumed_ = 0;  // bytes of this request read so far
  size_t head_size_;
  size_t allowed_;
  bool ends_at_limit_ = false;
  std::chrono::steady_clock::time_point deadline_;
  mutable bool timed_out_ = false;
  bool exceeded_ = false;
  bool failed_ = false;
  bool close_ = false;
};

}  // namespace interstice::node
