// broker/memory_broker: offsets per channel from 1, one stable epoch, history limits by count and
// age (manual clock), reads after an offset, idempotency keys (same result, nothing published
// twice, the window expiring, the per-channel cap), the channel cap, on_event order under
// concurrent publishers, and stats.
#include "lib/broker/memory_broker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/manual_clock.hpp"

namespace herald::broker {
namespace {

class recording_handler final : public broker_handler {
public:
    void on_event(const model::event_ptr& ev) override {
        std::lock_guard lock(mutex_);
        auto& last = last_[ev->channel];
        if (ev->offset != last + 1) ++gaps_;
        last = ev->offset;
        events_.push_back(ev);
    }
    std::vector<model::event_ptr> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t gaps() const {
        std::lock_guard lock(mutex_);
        return gaps_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<model::event_ptr> events_;
    std::map<std::string, std::uint64_t> last_;
    std::size_t gaps_ = 0;  // an event whose offset did not follow the channel's previous one
};

model::publish_request request(std::string channel, std::string data = "x", std::string key = "") {
    model::publish_request r;
    r.channel = std::move(channel);
    r.data = std::move(data);
    r.kind = model::data_kind::text;
    r.idempotency_key = std::move(key);
    return r;
}

// The memory broker calls back inline, so results can be read right away.
model::result<model::publish_result> publish(memory_broker& b, model::publish_request req) {
    std::optional<model::result<model::publish_result>> out;
    b.publish(std::move(req), [&](model::result<model::publish_result> r) { out.emplace(std::move(r)); });
    EXPECT_TRUE(out) << "publish did not call back inline";
    return out ? std::move(*out) : model::result<model::publish_result>(model::errors::internal("no callback"));
}

channel_history read(memory_broker& b, const std::string& channel, std::optional<std::uint64_t> after,
                     std::size_t limit = 1000) {
    std::optional<model::result<channel_history>> out;
    b.read(channel, after, limit, [&](model::result<channel_history> r) { out.emplace(std::move(r)); });
    EXPECT_TRUE(out && out->ok());
    return out && out->ok() ? out->value() : channel_history{};
}

std::vector<std::uint64_t> offsets(const std::vector<model::event_ptr>& evs) {
    std::vector<std::uint64_t> out;
    for (const auto& e : evs) out.push_back(e->offset);
    return out;
}

using offs = std::vector<std::uint64_t>;

struct MemoryBrokerTest : ::testing::Test {
    test::manual_clock clock;
    recording_handler handler;
    memory_broker_options opts;
    std::unique_ptr<memory_broker> broker;

