// presence/lifecycle_event: the JSON the app receives — one item per kind (user, channel, resync),
// the field order and names, the id, hostile subject strings escaped, and the POST body.
#include "lib/presence/lifecycle_event.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace herald::presence {
namespace {

lifecycle_event item(std::string type, std::string subject, std::uint64_t seq) {
    lifecycle_event e;
    e.type = std::move(type);
    e.subject = std::move(subject);
    e.position = 17;
    e.node = "n1";
    e.node_seq = seq;
    e.at_ms = 1733500000000;
    return e;
}

TEST(LifecycleEventJson, UserItemHasExactlyTheDocumentedFieldsInOrder) {
    EXPECT_EQ(to_json(item("user.online", "42", 5)),
              R"({"id":"n1-5","type":"user.online","user":"42","position":17,"node":"n1","node_seq":5,"at":1733500000000})");
}

TEST(LifecycleEventJson, ChannelItemNamesTheChannelNotAUser) {
    auto j = nlohmann::json::parse(to_json(item("channel.vacated", "room:1", 9)));
    EXPECT_EQ(j["type"], "channel.vacated");
    EXPECT_EQ(j["channel"], "room:1");
    EXPECT_FALSE(j.contains("user"));
    EXPECT_FALSE(j.contains("reason"));
    EXPECT_EQ(j["id"], "n1-9");
}

TEST(LifecycleEventJson, ResyncHasReasonAndPositionAndNoSubject) {
    lifecycle_event e = item("resync", "", 3);
    e.reason = "queue_overflow";
    e.position = 99;
    auto j = nlohmann::json::parse(to_json(e));
    EXPECT_EQ(j["type"], "resync");
    EXPECT_EQ(j["reason"], "queue_overflow");
    EXPECT_EQ(j["position"], 99);
    EXPECT_EQ(j["node_seq"], 3);
    EXPECT_FALSE(j.contains("user"));
    EXPECT_FALSE(j.contains("channel"));
}

TEST(LifecycleEventJson, HostileSubjectsAreEscapedIntoValidJson) {
    const std::string nasty = std::string("a\"b\\c\n\x01</script>\xff\xfe", 19);
    auto j = nlohmann::json::parse(to_json(item("user.offline", nasty, 1)));  // throws if invalid
    const std::string user = j["user"];
    EXPECT_EQ(user.substr(0, 6), "a\"b\\c\n");
    EXPECT_NE(user.find("</script>"), std::string::npos);
}

TEST(LifecycleEventJson, BatchBodyKeepsOrder) {
    auto body = nlohmann::json::parse(batch_json({item("user.online", "a", 1), item("user.offline", "a", 2)}));
    ASSERT_EQ(body["events"].size(), 2u);
    EXPECT_EQ(body["events"][0]["id"], "n1-1");
    EXPECT_EQ(body["events"][1]["type"], "user.offline");
    EXPECT_EQ(batch_json({}), R"({"events":[]})");
}

}  // namespace
}  // namespace herald::presence
