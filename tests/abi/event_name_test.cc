// Event names: every kind parses into its parts and prints back the same;
// anything else is no event.
#include "abi/event_name.h"

#include <gtest/gtest.h>

namespace interstice::abi {
namespace {

using Kind = EventName::Kind;

TEST(EventName, EachKindParsesAndPrintsBack) {
  for (const char* text :
       {"init", "input", "render", "peer.connect", "peer.disconnect", "hello.greetings.insert",
        "hello.greetings.update", "hello.greetings.delete", "Other.hello.greetings.insert"}) {
    auto event = EventName::parse(text);
    ASSERT_TRUE(event) << text;
    EXPECT_EQ(event->to_string(), text);
  }
  EXPECT_EQ(EventName::parse("init")->kind, Kind::Init);
  EXPECT_EQ(EventName::parse("peer.disconnect")->kind, Kind::PeerDisconnect);
  auto local = *EventName::parse("hello.greetings.update");
  EXPECT_EQ(local, (EventName{Kind::LocalTable, "", "hello", "greetings", TableOp::Update}));
  EXPECT_TRUE(local.is_table());
  auto remote = *EventName::parse("Other.hello.greetings.delete");
  EXPECT_EQ(remote, (EventName{Kind::RemoteTable, "Other", "hello", "greetings", TableOp::Delete}));
}

TEST(EventName, AnythingElseIsNoEvent) {
  for (const char* text :
       {"", "start", "peer", "peer.connected", "hello.greetings", "hello.greetings.upsert",
        ".greetings.insert", "hello..insert", "hello.greetings.", "a.b.c.d.insert",
        "N.hello.greetings.insert.x", "Init", "hello.greetings.INSERT"})
    EXPECT_FALSE(EventName::parse(text)) << text;
}

}  // namespace
}  // namespace interstice::abi
