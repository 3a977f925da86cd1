// Broker conformance: one suite run over every broker (memory; Redis on a real redis-server, skipped
// with the reason when none is installed): offsets per channel from 1, one epoch, what publish
// returns and hands to the handler (in order), read() contracts, history limits by count, bytes and
// age (manual clock), idempotency keys (repeat, per channel, empty, window), info/list_channels, and
// per-channel order under concurrent publishers.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "tests/support/manual_clock.hpp"
#include "tests/unit/broker/broker_conformance.hpp"

namespace herald::broker::conformance {
namespace {

using offs = std::vector<std::uint64_t>;
using names = std::vector<std::string>;

class BrokerConformance : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        factory_ = factory_for(GetParam());
        if (auto why = factory_->unavailable()) GTEST_SKIP() << *why;
    }
    void TearDown() override { broker_.reset(); }

    broker& make() {
        broker_ = factory_->make(clock, lim);
        if (!broker_) throw std::runtime_error("no broker");
        broker_->set_handler(&handler);
        return *broker_;
    }
    std::vector<std::string> list(const std::string& prefix, const std::string& after, std::size_t limit) {
        auto r = list_result(*broker_, prefix, after, limit);
        EXPECT_TRUE(r.ok());
        names out;
        if (r.ok())
            for (const auto& c : r.value()) out.push_back(c.channel);
        return out;
    }
    std::optional<channel_info> info(const std::string& channel) {
        auto r = info_result(*broker_, channel);
        EXPECT_TRUE(r.ok());
        return r.ok() ? r.value() : std::nullopt;
    }

    test::manual_clock clock;
    limits lim;
    recording_handler handler;
    std::unique_ptr<broker_factory> factory_;
    std::unique_ptr<broker> broker_;
};

TEST_P(BrokerConformance, OffsetsStartAtOnePerChannel) {
    auto& b = make();
    EXPECT_EQ(publish(b, request("a"))->offset, 1u);
    EXPECT_EQ(publish(b, request("a"))->offset, 2u);
    EXPECT_EQ(publish(b, request("b"))->offset, 1u);
    EXPECT_EQ(publish(b, request("a"))->offset, 3u);
    EXPECT_EQ(publish(b, request("b"))->offset, 2u);
}

TEST_P(BrokerConformance, OneEpochForResultsEventsAndReads) {
    auto& b = make();
    auto first = publish(b, request("a"));
    ASSERT_TRUE(first.ok());
    const std::string epoch = first->epoch;
    EXPECT_FALSE(epoch.empty());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(publish(b, request(i % 2 ? "a" : "b"))->epoch, epoch);
    for (const auto& ev : handler.wait_for(6)) EXPECT_EQ(ev->epoch, epoch);
    EXPECT_EQ(read(b, "a", std::nullopt).epoch, epoch);
    EXPECT_EQ(read(b, "never", std::nullopt).epoch, epoch) << "an unknown channel reads in the current epoch";
    EXPECT_EQ(info("b")->epoch, epoch);
}

TEST_P(BrokerConformance, ANewBrokerStateHasANewEpoch) {
    auto& b = make();
    const auto epoch = publish(b, request("a"))->epoch;
    auto other = factory_->make(clock, lim);  // memory: another broker; Redis: another key space
    ASSERT_TRUE(other);
    EXPECT_NE(publish(*other, request("a"))->epoch, epoch);
}

TEST_P(BrokerConformance, PublishResultAndEventCarryTheRequest) {
    auto& b = make();
    auto req = request("news", R"({"n":1,"s":"é\n\"q\""})");
    req.kind = model::data_kind::json;
    req.name = "tick";
    auto r = publish(b, req);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->channel, "news");
    EXPECT_EQ(r->offset, 1u);
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(r->delivered_local, 0u);
    auto evs = handler.wait_for(1);
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(evs[0]->channel, "news");
    EXPECT_EQ(evs[0]->offset, 1u);
    EXPECT_EQ(evs[0]->epoch, r->epoch);
    EXPECT_EQ(evs[0]->name, "tick");
    EXPECT_EQ(evs[0]->data, R"({"n":1,"s":"é\n\"q\""})");
    EXPECT_EQ(evs[0]->kind, model::data_kind::json);
    EXPECT_EQ(evs[0]->published_at, clock.now_ms());
    auto text = request("news", "line 1\nline 2 \"quoted\" \\ tab\t");
    ASSERT_TRUE(publish(b, text).ok());
    auto h = read(b, "news", 1);
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0]->data, text.data);
    EXPECT_EQ(h.events[0]->kind, model::data_kind::text);
    EXPECT_EQ(h.events[0]->name, "");
}

