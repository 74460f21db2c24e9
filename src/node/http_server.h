// HttpServer: cpp-httplib's request parsing and routing behind a front end
// that bounds what clients can hold (docs/node.md, "Limits").
//
// httplib's own listen loop gives every connection a pool thread from accept
// to close, so a few slow or idle connections starve everyone (and it binds
// with SO_REUSEPORT). Here one thread (serve()) owns the listening socket and
// every connection that is between requests:
//   - it accepts (SO_REUSEADDR only; at EMFILE it logs once, closes the
//     longest-waiting connection or backs off, and keeps accepting);
//   - it reads each request's line and headers itself, without a thread,
//     within HttpLimits::header_timeout and max_header_bytes/max_headers
//     (431 otherwise), and a body of up to max_call_body bytes with them;
//     it closes connections idle for idle_timeout;
//   - it sends each response that the client does not read at once, as it
//     reads (a request_timeout to read it all);
//   - at max_connections it closes the longest-waiting connection to admit
//     a new one.
// Only a request whose head (and small body) is complete goes to one of
// `threads` workers, which runs httplib's process_request on it and writes
// the response in one send; the rest of it goes back to serve(). A larger
// body (only an operator's POST /modules may send one; 413 for others, 411
// for others' chunked bodies) is read by the worker within request_timeout.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"

namespace interstice::node {

struct HttpLimits {
  size_t max_body = 64u << 20;          // a body that body_limit() allows the most (POST /modules)
  size_t max_call_body = 1u << 20;      // every other body
  size_t max_header_bytes = 16u << 10;  // a request's line and headers together
  size_t max_headers = 64;              // header lines of a request
  size_t max_connections = 1024;        // open at once
  size_t threads = 16;                  // requests served at once
  size_t keep_alive_requests = 1000;    // requests on one connection, then it is closed
  // Bodies of up to max_call_body bytes (by Content-Length) are read with
  // the head, within header_timeout, and responses are sent as the client
  // reads them, both by serve()'s thread: so only an operator's large body
  // keeps a worker waiting for a client. What those bodies and unsent
  // responses hold in all is bounded by this (503 or a close beyond it).
  size_t max_buffered = 256u << 20;
  std::chrono::milliseconds header_timeout{10'000};   // first byte of a request to its last header
  std::chrono::milliseconds idle_timeout{30'000};     // a connection waiting for a request
  std::chrono::milliseconds request_timeout{60'000};  // reading the body and writing the response
};

struct HttpConnection;

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(HttpLimits limits);
  ~HttpServer() override;

  const HttpLimits& limits() const { return limits_; }
  // The body size a request may send, decided from its line and headers
  // before any of its body is read (default: limits().max_call_body).
  void set_body_limit(std::function<size_t(const httplib::Request&)> limit) {
    body_limit_ = std::move(limit);
  }

  // Binds host:port (0: a free port) and returns the bound port.
  base::Result<uint16_t> open(const std::string& host, uint16_t port);
  // Serves until shut_down() is called (from any thread).
  void serve();
  void shut_down();

 private:
  using Clock = std::chrono::steady_clock;
  void accept_all();
  void on_readable(uint64_t id);
  // Sends more of a Writing connection's response; when all is sent, the
  // connection waits for its next request (or drains). (mutex_ held)
  void on_writable(HttpConnection& c) REQUIRES(mutex_);
  // After a worker: the connection waits for its next request, or drains
  // and closes if `close_after`. (mutex_ held)
  void finish_response(HttpConnection& c, bool close_after) REQUIRES(mutex_);
  // Scans a waiting connection's buffer: dispatches it to a worker if it
  // holds a whole request head, refuses it if too large, else re-arms it.
  // (mutex_ held)
  void advance(HttpConnection& c) REQUIRES(mutex_);
  void sweep();
  // Closes the longest-waiting connection that no worker serves. (mutex_ held)
  bool evict_one() REQUIRES(mutex_);
  void worker_loop();
  void serve_connection(HttpConnection& c, size_t head_size);
  // Sends a short error response and closes (after draining what the client
  // still sends, so that it reads the response instead of a reset).
  void refuse(HttpConnection& c, int status, const std::string& message);
  // Stops sending to `c`, discards what it still sends and closes it when it
  // does (or after kDrainTime), so the client can read what was sent.
  void start_draining(HttpConnection& c);
  void close_connection(uint64_t id) REQUIRES(mutex_);
  void rearm(const HttpConnection& c);
  void pause_accepting(Clock::duration for_how_long);
  // httplib hooks (the worker's current request).
  httplib::Server::HandlerResponse before_body(const httplib::Request& req, httplib::Response& res);
  int on_expect_continue(const httplib::Request& req, httplib::Response& res);

  const HttpLimits limits_;
  std::function<size_t(const httplib::Request&)> body_limit_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: shut_down() wakes serve()
  std::atomic<bool> stopping_ = false;
  // serve()'s thread only:
  bool accept_paused_ = false;
  Clock::time_point resume_accept_at_{};
  bool logged_emfile_ = false;
  bool logged_full_ = false;
  Clock::time_point last_emfile_log_{}, last_full_log_{};
  Clock::time_point last_sweep_{};

  // Guards the connections and the worker queue. A connection is either
  // waiting (serve()'s thread reads it, epoll one-shot armed) or busy (one
  // worker owns its fd and buffer until it hands it back or closes it).
  base::Mutex mutex_;
  base::CondVar work_ready_;  // work_ or stopping_ changed
  std::unordered_map<uint64_t, std::unique_ptr<HttpConnection>> connections_ GUARDED_BY(mutex_);
  // Busy connections, with their head size.
  std::deque<std::pair<HttpConnection*, size_t>> work_ GUARDED_BY(mutex_);
  uint64_t next_id_ GUARDED_BY(mutex_) = 2;  // 0: the listener, 1: wake_fd_
  // The sum of the connections' `held` (limits_.max_buffered).
  size_t buffered_ GUARDED_BY(mutex_) = 0;
  std::vector<std::thread> workers_;
};

}  // namespace interstice::node
