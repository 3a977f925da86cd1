// broker/memory_broker, inspection: info() for a held and an unknown channel (position, history
// size after count and age eviction, publish count without idempotent repeats, last publish
// time), and list_channels() in name order with prefixes, cursors and limits over an unordered
// map, including paging through every channel exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/broker/memory_broker.hpp"
#include "tests/support/manual_clock.hpp"

namespace herald::broker {
namespace {

model::publish_request request(std::string channel, std::string key = "") {
    model::publish_request r;
    r.channel = std::move(channel);
    r.data = "x";
    r.kind = model::data_kind::text;
    r.idempotency_key = std::move(key);
    return r;
}

struct MemoryBrokerInspectTest : ::testing::Test {
    test::manual_clock clock;
    memory_broker_options opts;
    std::unique_ptr<memory_broker> broker;

    memory_broker& make() {
        broker = std::make_unique<memory_broker>(clock, opts);
        return *broker;
    }
    void publish(const std::string& channel, const std::string& key = "") {
        bool called = false;
        broker->publish(request(channel, key), [&](model::result<model::publish_result> r) {
            called = true;
            EXPECT_TRUE(r.ok());
        });
        EXPECT_TRUE(called);
    }
    std::optional<channel_info> info(const std::string& channel) {
        std::optional<model::result<std::optional<channel_info>>> out;
        broker->info(channel, [&](model::result<std::optional<channel_info>> r) { out.emplace(std::move(r)); });
        EXPECT_TRUE(out && out->ok()) << "info did not call back inline with a value";
        return out && out->ok() ? out->value() : std::nullopt;
    }
    std::vector<std::string> list(const std::string& prefix, const std::string& after, std::size_t limit) {
        std::optional<model::result<std::vector<channel_info>>> out;
        broker->list_channels(prefix, after, limit,
                              [&](model::result<std::vector<channel_info>> r) { out.emplace(std::move(r)); });
        EXPECT_TRUE(out && out->ok()) << "list_channels did not call back inline with a value";
        std::vector<std::string> names;
        if (out && out->ok())
            for (const auto& c : out->value()) names.push_back(c.channel);
        return names;
    }
};

using names = std::vector<std::string>;

TEST_F(MemoryBrokerInspectTest, InfoOfAnUnknownChannelIsNone) {
    make();
    EXPECT_FALSE(info("never").has_value());
    EXPECT_EQ(list("", "", 10), names{});
}

TEST_F(MemoryBrokerInspectTest, InfoShowsPositionHistoryPublishesAndLastPublishTime) {
    opts.history_size = 3;
    opts.history_ttl_ms = 10'000;
    auto& b = make();
    clock.set(1'000'000);
    for (int i = 0; i < 5; ++i) {
        publish("news");
        clock.advance(100);
    }
    auto i = info("news");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->channel, "news");
    EXPECT_EQ(i->epoch, b.epoch());
    EXPECT_EQ(i->last_offset, 5u);
    EXPECT_EQ(i->first_available, 3u);  // a ring of 3 holds offsets 3..5
    EXPECT_EQ(i->history_size, 3u);
    EXPECT_EQ(i->publishes, 5u);
    EXPECT_EQ(i->last_published_at, 1'000'400);
}

TEST_F(MemoryBrokerInspectTest, IdempotentRepeatsAreNotCountedAsPublishes) {
    make();
    publish("news", "k1");
    publish("news", "k1");
    publish("news", "k2");
    EXPECT_EQ(info("news")->publishes, 2u);
}

TEST_F(MemoryBrokerInspectTest, InfoEvictsExpiredHistoryButKeepsThePosition) {
    opts.history_ttl_ms = 1'000;
    make();
    clock.set(50'000);
    publish("news");
    publish("news");
    clock.advance(5'000);
    auto i = info("news");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->history_size, 0u);
    EXPECT_EQ(i->last_offset, 2u);
    EXPECT_EQ(i->first_available, 3u);  // last_offset + 1: nothing held
    EXPECT_EQ(i->last_published_at, 50'000);
}

TEST_F(MemoryBrokerInspectTest, ListsInNameOrderWithPrefixCursorAndLimit) {
    make();
    for (const auto* c : {"news.b", "prices", "news.a", "news", "user:2", "user:10", "newsletter"}) publish(c);
    EXPECT_EQ(list("", "", 100), (names{"news", "news.a", "news.b", "newsletter", "prices", "user:10", "user:2"}));
    EXPECT_EQ(list("news.", "", 100), (names{"news.a", "news.b"}));
    EXPECT_EQ(list("user:", "", 100), (names{"user:10", "user:2"}));
    EXPECT_EQ(list("", "", 3), (names{"news", "news.a", "news.b"}));
    EXPECT_EQ(list("", "news.b", 3), (names{"newsletter", "prices", "user:10"}));
    EXPECT_EQ(list("", "user:2", 3), names{});
    EXPECT_EQ(list("news", "news", 100), (names{"news.a", "news.b", "newsletter"}));  // strictly after the cursor
    EXPECT_EQ(list("nothing", "", 100), names{});
    EXPECT_EQ(list("", "", 0), names{});
}

TEST_F(MemoryBrokerInspectTest, ListedEntriesCarryTheirInfo) {
    make();
    publish("a");
    publish("b");
    publish("b");
    std::optional<model::result<std::vector<channel_info>>> out;
    broker->list_channels("", "", 10, [&](model::result<std::vector<channel_info>> r) { out.emplace(std::move(r)); });
    ASSERT_TRUE(out && out->ok());
    ASSERT_EQ(out->value().size(), 2u);
    EXPECT_EQ(out->value()[0].last_offset, 1u);
    EXPECT_EQ(out->value()[1].channel, "b");
    EXPECT_EQ(out->value()[1].last_offset, 2u);
    EXPECT_EQ(out->value()[1].history_size, 2u);
    EXPECT_EQ(out->value()[1].publishes, 2u);
}

TEST_F(MemoryBrokerInspectTest, PagingVisitsEveryChannelOnceInOrder) {
    make();
    std::vector<std::string> all;
    for (int i = 0; i < 257; ++i) {
        all.push_back("ch." + std::to_string(i * 7919 % 1000));
        publish(all.back());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    std::vector<std::string> seen;
    std::string cursor;
    for (int pages = 0; pages < 100; ++pages) {
        auto page = list("ch.", cursor, 10);
        if (page.empty()) break;
        EXPECT_LE(page.size(), 10u);
        seen.insert(seen.end(), page.begin(), page.end());
        cursor = page.back();
    }
    EXPECT_EQ(seen, all);
}

}  // namespace
}  // namespace herald::broker
