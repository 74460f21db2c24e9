// libFuzzer target: a WebSocket client's messages (node/client_messages.h,
// node/client_json.h), as a binary frame (the first byte even) or a text
// frame (odd). A message that decodes encodes back to the same bytes
// (binary); a JSON one names a call, subscription or unsubscribe. Its seeds
// (fuzz/seeds/client_message_fuzzer) are messages written by hand.
#include <string_view>

#include "abi/serialize.h"
#include "fuzz/fuzz_support.h"
#include "node/client_json.h"
#include "node/client_messages.h"

using namespace interstice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto message = abi::from_bytes<node::ClientMessage>(rest);
    if (message && abi::to_bytes(*message) != std::vector<uint8_t>(rest.begin(), rest.end()))
      fuzz::finding("a client message that does not encode back to its bytes");
    return 0;
  }
  nlohmann::ordered_json args;
  auto message = node::client_message_from_json(
      std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()), &args);
  if (!message && message.error().message.empty()) fuzz::finding("a refusal without a message");
  if (message && std::holds_alternative<node::CallMessage>(message->value) && !args.is_array())
    fuzz::finding("a call whose arguments are not an array");
  return 0;
}