    memory_broker& make() {
        broker = std::make_unique<memory_broker>(clock, opts);
        broker->set_handler(&handler);
        return *broker;
    }
};

TEST_F(MemoryBrokerTest, OffsetsStartAtOnePerChannel) {
    auto& b = make();
    EXPECT_EQ(publish(b, request("a"))->offset, 1u);
    EXPECT_EQ(publish(b, request("a"))->offset, 2u);
    EXPECT_EQ(publish(b, request("b"))->offset, 1u);
    EXPECT_EQ(publish(b, request("a"))->offset, 3u);
    EXPECT_EQ(publish(b, request("b"))->offset, 2u);
}

TEST_F(MemoryBrokerTest, EpochIsStableAndPerBroker) {
    auto& b = make();
    const std::string epoch = b.epoch();
    EXPECT_EQ(epoch.size(), 8u);
    for (int i = 0; i < 5; ++i) {
        auto r = publish(b, request(i % 2 ? "a" : "b"));
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->epoch, epoch);
    }
    for (const auto& ev : handler.events()) EXPECT_EQ(ev->epoch, epoch);
    EXPECT_EQ(read(b, "a", std::nullopt).epoch, epoch);
    EXPECT_EQ(read(b, "never", std::nullopt).epoch, epoch);
    memory_broker other(clock, opts);
    EXPECT_NE(other.epoch(), epoch) << "a restarted broker must look different to resuming clients";
}

TEST_F(MemoryBrokerTest, PublishResultAndEventCarryTheRequest) {
    auto& b = make();
    auto req = request("news", R"({"n":1})");
    req.kind = model::data_kind::json;
    req.name = "tick";
    auto r = publish(b, req);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->channel, "news");
    EXPECT_EQ(r->offset, 1u);
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(r->delivered_local, 0u);
    auto evs = handler.events();
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(evs[0]->channel, "news");
    EXPECT_EQ(evs[0]->name, "tick");
    EXPECT_EQ(evs[0]->data, R"({"n":1})");
    EXPECT_EQ(evs[0]->kind, model::data_kind::json);
    EXPECT_EQ(evs[0]->published_at, clock.now_ms());
}

TEST_F(MemoryBrokerTest, HandsEveryEventToTheHandlerInOrder) {
    auto& b = make();
    for (int i = 0; i < 10; ++i) publish(b, request(i % 3 ? "a" : "b", std::to_string(i)));
    auto evs = handler.events();
    ASSERT_EQ(evs.size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(evs[i]->data, std::to_string(i));
    EXPECT_EQ(handler.gaps(), 0u);
}

TEST_F(MemoryBrokerTest, EventIsReadableWhenPublishCallsBack) {
    auto& b = make();
    std::vector<std::uint64_t> seen;
    b.publish(request("a"), [&](model::result<model::publish_result> r) {
        ASSERT_TRUE(r.ok());
        auto h = read(b, "a", 0);
        seen = offsets(h.events);
    });
    EXPECT_EQ(seen, (offs{1}));
}

TEST_F(MemoryBrokerTest, WorksWithoutAHandler) {
    memory_broker b(clock, opts);
    EXPECT_EQ(publish(b, request("a"))->offset, 1u);
    EXPECT_EQ(read(b, "a", 0).events.size(), 1u);
}

TEST_F(MemoryBrokerTest, ReadsPositionOnlyWithoutAfter) {
    auto& b = make();
    for (int i = 0; i < 3; ++i) publish(b, request("a"));
    auto h = read(b, "a", std::nullopt);
    EXPECT_EQ(h.channel, "a");
    EXPECT_EQ(h.last_offset, 3u);
    EXPECT_EQ(h.first_available, 1u);
    EXPECT_TRUE(h.events.empty());
}

TEST_F(MemoryBrokerTest, ReadsAnUnknownChannelAsEmpty) {
    auto& b = make();
    auto h = read(b, "never", 0);
    EXPECT_EQ(h.last_offset, 0u);
    EXPECT_EQ(h.first_available, 1u);
    EXPECT_TRUE(h.events.empty());
}

TEST_F(MemoryBrokerTest, ReadsAfterAnOffsetWithALimit) {
    auto& b = make();
    for (int i = 0; i < 6; ++i) publish(b, request("a", std::to_string(i + 1)));
    EXPECT_EQ(offsets(read(b, "a", 0).events), (offs{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(offsets(read(b, "a", 4).events), (offs{5, 6}));
    EXPECT_TRUE(read(b, "a", 6).events.empty());
    EXPECT_TRUE(read(b, "a", 60).events.empty());
    auto limited = read(b, "a", 1, 2);
    EXPECT_EQ(offsets(limited.events), (offs{2, 3}));
    EXPECT_EQ(limited.last_offset, 6u);
    EXPECT_EQ(read(b, "a", 2).events.front()->data, "3");
}

TEST_F(MemoryBrokerTest, KeepsHistorySizeEventsPerChannel) {
    opts.history_size = 3;
    auto& b = make();
    for (int i = 0; i < 5; ++i) publish(b, request("a"));
    publish(b, request("b"));
    auto h = read(b, "a", 0);
    EXPECT_EQ(offsets(h.events), (offs{3, 4, 5}));
    EXPECT_EQ(h.first_available, 3u);
    EXPECT_EQ(h.last_offset, 5u);
    EXPECT_EQ(offsets(read(b, "b", 0).events), (offs{1}));
}

TEST_F(MemoryBrokerTest, ZeroHistoryKeepsOnlyPositions) {
    opts.history_size = 0;
    auto& b = make();
    for (int i = 0; i < 4; ++i) publish(b, request("a"));
    auto h = read(b, "a", 0);
    EXPECT_TRUE(h.events.empty());
    EXPECT_EQ(h.last_offset, 4u);
    EXPECT_EQ(h.first_available, 5u);
    EXPECT_EQ(handler.events().size(), 4u);  // still delivered live
}

TEST_F(MemoryBrokerTest, DropsHistoryOlderThanTheTtl) {
    opts.history_ttl_ms = 1000;
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
}

TEST_F(MemoryBrokerTest, IdempotencyKeyReturnsTheSameResultAndPublishesOnce) {
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
    ASSERT_EQ(handler.events().size(), 1u);
    auto h = read(b, "a", 0);
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0]->data, "one");
    EXPECT_EQ(h.last_offset, 1u);
    EXPECT_EQ(publish(b, request("a", "next"))->offset, 2u);
}

TEST_F(MemoryBrokerTest, IdempotencyKeysArePerChannel) {
    auto& b = make();
    publish(b, request("a", "x", "k"));
    auto other = publish(b, request("b", "x", "k"));
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->duplicate);
    EXPECT_EQ(handler.events().size(), 2u);
}

TEST_F(MemoryBrokerTest, EmptyKeyIsNoKey) {
    auto& b = make();
    publish(b, request("a", "x", ""));
    auto r = publish(b, request("a", "x", ""));
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(r->offset, 2u);
}

TEST_F(MemoryBrokerTest, IdempotencyKeyExpiresAfterTheWindow) {
    opts.idempotency_window_ms = 1000;
    auto& b = make();
    publish(b, request("a", "x", "k"));
    clock.advance(999);
    EXPECT_TRUE(publish(b, request("a", "x", "k"))->duplicate);
    clock.advance(1);
    auto late = publish(b, request("a", "x", "k"));
    EXPECT_FALSE(late->duplicate);
    EXPECT_EQ(late->offset, 2u);
    // The new publish starts a new window for the key.
    clock.advance(500);
    auto again = publish(b, request("a", "x", "k"));
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->offset, 2u);
    EXPECT_EQ(handler.events().size(), 2u);
}

TEST_F(MemoryBrokerTest, RemembersAtMostTheKeyCapPerChannel) {
    opts.idempotency_keys_per_channel = 2;
    auto& b = make();
    publish(b, request("a", "x", "k1"));
    publish(b, request("a", "x", "k2"));
    publish(b, request("a", "x", "k3"));  // k1 is forgotten to make room
    EXPECT_TRUE(publish(b, request("a", "x", "k3"))->duplicate);
    EXPECT_TRUE(publish(b, request("a", "x", "k2"))->duplicate);
    auto r = publish(b, request("a", "x", "k1"));
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(r->offset, 4u);
}

TEST_F(MemoryBrokerTest, RefusesNewChannelsPastTheCap) {
    opts.max_channels = 2;
    auto& b = make();
    ASSERT_TRUE(publish(b, request("a")).ok());
    ASSERT_TRUE(publish(b, request("b")).ok());
    auto r = publish(b, request("c"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().status, 503);
    EXPECT_NE(r.err().message.find("2"), std::string::npos) << r.err().message;
    EXPECT_TRUE(publish(b, request("a")).ok());  // known channels still work
    EXPECT_EQ(handler.events().size(), 3u);
}

TEST_F(MemoryBrokerTest, ReadsDoNotUseUpTheChannelCap) {
    opts.max_channels = 2;
    auto& b = make();
    read(b, "sub1", std::nullopt);
    read(b, "sub2", 0);
    read(b, "sub3", 0);
    EXPECT_EQ(b.stats().channels, 0u);
    EXPECT_TRUE(publish(b, request("a")).ok());
}

TEST_F(MemoryBrokerTest, StatsCountChannelsAndHistory) {
    opts.history_size = 2;
    auto& b = make();
    EXPECT_EQ(b.stats().channels, 0u);
    for (int i = 0; i < 3; ++i) publish(b, request("a"));
    publish(b, request("b"));
    auto s = b.stats();
    EXPECT_EQ(s.channels, 2u);
    EXPECT_EQ(s.history_events, 3u);
    EXPECT_EQ(b.kind(), "memory");
}

TEST_F(MemoryBrokerTest, ConcurrentPublishersGetUniqueOffsetsInOrder) {
    auto& b = make();
    constexpr int threads = 4, per_thread = 500;
    std::vector<std::thread> pool;
    std::vector<std::vector<std::uint64_t>> got(threads);
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                // Every thread hits the shared channel and one of its own.
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
    EXPECT_EQ(handler.gaps(), 0u) << "on_event saw a channel's events out of order";
    EXPECT_EQ(handler.events().size(), 2u * threads * per_thread);
}

TEST_F(MemoryBrokerTest, ConcurrentRetriesWithOneKeyPublishOnce) {
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
    EXPECT_EQ(handler.events().size(), 1u);
    int originals = 0;
    for (const auto& r : results) {
        EXPECT_EQ(r.offset, 1u);
        if (!r.duplicate) ++originals;
    }
    EXPECT_EQ(originals, 1);
}

}  // namespace
}  // namespace herald::broker
