// protocol/stream_messages: the members of reset, auth_expiring, disconnect, subscribed and
// unsubscribed messages are valid JSON, quote what needs quoting, and read back as written.
#include "lib/protocol/stream_messages.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace herald::protocol {
namespace {

nlohmann::json read(const std::string& members) { return nlohmann::json::parse(json_object(members)); }

TEST(StreamMessages, Reset) {
    auto j = read(reset_members("ch\"1", "epoch_changed", "e2", 41));
    EXPECT_EQ(j["channel"], "ch\"1");
    EXPECT_EQ(j["reason"], "epoch_changed");
    EXPECT_EQ(j["epoch"], "e2");
    EXPECT_EQ(j["offset"], 41);
}

TEST(StreamMessages, ExpiringCountsExpInSeconds) {
    auto j = read(expiring_members(1'700'000'123'456, 2500));
    EXPECT_EQ(j["exp"], 1'700'000'123);
    EXPECT_EQ(j["expires_in_ms"], 2500);
}

TEST(StreamMessages, DisconnectWithAndWithoutCursor) {
    auto j = read(disconnect_members(model::disconnects::slow_consumer, "abc.1"));
    EXPECT_EQ(j["code"], 4001);
    EXPECT_EQ(j["name"], "slow_consumer");
    EXPECT_EQ(j["reconnect"], true);
    EXPECT_EQ(j["cursor"], "abc.1");
    EXPECT_TRUE(read(disconnect_members(model::disconnects::forbidden, ""))["cursor"].is_null());
}

TEST(StreamMessages, SubscribedAndUnsubscribed) {
    auto j = read(subscribed_members("news", "e1", 5, true));
    EXPECT_EQ(j["channel"], "news");
    EXPECT_EQ(j["offset"], 5);
    EXPECT_EQ(j["recovered"], true);
    EXPECT_FALSE(read(unsubscribed_members("news", "")).contains("reason"));
    EXPECT_EQ(read(unsubscribed_members("news", "forbidden"))["reason"], "forbidden");
    EXPECT_EQ(more_members("\"a\":1"), ",\"a\":1");
    EXPECT_EQ(read(refreshed_members(1'700'000'000'999))["exp"], 1'700'000'000);
    EXPECT_EQ(refreshed_members(std::nullopt), "");
}

}  // namespace
}  // namespace herald::protocol
