// stream/subscribe_since: a WebSocket subscribe's since as a one-channel resume request — absent
// is live, offset 0 without epoch is earliest, an epoch pins the cursor, no epoch is any epoch.
#include "lib/stream/subscribe_since.hpp"

#include <gtest/gtest.h>

namespace herald::stream {
namespace {

TEST(SubscribeSince, AbsentIsLive) { EXPECT_EQ(subscribe_since("c", std::nullopt).mode, node::since_mode::live); }

TEST(SubscribeSince, OffsetZeroWithoutEpochIsEarliest) {
    EXPECT_EQ(subscribe_since("c", protocol::ws_since{std::nullopt, 0}).mode, node::since_mode::earliest);
}

TEST(SubscribeSince, AnEpochPinsTheCursor) {
    auto s = subscribe_since("news", protocol::ws_since{std::string("ab12"), 7});
    EXPECT_EQ(s.mode, node::since_mode::cursor);
    EXPECT_FALSE(s.any_epoch);
    EXPECT_EQ(s.cursor.offsets, (std::vector<std::uint64_t>{7}));
    EXPECT_EQ(s.cursor.names_fp, protocol::names_fingerprint({"news"}));
    EXPECT_EQ(s.cursor.epochs_fp, protocol::epochs_fingerprint({"ab12"}));
    // The same request as the cursor an SSE stream on that one channel would have sent.
    EXPECT_EQ(node::read_plan(s, {"news"}, {}).front().after, std::optional<std::uint64_t>(7));
}

TEST(SubscribeSince, NoEpochCountsInTheCurrentOne) {
    auto s = subscribe_since("news", protocol::ws_since{std::nullopt, 7});
    EXPECT_EQ(s.mode, node::since_mode::cursor);
    EXPECT_TRUE(s.any_epoch);
}

}  // namespace
}  // namespace herald::stream

namespace herald::stream {
namespace {
TEST(SubscribeSince, LatestIsTheLatestMode) {
    protocol::ws_since s;
    s.latest = true;
    EXPECT_EQ(subscribe_since("c", s).mode, node::since_mode::latest);
}
}  // namespace
}  // namespace herald::stream
