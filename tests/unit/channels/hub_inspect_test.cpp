// channels/hub, inspection: channels() lists channels with subscribers in name order with their
// counts (prefix, cursor, limit; a channel whose last subscriber left is gone), and
// local_subscribers() gives one shard's subscribers of a channel.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <memory>
#include <vector>

#include "lib/channels/hub.hpp"
#include "tests/support/fake_subscriber.hpp"
#include "tests/support/inline_executor.hpp"

namespace herald::channels {
namespace {

using test::fake_subscriber;
using test::inline_executor;
using listing = std::vector<std::pair<std::string, std::size_t>>;

TEST(HubInspect, ListsChannelsWithSubscribersInNameOrder) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber a(0), b(1), c(0);
    h.add(0, "prices", &a);
    h.add(1, "news", &b);
    h.add(0, "news", &c);
    h.add(0, "news.sport", &a);
    h.add(1, "user:42", &b);
    EXPECT_EQ(h.channels("", "", 10), (listing{{"news", 2}, {"news.sport", 1}, {"prices", 1}, {"user:42", 1}}));
    EXPECT_EQ(h.channels("news", "", 10), (listing{{"news", 2}, {"news.sport", 1}}));
    EXPECT_EQ(h.channels("", "news", 2), (listing{{"news.sport", 1}, {"prices", 1}}));
    EXPECT_EQ(h.channels("", "", 1), (listing{{"news", 2}}));
    EXPECT_EQ(h.channels("", "user:42", 10), listing{});
    EXPECT_EQ(h.channels("", "", 0), listing{});
    h.remove(0, "prices", &a);
    EXPECT_EQ(h.channels("p", "", 10), listing{});
}

TEST(HubInspect, LocalSubscribersArePerShard) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber a(0), b(1), c(0);
    h.add(0, "news", &a);
    h.add(1, "news", &b);
    h.add(0, "news", &c);
    EXPECT_EQ(h.local_subscribers(0, "news").size(), 2u);
    ASSERT_EQ(h.local_subscribers(1, "news").size(), 1u);
    EXPECT_EQ(h.local_subscribers(1, "news")[0], &b);
    EXPECT_TRUE(h.local_subscribers(0, "other").empty());
    h.remove(1, "news", &b);
    EXPECT_TRUE(h.local_subscribers(1, "news").empty());
}

}  // namespace
}  // namespace herald::channels

namespace herald::channels {
namespace {

TEST(HubBusiest, TheNChannelsWithTheMostSubscribersMostFirstTiesByName) {
    test::inline_executor exec(2);
    hub h(exec);
    std::vector<std::unique_ptr<test::fake_subscriber>> subs;
    auto add = [&](const std::string& channel, int n) {
        for (int i = 0; i < n; ++i) {
            subs.push_back(std::make_unique<test::fake_subscriber>(i % 2));
            h.add(static_cast<std::size_t>(i % 2), channel, subs.back().get());
        }
    };
    add("a", 1);
    add("b", 4);
    add("c", 2);
    add("d", 4);
    add("e", 3);
    using listing = std::vector<std::pair<std::string, std::size_t>>;
    EXPECT_EQ(h.busiest(3), (listing{{"b", 4}, {"d", 4}, {"e", 3}}));
    EXPECT_EQ(h.busiest(10).size(), 5u);
    EXPECT_EQ(h.busiest(0), listing{});
}

}  // namespace
}  // namespace herald::channels
