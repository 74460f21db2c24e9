// Trigger: what started a transaction, typed. The runtime carries it with
// every call it queues, and the log records it (storage::TxRecord), so no
// reader ever splits an event name again. Its text form (to_string, parse) is
// the event name of docs/sdk.md, "remote_result", "peer_call N", or empty for
// a plain call; older logs stored that text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "abi/event_name.h"
#include "abi/reflect.h"

namespace interstice::abi {

enum class TriggerKind : uint32_t {
  Call,            // a call from a client, the node or another module
  Init,            // the module's init hook
  LocalTable,      // a change of a table of this node (module, table, op)
  RemoteTable,     // a change of a table of a remote node (node, module, table, op)
  PeerConnect,     // peer.connect
  PeerDisconnect,  // peer.disconnect
  Input,           // input
  Render,          // render
  PeerCall,        // a call from a peer (call_id; the caller is its node id)
  RemoteResult,    // the outcome of a remote call, to its callback
  // Not transactions: the log's records of what changed the set of modules
  // (storage/lifecycle_record.h). They have no reducer and no effects.
  NodeStart,  // the node started with these modules
  Publish,    // a module was installed, or replaced by a new version
  Remove,     // a module was removed with its rows
  Load,       // the module's load hook (every load: start, install, new version)
  // A row of a scheduled table (module, table) came due; the row is the
  // argument. call_id is when it fires next (µs since the epoch), or 0 when
  // it fires no more: the firing transaction moves the row's time there or
  // deletes the row before the reducer runs (docs/sdk.md, "Schedules").
  Schedule,
};
INTERSTICE_ENUM(TriggerKind, Call, Init, LocalTable, RemoteTable, PeerConnect, PeerDisconnect,
                Input, Render, PeerCall, RemoteResult, NodeStart, Publish, Remove, Load, Schedule)

inline constexpr std::string_view kRemoteResultText = "remote_result";
inline constexpr std::string_view kNodeStartText = "node_start";
inline constexpr std::string_view kPublishText = "publish";
inline constexpr std::string_view kRemoveText = "remove";
inline constexpr std::string_view kSchedulePrefix = "schedule ";
inline constexpr std::string_view kPeerCallPrefix = "peer_call ";

// Where a remote table's change stands in the publishing node's log: its
// transaction's offset, and how many more changes of that transaction the
// subscription receives after this one; `initial` for the rows a fresh
// subscription starts with (all at the offset they were read at). A
// subscriber resumes from the last one its log holds (node/remote_links.h).
// offset 0: none.
struct RemotePosition {
  uint64_t offset = 0;
  uint32_t rest = 0;
  bool initial = false;
  INTERSTICE_TYPE(RemotePosition, offset, rest, initial)
  bool operator==(const RemotePosition&) const = default;
};

struct Trigger {
  TriggerKind kind = TriggerKind::Call;
  std::string node;              // RemoteTable: the node, as the subscriber names it
  std::string module;            // LocalTable, RemoteTable: the table's module
  std::string table;             // LocalTable, RemoteTable
  TableOp op = TableOp::Insert;  // LocalTable, RemoteTable
  uint64_t call_id = 0;          // PeerCall
  RemotePosition remote;         // RemoteTable, where the publisher says
  INTERSTICE_TYPE(Trigger, kind, node, module, table, op, call_id, remote)

  static Trigger peer_call(uint64_t id) {
    return Trigger{TriggerKind::PeerCall, {}, {}, {}, {}, id};
  }
  static Trigger remote_result() { return Trigger{TriggerKind::RemoteResult}; }
  // The delivery of an event to its subscriber.
  static Trigger of(const EventName& event) {
    switch (event.kind) {
      case EventName::Kind::Init:
        return Trigger{TriggerKind::Init};
      case EventName::Kind::Load:
        return Trigger{TriggerKind::Load};
      case EventName::Kind::Input:
        return Trigger{TriggerKind::Input};
      case EventName::Kind::Render:
        return Trigger{TriggerKind::Render};
      case EventName::Kind::PeerConnect:
        return Trigger{TriggerKind::PeerConnect};
      case EventName::Kind::PeerDisconnect:
        return Trigger{TriggerKind::PeerDisconnect};
      case EventName::Kind::LocalTable:
        return Trigger{TriggerKind::LocalTable, {}, event.module, event.table, event.op};
      case EventName::Kind::RemoteTable:
        return Trigger{TriggerKind::RemoteTable, event.node, event.module, event.table, event.op};
    }
    return Trigger{};
  }

  // From the text form; nullopt if it is none of its forms.
  static std::optional<Trigger> parse(std::string_view text) {
    if (text.empty()) return Trigger{};
    if (text == kRemoteResultText) return remote_result();
    if (text == kNodeStartText) return Trigger{TriggerKind::NodeStart};
    if (text == kPublishText) return Trigger{TriggerKind::Publish};
    if (text == kRemoveText) return Trigger{TriggerKind::Remove};
    if (text.starts_with(kPeerCallPrefix) && text.size() > kPeerCallPrefix.size()) {
      if (text.size() - kPeerCallPrefix.size() > 19) return std::nullopt;  // fits in 64 bits
      uint64_t id = 0;
      for (char c : text.substr(kPeerCallPrefix.size())) {
        if (c < '0' || c > '9') return std::nullopt;
        id = id * 10 + static_cast<uint64_t>(c - '0');
      }
      return peer_call(id);
    }
    std::optional<EventName> event = EventName::parse(text);
    if (!event) return std::nullopt;
    return of(*event);
  }

  // Whether it marks a change of the module set rather than a transaction.
  bool is_lifecycle() const {
    return kind == TriggerKind::NodeStart || kind == TriggerKind::Publish ||
           kind == TriggerKind::Remove;
  }

  // The text form (for people: `log` listings, messages).
  std::string to_string() const {
    auto event = [&](EventName::Kind k) {
      return EventName{k, node, module, table, op}.to_string();
    };
    switch (kind) {
      case TriggerKind::Call:
        return "";
      case TriggerKind::Init:
        return event(EventName::Kind::Init);
      case TriggerKind::Load:
        return event(EventName::Kind::Load);
      case TriggerKind::Schedule:  // "schedule game.ticks next 1700000000000000"
        return std::string(kSchedulePrefix) + module + "." + table + " next " +
               std::to_string(call_id);
      case TriggerKind::LocalTable:
        return event(EventName::Kind::LocalTable);
      case TriggerKind::RemoteTable:
        return event(EventName::Kind::RemoteTable);
      case TriggerKind::PeerConnect:
        return event(EventName::Kind::PeerConnect);
      case TriggerKind::PeerDisconnect:
        return event(EventName::Kind::PeerDisconnect);
      case TriggerKind::Input:
        return event(EventName::Kind::Input);
      case TriggerKind::Render:
        return event(EventName::Kind::Render);
      case TriggerKind::PeerCall:
        return std::string(kPeerCallPrefix) + std::to_string(call_id);
      case TriggerKind::RemoteResult:
        return std::string(kRemoteResultText);
      case TriggerKind::NodeStart:
        return std::string(kNodeStartText);
      case TriggerKind::Publish:
        return std::string(kPublishText);
      case TriggerKind::Remove:
        return std::string(kRemoveText);
    }
    return "";
  }

  // The bytes it holds beyond itself (for queue accounting).
  size_t heap_bytes() const { return node.size() + module.size() + table.size(); }
  bool operator==(const Trigger&) const = default;
};

}  // namespace interstice::abi
