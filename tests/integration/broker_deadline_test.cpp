// Deadlines on the client-facing side while the broker hangs (a real redis-server under SIGSTOP,
// with a Redis command timeout far longer than herald's own request timeout, so these are the
// gateway's backstops, not the broker's): an API call is answered 503 reply_timeout by the
// deadline; an SSE stream waiting for its history read keeps getting keepalives, then ends with a
// resumable herald.disconnect (4004) and frees its connection slot; a WebSocket subscribe waiting
// the same way is closed with 4004. Everything works again once Redis answers.
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/raw_ws_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_server.hpp"
#include "tests/unit/broker/redis_probe.hpp"

namespace herald::test {
namespace {

class BrokerDeadline : public ::testing::Test {
protected:
    void SetUp() override {
        if (!redis_server::available()) GTEST_SKIP() << redis_server::skip_reason();
        ASSERT_TRUE(redis_.start());
        auto cfg = test_config();
        cfg.broker = redis_.url();
        cfg.redis.command_timeout_ms = 60000;  // the broker waits: only herald's own deadlines act
        cfg.redis.ping_interval_ms = 200;
        cfg.limits.request_timeout_ms = 2000;
        cfg.sse.keepalive_ms = 200;
        srv_ = std::make_unique<test_server>(cfg);
        ASSERT_TRUE(eventually([&] { return srv_->request("GET", "/readyz").status == 200; }, 10s));
        srv_->publish("prices", "before");
        sse_client probe(srv_->public_port(), sse_target({"prices"}, "since=earliest"));
        ASSERT_TRUE(probe.wait_events(1));
        first_ = probe.last_id();  // a cursor just after "before"
    }
    void TearDown() override { srv_.reset(); }

    redis_server redis_;
    std::unique_ptr<test_server> srv_;
    std::string first_;
};

TEST_F(BrokerDeadline, ApiCallsAreAnsweredByTheDeadline) {
    redis_freeze hung(redis_.port());
    ASSERT_TRUE(hung.valid());
    hung.freeze();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = srv_->request("GET", "/v1/channels/prices/events");
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(parse_json(r.body)["error"]["code"], "reply_timeout");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);
    EXPECT_TRUE(srv_->wait_metric("herald_reply_timeouts_total", [](double v) { return v >= 1; }));
    hung.thaw();
    EXPECT_TRUE(eventually([&] { return srv_->request("GET", "/v1/channels/prices/events").status == 200; }, 10s));
}

TEST_F(BrokerDeadline, SseWaitingForHistoryKeepsAliveThenEndsResumablyAndFreesItsSlot) {
    redis_freeze hung(redis_.port());
    ASSERT_TRUE(hung.valid());
    const double open_before = srv_->metric("herald_connections_open").value_or(-1);
    hung.freeze();
    sse_client s(srv_->public_port(), sse_target({"prices"}, "since=" + client::url_encode(first_)));
    ASSERT_TRUE(s.ok()) << s.error_body();
    ASSERT_TRUE(s.wait_closed(10s)) << "the stream kept waiting for the broker";
    EXPECT_GE(s.comments(), 3u) << "no keepalives while the history read was pending: " << s.body();
    auto bye = s.wait_for([](const protocol::sse_message& m) { return m.event == "herald.disconnect"; }, 1s);
    ASSERT_TRUE(bye) << s.body();
    auto j = parse_json(bye->data);
    EXPECT_EQ(j["code"], 4004);
    EXPECT_EQ(j["reconnect"], true);
    EXPECT_EQ(j["cursor"], first_);  // the position it asked for: nothing skipped
    EXPECT_TRUE(eventually([&] { return srv_->metric("herald_connections_open").value_or(-1) <= open_before + 1; }));
    hung.thaw();
    ASSERT_TRUE(eventually([&] { return srv_->request("GET", "/readyz").status == 200; }, 10s));
    ASSERT_EQ(srv_->publish("prices", "after")["offset"], 2);
    sse_client again(srv_->public_port(), sse_target({"prices"}, "since=" + client::url_encode(j["cursor"].get<std::string>())));
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(1)) << again.body();
    EXPECT_EQ(again.events()[0].data, "after");
}

TEST_F(BrokerDeadline, AWebSocketSubscribeWaitingForHistoryIsClosedResumably) {
    redis_freeze hung(redis_.port());
    ASSERT_TRUE(hung.valid());
    hung.freeze();
    raw_ws_client c(srv_->public_port(), "/v1/ws?channel=prices");
    ASSERT_TRUE(c.ok());
    auto close = c.wait_close(10s);
    ASSERT_TRUE(close);
    EXPECT_EQ(close->close_code(), 4004);
}

TEST_F(BrokerDeadline, AClientThatGivesUpWhileWaitingFreesItsSlotAtOnce) {
    redis_freeze hung(redis_.port());
    ASSERT_TRUE(hung.valid());
    const double open_before = srv_->metric("herald_connections_open").value_or(-1);
    hung.freeze();
    {
        sse_client s(srv_->public_port(), sse_target({"prices"}, "since=earliest"));
        ASSERT_TRUE(s.ok());
        EXPECT_TRUE(srv_->wait_metric("herald_connections_open", [&](double v) { return v >= open_before + 1; }));
    }  // closed by the client long before any deadline
    EXPECT_TRUE(srv_->wait_metric("herald_connections_open", [&](double v) { return v <= open_before + 1; }, 1500ms));
}

}  // namespace
}  // namespace herald::test
