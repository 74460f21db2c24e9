#include "net/peer_client.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "net/handshake.h"

namespace interstice::net {

base::Result<std::unique_ptr<PeerClient>> PeerClient::connect(const std::string& host,
                                                              uint16_t port,
                                                              const Identity& identity,
                                                              KnownPeers* known) {
  std::unique_ptr<PeerClient> client(new PeerClient());
  asio::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return base::make_error(fmt::format("'{}' is not an IP address", host));
  client->socket_.connect(asio::ip::tcp::endpoint(address, port), ec);
  if (ec)
    return base::make_error(fmt::format("cannot connect to {}:{}: {}", host, port, ec.message()));
  client->socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  client->set_receive_timeout(5);
  Handshake handshake(identity, Role::Connecting);
  if (auto r = client->write(encode_frame(Message{handshake.hello()})); !r) return r.take_error();
  auto hello_bytes = client->receive_payload();
  if (!hello_bytes) return hello_bytes.take_error();
  auto peer_hello = decode_hello(*hello_bytes);
  if (!peer_hello)
    return base::make_error("the peer did not start with Hello: " + peer_hello.error().message);
  auto proof = handshake.on_hello(*peer_hello);
  if (!proof) return proof.take_error();
  if (auto r = client->write(encode_frame(Message{*proof})); !r) return r.take_error();
  auto proof_bytes = client->receive_payload();
  if (!proof_bytes) return proof_bytes.take_error();
  auto peer_proof = decode_proof(*proof_bytes);
  if (!peer_proof)
    return base::make_error("the peer did not send its Proof: " + peer_proof.error().message);
  if (auto r = handshake.on_proof(*peer_proof); !r) return r.take_error();
  if (known)
    if (auto r = known->check(fmt::format("{}:{}", host, port), handshake.peer_id()); !r)
      return r.take_error();
  client->cipher_ = handshake.take_cipher();
  client->reader_.set_max_payload(kMaxFrame);
  client->peer_id_ = handshake.peer_id();
  return client;
}

void PeerClient::set_receive_timeout(int seconds) {
  timeval timeout{seconds, 0};
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

void PeerClient::shutdown() {
  ::shutdown(socket_.native_handle(), SHUT_RDWR);  // the descriptor stays valid
}

base::Result<void> PeerClient::write(const std::vector<uint8_t>& frame) {
  asio::error_code ec;
  asio::write(socket_, asio::buffer(frame), ec);
  if (ec) return base::make_error("sending to the peer failed: " + ec.message());
  return {};
}

base::Result<void> PeerClient::send(const Message& message) {
  return send(std::vector<Message>{message});
}

base::Result<void> PeerClient::send(const std::vector<Message>& messages) {
  base::MutexLock lock(send_mutex_);
  std::vector<uint8_t> frames, plaintext;
  for (const Message& message : messages) {
    std::vector<uint8_t> one;
    append_message(one, message);
    if (!plaintext.empty() && plaintext.size() + one.size() > kMaxMessage) {
      std::vector<uint8_t> frame = cipher_->seal_frame(plaintext);
      frames.insert(frames.end(), frame.begin(), frame.end());
      plaintext.clear();
    }
    plaintext.insert(plaintext.end(), one.begin(), one.end());
  }
  if (!plaintext.empty()) {
    std::vector<uint8_t> frame = cipher_->seal_frame(plaintext);
    frames.insert(frames.end(), frame.begin(), frame.end());
  }
  return write(frames);
}

base::Result<std::vector<uint8_t>> PeerClient::receive_payload() {
  std::vector<uint8_t> payload;
  std::string problem;
  std::array<uint8_t, 4096> buffer;
  for (;;) {
    auto status = reader_.next(&payload, &problem);
    if (status == FrameReader::Status::Ready) return payload;
    if (status == FrameReader::Status::Error) return base::make_error("the peer sent a " + problem);
    // recv itself, not asio's read_some: asio waits again, without end, when
    // SO_RCVTIMEO ends a receive, so the timeout would never apply.
    ssize_t n = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return base::make_error("the peer sent nothing for too long (timed out)");
    if (n < 0)
      return base::make_error(std::string("receiving from the peer failed: ") +
                              std::strerror(errno));
    if (n == 0) return base::make_error("the peer closed the connection");
    reader_.feed(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)));
  }
}

base::Result<Message> PeerClient::receive() {
  if (received_.empty()) {
    auto payload = receive_payload();
    if (!payload) return payload.take_error();
    auto plaintext = cipher_->open(*payload);
    if (!plaintext) return base::make_error("the peer sent " + plaintext.error().message);
    auto messages = split_messages(*plaintext);
    if (!messages) return base::make_error("the peer sent " + messages.error().message);
    received_.assign(std::make_move_iterator(messages->begin()),
                     std::make_move_iterator(messages->end()));
  }
  Message message = std::move(received_.front());
  received_.pop_front();
  return message;
}

base::Result<void> PeerClient::send_call(uint64_t call_id, const std::string& module,
                                         const std::string& reducer, std::vector<uint8_t> args) {
  return send(Message{CallRequest{call_id, module, reducer, abi::Bytes{std::move(args)}}});
}

base::Result<CallResult> PeerClient::receive_result() {
  auto reply = receive();
  if (!reply) return reply.take_error();
  const CallResult* result = std::get_if<CallResult>(&reply->value);
  if (!result) return base::make_error("the peer did not answer the call");
  return *result;
}

base::Result<CallResult> PeerClient::call(uint64_t call_id, const std::string& module,
                                          const std::string& reducer, std::vector<uint8_t> args) {
  if (auto r = send_call(call_id, module, reducer, std::move(args)); !r) return r.take_error();
  auto result = receive_result();
  if (result && result->call_id != call_id)
    return base::make_error("the peer answered another call");
  return result;
}

base::Result<uint64_t> PeerClient::ping(uint64_t nonce) {
  if (auto r = send(Message{Ping{nonce}}); !r) return r.take_error();
  auto reply = receive();
  if (!reply) return reply.take_error();
  const Pong* pong = std::get_if<Pong>(&reply->value);
  if (!pong) return base::make_error("the peer did not answer with Pong");
  return pong->nonce;
}

}  // namespace interstice::net