TEST_P(BrokerConformance, HandsEveryEventToTheHandlerInOrder) {
    auto& b = make();
    for (int i = 0; i < 10; ++i) publish(b, request(i % 3 ? "a" : "b", std::to_string(i)));
    auto evs = handler.wait_for(10);
    ASSERT_EQ(evs.size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(evs[i]->data, std::to_string(i));
    EXPECT_EQ(handler.gaps(), 0u);
}

TEST_P(BrokerConformance, EventIsReadableOnceTheHandlerHasIt) {
    auto& b = make();
    ASSERT_TRUE(publish(b, request("a")).ok());
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{1}));  // once publish answered
    handler.wait_for(1);
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{1}));
}

TEST_P(BrokerConformance, ReadsPositionOnlyWithoutAfter) {
    auto& b = make();
    for (int i = 0; i < 3; ++i) publish(b, request("a"));
    auto h = read(b, "a", std::nullopt);
    EXPECT_EQ(h.channel, "a");
    EXPECT_EQ(h.last_offset, 3u);
    EXPECT_EQ(h.first_available, 1u);
    EXPECT_TRUE(h.events.empty());
}

TEST_P(BrokerConformance, ReadsAnUnknownChannelAsEmpty) {
    auto& b = make();
    auto h = read(b, "never", 0);
    EXPECT_EQ(h.channel, "never");
    EXPECT_EQ(h.last_offset, 0u);
    EXPECT_EQ(h.first_available, 1u);
    EXPECT_TRUE(h.events.empty());
    EXPECT_FALSE(info("never").has_value()) << "reading must not create the channel";
    EXPECT_EQ(list("", "", 10), names{});
}

TEST_P(BrokerConformance, ReadsAfterAnOffsetWithALimit) {
    auto& b = make();
    for (int i = 0; i < 6; ++i) publish(b, request("a", std::to_string(i + 1)));
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(offsets(read(b, "a", 4).events), (offs{5, 6}));
    EXPECT_TRUE(read(b, "a", 6).events.empty());
    EXPECT_TRUE(read(b, "a", 60).events.empty());
    EXPECT_TRUE(read(b, "a", 0, 0).events.empty());
    auto limited = read(b, "a", 1, 2);
    EXPECT_EQ(offsets(limited.events), (offs{2, 3}));
    EXPECT_EQ(limited.last_offset, 6u);
    EXPECT_EQ(read(b, "a", 2).events.front()->data, "3");
    EXPECT_EQ(offsets(read(b, "a", 0, static_cast<std::size_t>(-1)).events).size(), 6u);
}

TEST_P(BrokerConformance, KeepsHistorySizeEventsPerChannel) {
    lim.history_size = 3;
    auto& b = make();
    for (int i = 0; i < 5; ++i) publish(b, request("a"));
    publish(b, request("b"));
    auto h = read(b, "a", 0);
    EXPECT_EQ(offsets(h.events), (offs{3, 4, 5}));
    EXPECT_EQ(h.first_available, 3u);
    EXPECT_EQ(h.last_offset, 5u);
    EXPECT_EQ(offsets(read(b, "a", 3, 1).events), (offs{4}));
    EXPECT_EQ(offsets(read(b, "b", 0).events), (offs{1}));
}

TEST_P(BrokerConformance, KeepsHistoryWithinTheByteBound) {
    lim.history_max_bytes = 1000;  // each event costs its data + 64 bytes
    auto& b = make();
    for (int i = 0; i < 5; ++i) publish(b, request("a", std::string(200, 'x')));  // 264 each: 3 fit
    for (int i = 0; i < 40; ++i) publish(b, request("empty", ""));                // 64 each: 15 fit
    auto h = read(b, "a", 0);
    EXPECT_EQ(offsets(h.events), (offs{3, 4, 5}));
    EXPECT_EQ(h.first_available, 3u);
    EXPECT_EQ(h.last_offset, 5u);
    auto e = read(b, "empty", 0);
    EXPECT_EQ(e.events.size(), 15u) << "zero-byte events count too";
    EXPECT_EQ(e.first_available, 26u);
    publish(b, request("a", std::string(700, 'y')));  // 764: with one more of 264 it would be over
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{6}));
    EXPECT_EQ(info("a")->history_size, 1u);
}

