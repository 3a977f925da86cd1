// broker/memory_broker, what only the memory broker promises: a stable per-broker epoch, events
// readable by the time publish calls back, running without a handler, the idempotency-key and
// channel caps, stats, and the sweep (manual clock): expired keys go without another publish,
// idle channels are dropped (freeing the cap) and come back in a new epoch, the sweeper thread. The contract every broker shares (offsets, order, history, reads,
// idempotency, concurrency) is tested once for both brokers in broker_conformance_test.cpp.
#include "lib/broker/memory_broker.hpp"

#include <gtest/gtest.h>

#include <set>

#include <algorithm>
#include <atomic>
#include <chrono>
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

TEST_F(MemoryBrokerTest, IdempotencyKeysExpireOnASweepWithoutAnotherPublish) {
    opts.idempotency_window_ms = 1000;
    auto& b = make();
    publish(b, request("a", "x", "k1"));
    publish(b, request("a", "x", "k2"));
    publish(b, request("b", "x", "k1"));
    EXPECT_EQ(b.stats().idempotency_keys, 3u);
    clock.advance(999);
    b.sweep();
    EXPECT_EQ(b.stats().idempotency_keys, 3u) << "still inside the window";
    clock.advance(1);
    b.sweep();
    EXPECT_EQ(b.stats().idempotency_keys, 0u) << "a channel nobody publishes to again must not keep its keys";
    EXPECT_FALSE(publish(b, request("a", "x", "k1"))->duplicate);
}

TEST_F(MemoryBrokerTest, SweepKeepsChannelsThatStillHoldHistoryOrKeys) {
    opts.history_ttl_ms = 1000;
    opts.idempotency_window_ms = 3000;
    auto& b = make();
    publish(b, request("a", "x", "k"));
    EXPECT_EQ(b.idle_after_ms(), 3000);
    clock.advance(2000);  // history gone, the key still remembered
    EXPECT_EQ(b.sweep(), 0u);
    EXPECT_EQ(b.stats().channels, 1u);
    EXPECT_EQ(read(b, "a", std::nullopt).last_offset, 1u);
    clock.advance(1000);
    EXPECT_EQ(b.sweep(), 1u);
    EXPECT_EQ(b.stats().channels, 0u);
}

TEST_F(MemoryBrokerTest, ADroppedChannelComesBackInANewEpochSoOldCursorsGetAReset) {
    opts.history_ttl_ms = 1000;
    opts.idempotency_window_ms = 1000;
    auto& b = make();
    auto first = publish(b, request("a"));
    publish(b, request("a"));
    clock.advance(1000);
    EXPECT_EQ(b.sweep(), 1u);
    auto h = read(b, "a", 2);
    EXPECT_EQ(h.last_offset, 0u);
    EXPECT_NE(h.epoch, first->epoch) << "offsets restart: the same epoch would make old cursors point at new events";
    auto again = publish(b, request("a"));
    EXPECT_EQ(again->offset, 1u);
    EXPECT_NE(again->epoch, first->epoch);
    EXPECT_EQ(again->epoch, h.epoch) << "a subscriber that read the empty channel gets its first event in its epoch";
}

