// Several herald nodes on one real redis-server act as one gateway: a publish on any node reaches
// SSE and WebSocket subscribers on every node with the same positions, a client moved to another
// node resumes with its cursor, and a Redis restart is survived: publishes answer 503 and /readyz
// 503 while it is down, streams stay open, and afterwards the new epoch reaches clients as a
// herald.reset instead of a silent gap. Skipped, saying why, only when redis-server is missing.
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

class RedisNodes : public ::testing::Test {
protected:
    void SetUp() override {
        if (!redis_server::available()) GTEST_SKIP() << redis_server::skip_reason();
        ASSERT_TRUE(redis_.start()) << "redis-server did not start";
    }
    config::config node_config() {
        auto cfg = test_config();
        cfg.broker = "redis://127.0.0.1:" + std::to_string(redis_.port());
        return cfg;
    }
    redis_server redis_;
};

TEST_F(RedisNodes, APublishOnOneNodeReachesSubscribersOnEveryNode) {
    test_server a(node_config()), b(node_config()), c(node_config());
    sse_client on_b(b.public_port(), sse_target({"news"}));
    ws_client on_c(c.public_port(), "/v1/ws?channel=news");
    ASSERT_TRUE(on_b.ok());
    ASSERT_TRUE(on_c.wait_op("subscribed"));
    auto first = a.publish("news", "from a");
    auto second = c.publish("news", json{{"n", 2}});
    EXPECT_EQ(first["offset"], 1);
    EXPECT_EQ(second["offset"], 2);
    EXPECT_EQ(first["epoch"], second["epoch"]);  // one stream per channel, whichever node publishes
    ASSERT_TRUE(on_b.wait_events(2)) << on_b.body();
    ASSERT_TRUE(on_c.wait_events(2, "news"));
    EXPECT_EQ(on_b.events()[0].data, "from a");
    EXPECT_EQ(on_b.events()[1].data, R"({"n":2})");
    auto ws_events = on_c.events("news");
    EXPECT_EQ(ws_events[0]["offset"], 1);
    EXPECT_EQ(ws_events[1]["offset"], 2);
    EXPECT_EQ(ws_events[1]["epoch"], first["epoch"]);
    // Idempotency keys are shared too: a retry on another node publishes nothing.
    auto k1 = a.post_json("/v1/publish", {{"channel", "news"}, {"data", "once"}, {"idempotency_key", "k"}});
    auto k2 = b.post_json("/v1/publish", {{"channel", "news"}, {"data", "once"}, {"idempotency_key", "k"}});
    EXPECT_EQ(parse_json(k1.body)["offset"], parse_json(k2.body)["offset"]);
}

TEST_F(RedisNodes, AClientMovedToAnotherNodeResumesWithItsCursor) {
    test_server a(node_config()), b(node_config());
    std::string cursor;
    {
        sse_client on_a(a.public_port(), sse_target({"news", "prices"}));
        ASSERT_TRUE(on_a.ok());
        a.publish("news", "n1");
        b.publish("prices", "p1");
        ASSERT_TRUE(on_a.wait_events(2)) << on_a.body();
        cursor = on_a.events().back().id;
    }
    a.publish("news", "missed n2");
    b.publish("prices", "missed p2");
    sse_client on_b(b.public_port(), sse_target({"news", "prices"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(on_b.ok());
    ASSERT_TRUE(on_b.wait_events(2)) << on_b.body();
    std::vector<std::string> got;
    for (const auto& e : on_b.events()) got.push_back(e.event + ":" + e.data);
    EXPECT_EQ(got, (std::vector<std::string>{"message:missed n2", "message:missed p2"}));
}

TEST_F(RedisNodes, SurvivesARedisRestartAndTellsClientsTheEpochChanged) {
    test_server a(node_config()), b(node_config());
    sse_client on_b(b.public_port(), sse_target({"news"}));
    ASSERT_TRUE(on_b.ok());
    auto before = a.publish("news", "before");
    ASSERT_TRUE(on_b.wait_events(1)) << on_b.body();

    redis_.stop();
    ASSERT_TRUE(eventually([&] { return a.request("GET", "/readyz").status == 503; }, 10s));
    EXPECT_EQ(a.metric("herald_broker_up{broker=\"redis\"}"), 0);
    auto refused = a.post_json("/v1/publish", {{"channel", "news"}, {"data", "lost"}});
    EXPECT_EQ(refused.status, 503u) << refused.body;
    EXPECT_FALSE(parse_json(refused.body)["error"].value("hint", "").empty()) << refused.body;
    EXPECT_FALSE(on_b.closed()) << "streams stay open while Redis is away";

    ASSERT_TRUE(redis_.restart());
    ASSERT_TRUE(eventually([&] { return a.request("GET", "/readyz").status == 200; }, 15s));
    ASSERT_TRUE(eventually([&] { return b.request("GET", "/readyz").status == 200; }, 15s));
    auto after = a.publish("news", "after");
    EXPECT_NE(after["epoch"], before["epoch"]) << "an empty Redis is a new stream: a new epoch";
    auto reset = on_b.wait_for([](const auto& e) { return e.event == "herald.reset"; }, 10s);
    ASSERT_TRUE(reset) << on_b.body();
    EXPECT_EQ(parse_json(reset->data)["reason"], "epoch_changed");
    ASSERT_TRUE(on_b.wait_for([](const auto& e) { return e.data == "after"; }, 10s)) << on_b.body();
}

TEST(RedisBrokerUrl, AnUnusableUrlStopsStartUpNamingIt) {
    auto cfg = test_config();
    cfg.broker = "redis://:secret@127.0.0.1:notaport";
    auto log = std::make_shared<spdlog::logger>("t");
    log->set_level(spdlog::level::off);
    try {
        sidecar::server s(cfg, log);
        FAIL() << "a bad broker URL must stop start-up";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("--broker"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << "the password is never shown: " << e.what();
    }
}

}  // namespace
}  // namespace herald::test
