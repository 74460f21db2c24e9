#include "node/client_json.h"

#include "abi/type.h"
#include "node/json_codec.h"

namespace interstice::node {

using json = nlohmann::ordered_json;

namespace {

base::Error invalid(const std::string& message) {
  return base::make_error(message, base::ErrorCode::InvalidArgument);
}

// An unsigned integer field; nullopt if it is missing or not one.
std::optional<uint64_t> number(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

std::optional<std::string> text(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json row_json(const abi::Bytes& row, const RowType* type) {
  if (!type) return json();
  return bytes_to_json(row.data, abi::named(type->name), abi::TypeResolver(type->types));
}

}  // namespace

base::Result<ClientMessage> client_message_from_json(std::string_view text_form, json* call_args) {
  auto parsed = parse_client_json(text_form);
  if (!parsed) return invalid("the message is " + parsed.error().message);
  const json& m = *parsed;
  if (!m.is_object()) return invalid("a message is a JSON object with a \"type\"");
  std::string type = text(m, "type").value_or("");
  auto id = number(m, "id");
  if (!id) return invalid("a message needs an \"id\": a number of 0 or more");
  if (type == "call") {
    auto module = text(m, "module");
    auto reducer = text(m, "reducer");
    if (!module || !reducer) return invalid("a call needs \"module\" and \"reducer\"");
    json args = m.contains("args") ? m["args"] : json::array();
    if (!args.is_array()) return invalid("a call's \"args\" is a JSON array");
    *call_args = std::move(args);
    return ClientMessage(CallMessage{*id, *module, *reducer, {}});
  }
  if (type == "subscribe") {
    auto query = text(m, "query");
    if (!query) return invalid("a subscription needs a \"query\" (SQL)");
    std::optional<uint64_t> resume;
    if (m.contains("resume_after")) {
      resume = number(m, "resume_after");
      if (!resume) return invalid("\"resume_after\" is a log offset, a number");
    }
    return ClientMessage(SubscribeMessage{*id, *query, resume});
  }
  if (type == "unsubscribe") {
    auto subscription = number(m, "subscription");
    if (!subscription) return invalid("an unsubscribe needs a \"subscription\" id");
    return ClientMessage(UnsubscribeMessage{*id, *subscription});
  }
  return invalid("the message type must be \"call\", \"subscribe\" or \"unsubscribe\"");
}

std::string server_message_to_json(const ServerMessage& message, const FindRowType& find) {
  json out;
  if (const auto* r = std::get_if<CallResult>(&message.value)) {
    out = {{"type", "call_result"}, {"id", r->request_id}, {"ok", r->ok}};
    if (!r->ok) out["error"] = r->error, out["code"] = r->code;
  } else if (const auto* s = std::get_if<Subscribed>(&message.value)) {
    out = {{"type", "subscribed"}, {"id", s->request_id}, {"ok", s->ok}};
    if (!s->ok) {
      out["error"] = s->error;
      out["code"] = s->code;
    } else {
      const RowType* type = find(s->request_id);
      json rows = json::array();
      for (const abi::Bytes& row : s->rows) rows.push_back(row_json(row, type));
      out["module"] = s->module;
      out["table"] = s->table;
      out["offset"] = s->offset;
      out["rows"] = std::move(rows);
    }
  } else if (const auto* u = std::get_if<Update>(&message.value)) {
    const RowType* type = find(u->subscription_id);
    json changes = json::array();
    for (const RowChange& c : u->changes) {
      json change = {{"op", abi::to_string(c.op)}, {"row", row_json(c.row, type)}};
      if (c.old_row) change["old"] = row_json(*c.old_row, type);
      changes.push_back(std::move(change));
    }
    out = {{"type", "update"},
           {"subscription", u->subscription_id},
           {"offset", u->offset},
           {"changes", std::move(changes)}};
  } else if (const auto* x = std::get_if<Unsubscribed>(&message.value)) {
    out = {{"type", "unsubscribed"},
           {"id", x->request_id},
           {"subscription", x->subscription_id},
           {"ok", x->ok},
           {"reason", x->reason}};
  } else if (const auto* g = std::get_if<Goodbye>(&message.value)) {
    out = {{"type", "goodbye"}, {"reason", g->reason}};
  }
  return out.dump();
}

}  // namespace interstice::node
