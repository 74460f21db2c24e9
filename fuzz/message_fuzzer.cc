// libFuzzer target: the peer protocol's frames and messages (net/frame.h,
// net/messages.h), as a peer could send them before or after the handshake.
// The bytes are decoded as one Message and as the plaintext of an encrypted
// frame (several messages), then fed as a stream of frames in two pieces,
// each payload decoded as a plaintext. A decoded message must encode back to
// exactly its bytes (one value, one encoding); anything else the decoder may
// refuse, never crash on.
#include "fuzz/fuzz_support.h"
#include "net/frame.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  std::string why;
  if (auto message = abi::from_bytes<net::Message>(bytes, &why)) {
    if (abi::to_bytes(*message) != fuzz::to_vector(bytes))
      fuzz::finding("a decoded message encodes differently");
  } else if (why.empty()) {
    fuzz::finding("a refused message has no reason");
  }
  (void)net::split_messages(bytes);
  if (size == 0) return 0;
  net::FrameReader reader(data[0] % 2 ? net::kMaxFrame : net::kMaxHandshakeFrame);
  size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  for (auto piece : {bytes.first(cut), bytes.subspan(cut)}) {
    reader.feed(piece);
    std::vector<uint8_t> payload;
    std::string problem;
    net::FrameReader::Status status;
    while ((status = reader.next(&payload, &problem)) == net::FrameReader::Status::Ready)
      (void)net::split_messages(payload);
    if (status == net::FrameReader::Status::Error) break;
  }
  return 0;
}
