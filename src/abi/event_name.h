// The events a subscription names (docs/sdk.md, "Subscriptions"), parsed
// once, when a module is checked or loaded, instead of split by hand where
// they are used:
//   init, load, input, render, peer.connect, peer.disconnect
//   MODULE.TABLE.OP        a table of this node (OP: insert, update, delete)
//   NODE.MODULE.TABLE.OP   a table of the node declared as NODE (INTERSTICE_NODE)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi/reflect.h"

namespace interstice::abi {

enum class TableOp : uint32_t { Insert, Update, Delete };
INTERSTICE_ENUM(TableOp, Insert, Update, Delete)

inline const char* to_string(TableOp op) {
  static constexpr const char* kNames[] = {"insert", "update", "delete"};
  return kNames[static_cast<int>(op)];
}

inline std::optional<TableOp> parse_table_op(std::string_view text) {
  if (text == "insert") return TableOp::Insert;
  if (text == "update") return TableOp::Update;
  if (text == "delete") return TableOp::Delete;
  return std::nullopt;
}

struct EventName {
  enum class Kind {
    Init,
    Input,
    Render,
    PeerConnect,
    PeerDisconnect,
    LocalTable,
    RemoteTable,
    Load
  };
  Kind kind = Kind::Init;
  std::string node;    // RemoteTable: the node's alias
  std::string module;  // LocalTable, RemoteTable
  std::string table;   // LocalTable, RemoteTable
  TableOp op = TableOp::Insert;

  bool is_table() const { return kind == Kind::LocalTable || kind == Kind::RemoteTable; }

  // The event `text` names, or nullopt if it names none (an empty part, an
  // unknown operation, or the wrong number of parts).
  static std::optional<EventName> parse(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, Kind>, 6> kFixed{{
        {"init", Kind::Init},
        {"load", Kind::Load},
        {"input", Kind::Input},
        {"render", Kind::Render},
        {"peer.connect", Kind::PeerConnect},
        {"peer.disconnect", Kind::PeerDisconnect},
    }};
    for (const auto& [name, kind] : kFixed)
      if (text == name) return EventName{kind, {}, {}, {}, TableOp::Insert};
    std::vector<std::string_view> parts;
    std::string_view rest = text;
    for (size_t dot; parts.size() < 4 && (dot = rest.find('.')) != std::string_view::npos;
         rest.remove_prefix(dot + 1))
      parts.push_back(rest.substr(0, dot));
    parts.push_back(rest);
    if (parts.size() != 3 && parts.size() != 4) return std::nullopt;
    for (std::string_view p : parts)
      if (p.empty()) return std::nullopt;
    std::optional<TableOp> op = parse_table_op(parts.back());
    if (!op) return std::nullopt;
    if (parts.size() == 3)
      return EventName{Kind::LocalTable, {}, std::string(parts[0]), std::string(parts[1]), *op};
    return EventName{Kind::RemoteTable, std::string(parts[0]), std::string(parts[1]),
                     std::string(parts[2]), *op};
  }

  // The text it was parsed from.
  std::string to_string() const {
    switch (kind) {
      case Kind::Init:
        return "init";
      case Kind::Load:
        return "load";
      case Kind::Input:
        return "input";
      case Kind::Render:
        return "render";
      case Kind::PeerConnect:
        return "peer.connect";
      case Kind::PeerDisconnect:
        return "peer.disconnect";
      case Kind::LocalTable:
        return module + "." + table + "." + abi::to_string(op);
      case Kind::RemoteTable:
        return node + "." + module + "." + table + "." + abi::to_string(op);
    }
    return "";
  }

  bool operator==(const EventName&) const = default;
};

}  // namespace interstice::abi
