// Slow-consumer policies over real sockets: a stalled reader of a keyed channel with
// slow_consumer conflate is kept and, once it reads again, gets the newest value of every key
// and nothing stale; one of an unkeyed channel with drop_oldest gets herald.gap (SSE) or op gap
// (WebSocket) naming exactly the offsets it missed, then the rest; both stay connected.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/raw_ws_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

config::config slow_config() {
    auto cfg = test_config();
    cfg.limits.outbox_bytes = 64 * 1024;
    config::channel_rule ticker;
    ticker.pattern = "ticker:*";
    ticker.keyed = true;
    ticker.slow_consumer = config::slow_consumer_mode::conflate;
    config::channel_rule feed;
    feed.pattern = "feed:*";
    feed.slow_consumer = config::slow_consumer_mode::drop_oldest;
    cfg.channels = {ticker, feed};
    return cfg;
}

void publish_key(test_server& srv, const std::string& channel, const std::string& key, const std::string& data) {
    auto body = nlohmann::json{{"channel", channel}, {"key", key}, {"data", data}}.dump();
    ASSERT_EQ(srv.request("POST", "/v1/publish", body, "application/json").status, 200u);
}

TEST(SlowConsumerPolicy, AStalledTickerReaderIsKeptAndGetsTheNewestOfEveryKey) {
    test_server srv(slow_config());
    // A reader with a tiny receive buffer that does not read until told to.
    sse_client stalled(srv.public_port(), sse_target({"ticker:n"}), {}, 4096);
    ASSERT_TRUE(stalled.ok());
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v == 1; }));
    const std::string pad(4096, 'p');
    constexpr int rounds = 60, keys = 10;  // 600 events of 4 KiB: far past the 64 KiB outbox
    for (int r = 0; r < rounds; ++r)
        for (int k = 0; k < keys; ++k) publish_key(srv, "ticker:n", "k" + std::to_string(k), std::to_string(r) + pad);
    EXPECT_TRUE(srv.wait_metric("herald_slow_consumer_replaced_total", [](double v) { return v > 0; }));
    EXPECT_EQ(srv.metric("herald_slow_consumer_disconnects_total").value_or(-1), 0);
    // Reading again, it ends with the last round of every key, offsets only ever growing.
    std::map<std::string, std::string> latest;
    ASSERT_TRUE(stalled.wait_for(
        [&](const protocol::sse_message& m) {
            auto j = parse_json(m.data);
            if (!j.contains("key")) return false;
            latest[j["key"]] = j["data"].get<std::string>().substr(0, 2);
            int done = 0;
            for (const auto& [k, v] : latest) done += v == std::to_string(rounds - 1);
            return done == keys;
        },
        20s))
        << stalled.events().size() << " events";
    std::uint64_t last = 0;
    for (const auto& m : stalled.events()) {
        auto j = parse_json(m.data);
        if (!j.contains("offset")) continue;
        EXPECT_GT(j["offset"].get<std::uint64_t>(), last);
        last = j["offset"];
    }
    EXPECT_LT(stalled.events().size(), static_cast<std::size_t>(rounds * keys));
    EXPECT_FALSE(stalled.closed());
}

TEST(SlowConsumerPolicy, AStalledFeedReaderIsToldOfEveryGapAndKeepsTheRest) {
    test_server srv(slow_config());
    sse_client stalled(srv.public_port(), sse_target({"feed:a"}), {}, 4096);
    ASSERT_TRUE(stalled.ok());
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v == 1; }));
    const std::string pad(4096, 'x');
    constexpr int total = 300;
    for (int i = 1; i <= total; ++i) srv.publish("feed:a", std::to_string(i) + ":" + pad);
    EXPECT_TRUE(srv.wait_metric("herald_slow_consumer_dropped_total", [](double v) { return v > 0; }));
    // Every offset 1..total arrives as an event or inside a gap, each once, in order.
    std::set<std::uint64_t> seen;
    std::uint64_t next = 1;
    bool ordered = true;
    ASSERT_TRUE(stalled.wait_for(
        [&](const protocol::sse_message& m) {
            if (m.event == "herald.gap") {
                auto j = parse_json(m.data);
                EXPECT_EQ(j["channel"], "feed:a");
                ordered &= j["from"].get<std::uint64_t>() == next;
                for (auto o = j["from"].get<std::uint64_t>(); o <= j["to"].get<std::uint64_t>(); ++o) seen.insert(o);
                next = j["to"].get<std::uint64_t>() + 1;
            } else if (!m.event.empty() && m.event != "message") {
                return false;
            } else {
                const auto n = std::stoull(m.data.substr(0, m.data.find(':')));
                ordered &= n == next;
                seen.insert(n);
                next = n + 1;
            }
            return next == total + 1;
        },
        20s))
        << stalled.events().size() << " events; next " << next << ", last: " << stalled.events().back().event << " "
        << stalled.events().back().data.substr(0, 40);
    EXPECT_TRUE(ordered);
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(total));
    EXPECT_TRUE(srv.wait_metric("herald_gaps_sent_total", [](double v) { return v >= 1; }));
    EXPECT_FALSE(stalled.closed());
    // Its cursor is past the gaps: a resume from it has nothing left to replay.
    sse_client again(srv.public_port(), sse_target({"feed:a"}), {{"Last-Event-ID", stalled.last_id()}});
    ASSERT_TRUE(again.ok());
    srv.publish("feed:a", "after");
    ASSERT_TRUE(again.wait_events(1, 5s));
    EXPECT_EQ(again.events().front().data, "after");
}

TEST(SlowConsumerPolicy, AStalledWebSocketFeedReaderGetsOpGapForWhatItMissed) {
    test_server srv(slow_config());
    raw_ws_client stalled(srv.public_port(), "/v1/ws?channel=feed:w", {}, 4096);
    ASSERT_TRUE(stalled.ok());
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v == 1; }));
    const std::string pad(4096, 'w');
    constexpr std::uint64_t total = 300;
    for (std::uint64_t i = 1; i <= total; ++i) srv.publish("feed:w", std::to_string(i) + ":" + pad);
    EXPECT_TRUE(srv.wait_metric("herald_slow_consumer_dropped_total", [](double v) { return v > 0; }));
    std::uint64_t next = 1, gaps = 0;
    while (next <= total) {
        auto text = stalled.next_text(10s);
        ASSERT_TRUE(text) << "stopped at offset " << next;
        auto m = parse_json(*text);
        if (m["op"] == "gap") {
            EXPECT_EQ(m["channel"], "feed:w");
            EXPECT_EQ(m["from"], next);
            next = m["to"].get<std::uint64_t>() + 1;
            ++gaps;
        } else if (m["op"] == "event") {
            EXPECT_EQ(m["offset"], next);
            next = m["offset"].get<std::uint64_t>() + 1;
        }
    }
    EXPECT_GE(gaps, 1u);
    EXPECT_FALSE(stalled.closed());
}

}  // namespace
}  // namespace herald::test
