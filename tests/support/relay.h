// A node in the middle, M, that tries to relay C's handshake to S: when C
// connects to M, M opens its own connection to S, shows C its own key with
// S's challenge, and passes C's Hello and Proof on to S. Under protocol 1
// (C signed S's challenge and its own key, nothing else) S authenticated M's
// connection as C.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <thread>

#include "net/handshake.h"
#include "net/peer_client.h"
#include "support/raw_peer.h"

namespace interstice::testing {

struct RelayOutcome {
  bool c_connected = false;  // C's handshake with M finished (it must not: M has no proof)
  bool s_hung_up = false;    // S closed M's connection within 3 s
};

inline RelayOutcome relay_handshake(uint16_t s_port, const net::Identity& c,
                                    const net::Identity& m) {
  asio::io_context io;
  asio::ip::tcp::acceptor listener(io, {asio::ip::make_address("127.0.0.1"), 0});
  RelayOutcome outcome;
  std::thread relay([&] {
    RawPeer to_s(s_port);
    auto s_hello = to_s.read_payload();
    asio::ip::tcp::socket from_c = listener.accept();
    net::FrameReader reader;
    auto read_from_c = [&]() -> std::vector<uint8_t> {
      std::vector<uint8_t> payload;
      std::string problem;
      uint8_t buffer[4096];
      while (reader.next(&payload, &problem) == net::FrameReader::Status::NeedMore) {
        asio::error_code ec;
        size_t n = from_c.read_some(asio::buffer(buffer), ec);
        if (ec) return {};
        reader.feed(std::span<const uint8_t>(buffer, n));
      }
      return payload;
    };
    std::vector<uint8_t> c_hello = read_from_c();
    net::Hello to_c = net::Handshake(m, net::Role::Accepting).hello();
    if (s_hello)
      if (auto decoded = net::decode_hello(*s_hello)) to_c.challenge = decoded->challenge;
    asio::error_code ec;
    asio::write(from_c, asio::buffer(net::encode_frame(net::Message{to_c})), ec);
    std::vector<uint8_t> c_proof = read_from_c();
    to_s.write(net::frame_of(c_hello));
    to_s.write(net::frame_of(c_proof));
    outcome.s_hung_up = to_s.closed_within(std::chrono::seconds(3));
    from_c.close(ec);
  });
  auto client = net::PeerClient::connect("127.0.0.1", listener.local_endpoint().port(), c, nullptr);
  relay.join();
  outcome.c_connected = client.ok();
  return outcome;
}

}  // namespace interstice::testing
