// Keyed channels on two herald nodes over one real redis-server: a page opened on one node after
// increments on the other shows the count at once, increments from both nodes at the same time
// never lose an update, a client moved to the other node catches up by key from its cursor, and a
// stalled ticker reader (slow_consumer conflate) ends with the newest price of every symbol.
// Skipped, saying why, only when redis-server is missing.
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

class RedisKeyed : public ::testing::Test {
protected:
    void SetUp() override {
        if (!redis_server::available()) GTEST_SKIP() << redis_server::skip_reason();
        ASSERT_TRUE(redis_.start()) << "redis-server did not start";
    }
    config::config node_config() {
        auto cfg = test_config();
        cfg.broker = "redis://127.0.0.1:" + std::to_string(redis_.port());
        config::channel_rule counters;
        counters.pattern = "count:*";
        counters.keyed = true;
        counters.history_size = 1;  // catch-up by key, not history, has to cover a resume
        config::channel_rule ticker;
        ticker.pattern = "ticker:*";
        ticker.keyed = true;
        ticker.slow_consumer = config::slow_consumer_mode::conflate;
        cfg.channels = {counters, ticker};
        cfg.limits.outbox_bytes = 64 * 1024;
        return cfg;
    }
    static json incr(test_server& node, const std::string& channel, int by) {
        auto r = node.post_json("/v1/publish", {{"channel", channel}, {"key", "unread"}, {"incr", by}});
        EXPECT_EQ(r.status, 200u) << r.body;
        return parse_json(r.body);
    }
    redis_server redis_;
};

TEST_F(RedisKeyed, APageOpenedOnOneNodeAfterIncrementsOnTheOtherShowsTheCountAtOnce) {
    test_server a(node_config()), b(node_config());
    for (int i = 0; i < 10; ++i) incr(a, "count:42", 1);
    sse_client page(b.public_port(), sse_target({"count:42"}));
    ASSERT_TRUE(page.ok());
    ASSERT_TRUE(page.wait_events(1)) << page.body();
    auto first = parse_json(page.events()[0].data);
    EXPECT_EQ(first["key"], "unread");
    EXPECT_EQ(first["data"], 10);
    incr(a, "count:42", -3);
    ASSERT_TRUE(page.wait_events(2)) << page.body();
    EXPECT_EQ(parse_json(page.events()[1].data)["data"], 7);
}

TEST_F(RedisKeyed, IncrementsFromTwoNodesAtOnceNeverLoseAnUpdate) {
    test_server a(node_config()), b(node_config());
    constexpr int each = 100;
    auto run = [&](test_server& node) {
        for (int i = 0; i < each; ++i) incr(node, "count:7", 1);
    };
    std::thread ta([&] { run(a); }), tb([&] { run(b); });
    ta.join();
    tb.join();
    auto latest = parse_json(b.request("GET", "/v1/channels/count:7/latest").body);
    ASSERT_EQ(latest["events"].size(), 1u) << latest;
    EXPECT_EQ(latest["events"][0]["data"], 2 * each);
    EXPECT_EQ(latest["last_offset"], 2 * each);
}

TEST_F(RedisKeyed, AClientMovedToTheOtherNodeCatchesUpByKey) {
    test_server a(node_config()), b(node_config());
    std::string cursor;
    {
        sse_client on_a(a.public_port(), sse_target({"count:9"}));
        ASSERT_TRUE(on_a.ok());
        incr(a, "count:9", 1);
        ASSERT_TRUE(on_a.wait_events(1));
        cursor = on_a.last_id();
    }
    for (int i = 0; i < 5; ++i) incr(b, "count:9", 1);  // history holds one event: only keys cover this
    auto del = b.post_json("/v1/publish", {{"channel", "count:9"}, {"key", "other"}, {"data", "x"}});
    ASSERT_EQ(del.status, 200u);
    sse_client on_b(b.public_port(), sse_target({"count:9"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(on_b.ok());
    ASSERT_TRUE(on_b.wait_events(2)) << on_b.body();
    for (const auto& m : on_b.events()) EXPECT_NE(m.event, "herald.reset") << m.data;
    auto unread = parse_json(on_b.events()[0].data);
    EXPECT_EQ(unread["key"], "unread");
    EXPECT_EQ(unread["data"], 6);
    EXPECT_EQ(parse_json(on_b.events()[1].data)["key"], "other");
}

TEST_F(RedisKeyed, AStalledTickerReaderOnAnotherNodeEndsWithTheNewestOfEverySymbol) {
    test_server a(node_config()), b(node_config());
    sse_client stalled(b.public_port(), sse_target({"ticker:n"}), {}, 4096);
    ASSERT_TRUE(stalled.ok());
    ASSERT_TRUE(b.wait_metric("herald_subscriptions", [](double v) { return v == 1; }));
    const std::string pad(4096, 'p');
    constexpr int rounds = 40, symbols = 8;
    for (int r = 0; r < rounds; ++r)
        for (int s = 0; s < symbols; ++s) {
            auto body = json{{"channel", "ticker:n"}, {"key", "S" + std::to_string(s)}, {"data", std::to_string(r) + pad}};
            ASSERT_EQ(a.request("POST", "/v1/publish", body.dump(), "application/json").status, 200u);
        }
    EXPECT_TRUE(b.wait_metric("herald_slow_consumer_replaced_total", [](double v) { return v > 0; }));
    std::map<std::string, std::string> latest;
    ASSERT_TRUE(stalled.wait_for(
        [&](const protocol::sse_message& m) {
            auto j = parse_json(m.data);
            if (!j.contains("key")) return false;
            latest[j["key"]] = j["data"].get<std::string>().substr(0, 2);
            int done = 0;
            for (const auto& [k, v] : latest) done += v == std::to_string(rounds - 1);
            return done == symbols;
        },
        20s))
        << stalled.events().size() << " events";
    EXPECT_EQ(b.metric("herald_slow_consumer_disconnects_total").value_or(-1), 0);
}

}  // namespace
}  // namespace herald::test