TEST_F(MemoryBrokerTest, IdleChannelsFreeTheChannelCap) {
    opts.max_channels = 2;
    opts.history_ttl_ms = 1000;
    opts.idempotency_window_ms = 1000;
    auto& b = make();
    ASSERT_TRUE(publish(b, request("a")).ok());
    ASSERT_TRUE(publish(b, request("b")).ok());
    auto refused = publish(b, request("c"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.err().status, 503);
    EXPECT_NE(refused.err().hint.find("history.max_channels"), std::string::npos) << refused.err().hint;
    clock.advance(500);
    ASSERT_TRUE(publish(b, request("b")).ok());
    clock.advance(600);  // a idle for 1100 ms, b for 600 ms
    ASSERT_TRUE(publish(b, request("c")).ok()) << "reaching the cap sweeps idle channels away";
    EXPECT_EQ(b.stats().channels, 2u);
    EXPECT_EQ(read(b, "b", std::nullopt).last_offset, 2u);
}

TEST_F(MemoryBrokerTest, AWatchedChannelIsNeverIdleSoItsSubscribersGetNoReset) {
    opts.history_ttl_ms = 1000;
    opts.idempotency_window_ms = 1000;
    std::set<std::string> watched = {"user:42"};
    opts.in_use = [&](const std::string& c) { return watched.count(c) > 0; };
    auto& b = make();
    auto first = publish(b, request("user:42"));
    publish(b, request("nobody"));
    clock.advance(5000);  // both quiet far longer than history and the idempotency window
    b.sweep();
    EXPECT_EQ(b.stats().channels, 1u) << "the unwatched channel goes, the watched one stays";
    auto again = publish(b, request("user:42"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->epoch, first->epoch);
    EXPECT_EQ(again->offset, 2u);
    watched.clear();
    clock.advance(5000);
    b.sweep();
    EXPECT_EQ(b.stats().channels, 0u);
}

TEST_F(MemoryBrokerTest, TheSweeperThreadSweepsByItself) {
    opts.history_ttl_ms = 1000;
    opts.idempotency_window_ms = 1000;
    opts.sweep_interval_ms = 5;
    auto& b = make();
    publish(b, request("a", "x", "k"));
    clock.advance(1000);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (b.stats().channels != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(b.stats().channels, 0u);
    EXPECT_EQ(b.stats().idempotency_keys, 0u);
}

TEST_F(MemoryBrokerTest, PublishesRacingSweepsKeepEveryEpochContiguous) {
    opts.history_ttl_ms = 1000;
    opts.idempotency_window_ms = 1000;
    auto& b = make();
    std::atomic<bool> stop{false};
    std::thread sweeper([&] {
        while (!stop) {
            clock.advance(1000);
            b.sweep();
        }
    });
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(publish(b, request("a")).ok());
    stop = true;
    sweeper.join();
    std::map<std::string, std::uint64_t> last;
    for (const auto& ev : handler.events()) {
        auto& l = last[ev->epoch];
        EXPECT_EQ(ev->offset, l + 1) << "epoch " << ev->epoch;
        l = ev->offset;
    }
}

}  // namespace
}  // namespace herald::broker

namespace herald::broker {
namespace {

// Policies by pattern: each publish asks limits_for; a channel takes changed limits at its next
// publish, and its age limit then applies to reads too.
TEST_F(MemoryBrokerTest, HistoryLimitsComeFromThePolicyAtEachPublish) {
    channel_limits short_limits{2, 1000, 0};
    std::mutex m;
    opts.limits_for = [&](const std::string& channel) {
        std::lock_guard lock(m);
        return channel.rfind("short:", 0) == 0 ? short_limits : channel_limits{100, 600000, 0};
    };
    auto& b = make();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(publish(b, request("short:a")).ok());
        ASSERT_TRUE(publish(b, request("long")).ok());
    }
    EXPECT_EQ(offsets(read(b, "short:a", 0).events), (offs{3, 4}));
    EXPECT_EQ(offsets(read(b, "long", 0).events), (offs{1, 2, 3, 4}));
    {
        std::lock_guard lock(m);
        short_limits = {3, 60000, 0};
    }
    EXPECT_EQ(offsets(read(b, "short:a", 0).events), (offs{3, 4}));  // until its next publish
    ASSERT_TRUE(publish(b, request("short:a")).ok());
    ASSERT_TRUE(publish(b, request("short:a")).ok());
    EXPECT_EQ(offsets(read(b, "short:a", 0).events), (offs{4, 5, 6}));
    clock.advance(2000);  // past the old 1 s age, within the new 60 s
    EXPECT_EQ(offsets(read(b, "short:a", 0).events), (offs{4, 5, 6}));
    clock.advance(60000);
    EXPECT_TRUE(read(b, "short:a", 0).events.empty());
    EXPECT_EQ(offsets(read(b, "long", 0).events), (offs{1, 2, 3, 4}));
}

}  // namespace
}  // namespace herald::broker
