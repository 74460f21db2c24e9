// libFuzzer target: a WebSocket client's messages (node/client_messages.h,
// node/client_json.h), as a binary frame (the first byte even: one or more
// messages) or a text frame (odd). The messages that decode encode back to
// the frame's bytes up to the first malformed one (binary); a JSON one names
// a call, subscription or unsubscribe. Its seeds
// (fuzz/seeds/client_message_fuzzer) are messages written by hand.
#include <algorithm>
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
    // As the node reads a frame: messages back to back, up to a malformed one.
    std::vector<uint8_t> again;
    std::string problem;
    bool ok = node::for_each_in_frame<node::ClientMessage>(rest, &problem,
                                                           [&](node::ClientMessage message) {
                                                             node::append_to_frame(again, message);
                                                             return true;
                                                           });
    if (!ok && problem.empty()) fuzz::finding("a malformed frame without a reason");
    if (again.size() > rest.size() || !std::equal(again.begin(), again.end(), rest.begin()))
      fuzz::finding("client messages that do not encode back to their bytes");
    if (ok && again.size() != rest.size()) fuzz::finding("a frame decoded without all its bytes");
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