TEST_P(BrokerConformance, ZeroHistoryKeepsOnlyPositions) {
    lim.history_size = 0;
    auto& b = make();
    for (int i = 0; i < 4; ++i) publish(b, request("a"));
    auto h = read(b, "a", 0);
    EXPECT_TRUE(h.events.empty());
    EXPECT_EQ(h.last_offset, 4u);
    EXPECT_EQ(h.first_available, 5u);
    EXPECT_EQ(handler.wait_for(4).size(), 4u);  // still delivered live
}

TEST_P(BrokerConformance, DropsHistoryOlderThanTheTtl) {
    lim.history_ttl_ms = 1000;
    auto& b = make();
    publish(b, request("a"));  // t0
    publish(b, request("a"));  // t0
    clock.advance(600);
    publish(b, request("a"));  // t0 + 600
    clock.advance(399);
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{1, 2, 3}));
    clock.advance(1);  // t0 + 1000: the first two are exactly the TTL old
    auto h = read(b, "a", 0);
    EXPECT_EQ(offsets(h.events), (offs{3}));
    EXPECT_EQ(h.first_available, 3u);
    clock.advance(600);
    h = read(b, "a", 0);
    EXPECT_TRUE(h.events.empty());
    EXPECT_EQ(h.last_offset, 3u);
    EXPECT_EQ(h.first_available, 4u);
    EXPECT_EQ(publish(b, request("a"))->offset, 4u);  // offsets go on after expiry
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{4}));
}

TEST_P(BrokerConformance, IdempotencyKeyReturnsTheSameResultAndPublishesOnce) {
    auto& b = make();
    auto first = publish(b, request("a", "one", "k1"));
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE(first->duplicate);
    auto again = publish(b, request("a", "changed", "k1"));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->offset, first->offset);
    EXPECT_EQ(again->epoch, first->epoch);
    EXPECT_EQ(again->channel, "a");
    auto h = read(b, "a", 0);
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0]->data, "one");
    EXPECT_EQ(h.last_offset, 1u);
    EXPECT_EQ(publish(b, request("a", "next"))->offset, 2u);
    auto evs = handler.wait_for(2);
    EXPECT_EQ(offsets(evs), (offs{1, 2})) << "the repeat must not reach the handler";
}

TEST_P(BrokerConformance, IdempotencyKeysArePerChannel) {
    auto& b = make();
    publish(b, request("a", "x", "k"));
    publish(b, request("a:1", "x", "k"));
    auto other = publish(b, request("b", "x", "k"));
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->duplicate);
    EXPECT_EQ(handler.wait_for(3).size(), 3u);
}

TEST_P(BrokerConformance, EmptyKeyIsNoKey) {
    auto& b = make();
    publish(b, request("a", "x", ""));
    auto r = publish(b, request("a", "x", ""));
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(r->offset, 2u);
}

TEST_P(BrokerConformance, IdempotencyKeyExpiresAfterTheWindow) {
    lim.idempotency_window_ms = 1000;
    auto& b = make();
    publish(b, request("a", "x", "k"));
    clock.advance(999);
    EXPECT_TRUE(publish(b, request("a", "x", "k"))->duplicate);
    clock.advance(1);
    auto late = publish(b, request("a", "x", "k"));
    EXPECT_FALSE(late->duplicate);
    EXPECT_EQ(late->offset, 2u);
    clock.advance(500);  // the new publish started a new window for the key
    auto again = publish(b, request("a", "x", "k"));
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->offset, 2u);
}

TEST_P(BrokerConformance, ConcurrentRetriesWithOneKeyPublishOnce) {
    auto& b = make();
    constexpr int threads = 8;
    std::vector<std::thread> pool;
    std::vector<model::publish_result> results(threads);
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            auto r = publish(b, request("a", "x", "same-key"));
            if (r.ok()) results[t] = r.value();
        });
    for (auto& th : pool) th.join();
    int originals = 0;
    for (const auto& r : results) {
        EXPECT_EQ(r.offset, 1u);
        if (!r.duplicate) ++originals;
    }
    EXPECT_EQ(originals, 1);
    EXPECT_EQ(read(b, "a", std::nullopt).last_offset, 1u);
}

TEST_P(BrokerConformance, InfoShowsPositionHistoryPublishesAndLastPublishTime) {
    lim.history_size = 3;
    lim.history_ttl_ms = 10'000;
    auto& b = make();
    EXPECT_FALSE(info("news").has_value());
    clock.set(1'000'000);
    std::string epoch;
    for (int i = 0; i < 5; ++i) {
        epoch = publish(b, request("news"))->epoch;
        clock.advance(100);
    }
    publish(b, request("news", "x", "k1"));
    publish(b, request("news", "x", "k1"));  // a repeat: not counted
    auto i = info("news");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->channel, "news");
    EXPECT_EQ(i->epoch, epoch);
    EXPECT_EQ(i->last_offset, 6u);
    EXPECT_EQ(i->first_available, 4u);
    EXPECT_EQ(i->history_size, 3u);
    EXPECT_EQ(i->publishes, 6u);
    EXPECT_EQ(i->last_published_at, 1'000'500);
}

