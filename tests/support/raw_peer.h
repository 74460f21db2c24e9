// A peer connection driven by hand, byte by byte, for hostile tests: raw
// writes, raw frame reads, and the handshake done step by step, so a test can
// send what no well-behaved peer would (a relayed proof, a tampered or
// replayed encrypted frame, nothing at all).
#pragma once

#include <sys/socket.h>

#include <cerrno>

#include <asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/frame.h"
#include "net/frame_cipher.h"
#include "net/handshake.h"

namespace interstice::testing {

class RawPeer {
 public:
  // Connects to 127.0.0.1:port; reads time out after 5 s. `receive_buffer`
  // (bytes, 0 for the default) is set before connecting.
  explicit RawPeer(uint16_t port, int receive_buffer = 0) {
    socket_.open(asio::ip::tcp::v4());
    if (receive_buffer > 0)
      socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), error_);
    set_timeout(std::chrono::seconds(5));
  }
  bool connected() const { return !error_; }

  void set_timeout(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void write(const std::vector<uint8_t>& bytes) {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }

  // The next frame's payload, or nullopt if the connection ended or timed out.
  std::optional<std::vector<uint8_t>> read_payload() {
    std::vector<uint8_t> payload;
    std::string problem;
    uint8_t buffer[4096];
    for (;;) {
      auto status = reader_.next(&payload, &problem);
      if (status == net::FrameReader::Status::Ready) return payload;
      if (status == net::FrameReader::Status::Error) return std::nullopt;
      ssize_t n = receive_some(buffer, sizeof buffer);
      if (n <= 0) return std::nullopt;
      reader_.feed(std::span<const uint8_t>(buffer, static_cast<size_t>(n)));
    }
  }

  // The connecting side's handshake, as PeerClient does it.
  base::Result<void> handshake(const net::Identity& identity) {
    net::Handshake handshake(identity, net::Role::Connecting);
    write(net::encode_frame(net::Message{handshake.hello()}));
    auto hello_bytes = read_payload();
    if (!hello_bytes) return base::make_error("no Hello");
    auto hello = net::decode_hello(*hello_bytes);
    if (!hello) return hello.take_error();
    auto proof = handshake.on_hello(*hello);
    if (!proof) return proof.take_error();
    write(net::encode_frame(net::Message{*proof}));
    auto proof_bytes = read_payload();
    if (!proof_bytes) return base::make_error("no Proof");
    auto peer_proof = net::decode_proof(*proof_bytes);
    if (!peer_proof) return peer_proof.take_error();
    if (auto r = handshake.on_proof(*peer_proof); !r) return r;
    cipher_ = handshake.take_cipher();
    reader_.set_max_payload(net::kMaxFrame);
    return {};
  }
  net::FrameCipher& cipher() { return *cipher_; }
  // A whole encrypted frame carrying `message`.
  std::vector<uint8_t> seal(const net::Message& message) {
    std::vector<uint8_t> plaintext;
    net::append_message(plaintext, message);
    return cipher_->seal_frame(plaintext);
  }
  // The first message of the next encrypted frame, or nullopt.
  std::optional<net::Message> receive() {
    auto payload = read_payload();
    if (!payload) return std::nullopt;
    auto plaintext = cipher_->open(*payload);
    if (!plaintext) return std::nullopt;
    auto messages = net::split_messages(*plaintext);
    if (!messages) return std::nullopt;
    return std::move(messages->front());
  }

  // Whether the other side closes the connection within `timeout` (what it
  // sends meanwhile is read and dropped).
  bool closed_within(std::chrono::milliseconds timeout) {
    set_timeout(timeout);
    uint8_t buffer[4096];
    for (;;) {
      ssize_t n = receive_some(buffer, sizeof buffer);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      if (n < 0) return false;  // timed out
    }
  }

  void close() {
    asio::error_code ec;
    socket_.close(ec);
  }

 private:
  // recv itself: asio's read_some waits again, without end, when SO_RCVTIMEO
  // ends a receive.
  ssize_t receive_some(uint8_t* buffer, size_t size) {
    for (;;) {
      ssize_t n = ::recv(socket_.native_handle(), buffer, size, 0);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
  asio::error_code error_;
  net::FrameReader reader_{net::kMaxHandshakeFrame};
  std::unique_ptr<net::FrameCipher> cipher_;
};

}  // namespace interstice::testing
