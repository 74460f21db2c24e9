// The JSON form of the client protocol's messages (client_messages.h,
// docs/client-protocol.md), for text frames: the same messages, with rows as
// JSON objects and a call's arguments as a JSON array.
//   {"type":"call","id":1,"module":"hello","reducer":"hello","args":["Alice"]}
//   {"type":"subscribe","id":2,"query":"SELECT * FROM greetings","resume_after":17}
//   {"type":"unsubscribe","id":3,"subscription":2}
// and back:
//   {"type":"call_result","id":1,"ok":true}  (or "ok":false,"error","code")
//   {"type":"subscribed","id":2,"ok":true,"module","table","offset":17,"rows":[{...}]}
//   {"type":"update","subscription":2,"offset":18,
//    "changes":[{"op":"insert"|"update"|"delete","row":{...},"old":{...}}]}
//   {"type":"unsubscribed","id":3,"subscription":2,"ok":true,"reason":""}
//   {"type":"goodbye","reason":"..."}
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "abi/schema.h"
#include "base/result.h"
#include "node/client_messages.h"

namespace interstice::node {

// InvalidArgument if `text` is not one of the messages above. A call's
// arguments stay JSON, in `call_args` (its CallMessage has none yet: the
// caller encodes them for the reducer, and answers a refusal as the call's).
base::Result<ClientMessage> client_message_from_json(std::string_view text,
                                                     nlohmann::ordered_json* call_args);

// The rows' type of a subscription: its row type's name and its module's types.
struct RowType {
  std::string name;
  std::vector<abi::TypeDef> types;
};
using FindRowType = std::function<const RowType*(uint64_t subscription_id)>;
std::string server_message_to_json(const ServerMessage& message, const FindRowType& find);

}  // namespace interstice::node