TEST_P(BrokerConformance, InfoEvictsExpiredHistoryButKeepsThePosition) {
    lim.history_ttl_ms = 1'000;
    auto& b = make();
    clock.set(50'000);
    publish(b, request("news"));
    publish(b, request("news"));
    clock.advance(5'000);
    auto i = info("news");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->history_size, 0u);
    EXPECT_EQ(i->last_offset, 2u);
    EXPECT_EQ(i->first_available, 3u);
    EXPECT_EQ(i->last_published_at, 50'000);
}

TEST_P(BrokerConformance, ListsInNameOrderWithPrefixCursorAndLimit) {
    auto& b = make();
    for (const auto* c : {"news.b", "prices", "news.a", "news", "user:2", "user:10", "newsletter"})
        publish(b, request(c));
    EXPECT_EQ(list("", "", 100), (names{"news", "news.a", "news.b", "newsletter", "prices", "user:10", "user:2"}));
    EXPECT_EQ(list("news.", "", 100), (names{"news.a", "news.b"}));
    EXPECT_EQ(list("user:", "", 100), (names{"user:10", "user:2"}));
    EXPECT_EQ(list("", "", 3), (names{"news", "news.a", "news.b"}));
    EXPECT_EQ(list("", "news.b", 3), (names{"newsletter", "prices", "user:10"}));
    EXPECT_EQ(list("", "user:2", 3), names{});
    EXPECT_EQ(list("news", "news", 100), (names{"news.a", "news.b", "newsletter"}));
    EXPECT_EQ(list("news.", "a", 100), (names{"news.a", "news.b"}));
    EXPECT_EQ(list("news.", "zzz", 100), names{});
    EXPECT_EQ(list("nothing", "", 100), names{});
    EXPECT_EQ(list("", "", 0), names{});
    auto r = list_result(b, "", "", 10);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 7u);
    EXPECT_EQ(r->at(0).last_offset, 1u);
    EXPECT_EQ(r->at(0).publishes, 1u);
    EXPECT_EQ(r->at(0).history_size, 1u);
}

TEST_P(BrokerConformance, PagingVisitsEveryChannelOnceInOrder) {
    auto& b = make();
    std::vector<std::string> all;
    for (int i = 0; i < 60; ++i) {
        all.push_back("ch." + std::to_string(i * 7919 % 100));
        publish(b, request(all.back()));
    }
    publish(b, request("other"));
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    std::vector<std::string> seen;
    std::string cursor;
    for (int pages = 0; pages < 100; ++pages) {
        auto page = list("ch.", cursor, 7);
        if (page.empty()) break;
        EXPECT_LE(page.size(), 7u);
        seen.insert(seen.end(), page.begin(), page.end());
        cursor = page.back();
    }
    EXPECT_EQ(seen, all);
}

TEST_P(BrokerConformance, ConcurrentPublishersKeepPerChannelOrder) {
    auto& b = make();
    constexpr int threads = 4, per_thread = 150;
    std::vector<std::thread> pool;
    std::vector<std::vector<std::uint64_t>> got(threads);
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto shared = publish(b, request("shared"));
                auto own = publish(b, request("own" + std::to_string(t)));
                if (shared.ok()) got[t].push_back(shared->offset);
                EXPECT_TRUE(own.ok() && own->offset == static_cast<std::uint64_t>(i + 1)) << "thread " << t;
            }
        });
    for (auto& th : pool) th.join();
    std::vector<std::uint64_t> all;
    for (const auto& g : got) {
        for (std::size_t i = 1; i < g.size(); ++i) EXPECT_LT(g[i - 1], g[i]);
        all.insert(all.end(), g.begin(), g.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 1; i <= threads * per_thread; ++i) expected.push_back(i);
    EXPECT_EQ(all, expected);
    EXPECT_EQ(handler.wait_for(2u * threads * per_thread).size(), 2u * threads * per_thread);
    EXPECT_EQ(handler.gaps(), 0u) << "on_event saw a channel's events out of order";
}

INSTANTIATE_TEST_SUITE_P(Brokers, BrokerConformance, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace herald::broker::conformance
