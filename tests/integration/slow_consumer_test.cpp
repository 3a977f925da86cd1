// Slow consumers and server stop over real sockets: a reader that stops reading is
// disconnected at its outbox cap (counted, others unaffected) and resumes without loss from
// its last id; a stopping server tells every SSE stream to come back, with its cursor.
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

TEST(SlowConsumer, StalledSseReaderIsCutAtItsOutboxCapAndOthersGetEverything) {
    auto cfg = test_config();
    cfg.limits.outbox_bytes = 64 * 1024;
    cfg.history.size = 1000;
    cfg.history.max_bytes = 16 << 20;  // history holds all 1.6 MB, so the resume below is whole
    test_server srv(cfg);
    sse_client stalled(srv.public_port(), sse_target({"firehose"}), {}, 4096);
    sse_client healthy(srv.public_port(), sse_target({"firehose"}));
    ASSERT_TRUE(stalled.ok() && healthy.ok());
    const std::string payload(8 * 1024, 'x');
    constexpr int total = 200;  // 1.6 MB: far past the stalled reader's socket buffers and outbox
    for (int i = 0; i < total; ++i) {
        srv.publish("firehose", payload + std::to_string(i));
        if (i % 20 == 19) healthy.wait_events(static_cast<std::size_t>(i + 1), 2s);  // keep reading
    }
    ASSERT_TRUE(healthy.wait_events(total, 10s)) << healthy.events().size();
    for (int i = 0; i < total; ++i) EXPECT_EQ(healthy.events()[i].data, payload + std::to_string(i));
    EXPECT_TRUE(srv.wait_metric("herald_slow_consumer_disconnects_total", [](double v) { return v == 1; }));
    EXPECT_FALSE(healthy.closed());

    // The stalled reader now reads what reached it, then learns why, with the position of the
    // last event before the goodbye (everything queued before the overflow is still written).
    ASSERT_TRUE(stalled.wait_closed(10s));
    ASSERT_FALSE(stalled.events().empty());
    const auto& bye = stalled.events().back();
    ASSERT_EQ(bye.event, "herald.disconnect") << stalled.events().size() << " events";
    auto j = parse_json(bye.data);
    EXPECT_EQ(j["name"], "slow_consumer");
    EXPECT_EQ(j["code"], 4001);
    EXPECT_EQ(j["cursor"], stalled.last_id());
    const auto got = stalled.events().size() - 1;
    ASSERT_LT(got, static_cast<std::size_t>(total));
    ASSERT_FALSE(stalled.last_id().empty()) << got << " events; body starts " << stalled.body().substr(0, 200);
    // It resumes with its last id and gets exactly the rest.
    sse_client again(srv.public_port(), sse_target({"firehose"}), {{"Last-Event-ID", stalled.last_id()}});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(total - got, 10s)) << again.events().size() << " of " << total - got;
    for (std::size_t i = 0; i < total - got; ++i)
        EXPECT_EQ(again.events()[i].data, payload + std::to_string(got + i)) << "event " << i;
}

TEST(SlowConsumer, StalledSseReplayIsBoundedByHeldEventsEvenZeroByteOnes) {
    // A reader that stops reading during its replay: live events wait outside the outbox. Before,
    // only their data bytes counted, so zero-byte events piled up without bound.
    auto cfg = test_config();
    cfg.limits.outbox_bytes = 64 * 1024;
    cfg.history.size = 200;
    cfg.history.max_bytes = 64 << 20;
    test_server srv(cfg);
    const std::string payload(32 * 1024, 'h');
    for (int i = 0; i < 200; ++i) srv.publish("replayed", payload);  // 6.4 MB of history
    sse_client stalled(srv.public_port(), sse_target({"replayed"}, "since=earliest"), {}, 4096);
    ASSERT_TRUE(stalled.ok());
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v == 1; }));
    std::string batch = R"({"events":[)";
    for (int i = 0; i < 1000; ++i) batch += std::string(i ? "," : "") + R"({"channel":"replayed","data":""})";
    batch += "]}";
    for (int i = 0; i < 5 && !srv.metric("herald_slow_consumer_disconnects_total").value_or(0); ++i)
        ASSERT_EQ(srv.request("POST", "/v1/publish", batch, "application/json").status, 200u);
    EXPECT_TRUE(srv.wait_metric("herald_slow_consumer_disconnects_total", [](double v) { return v == 1; }));
    // The reader drains what was queued and learns why, with a cursor to resume from.
    ASSERT_TRUE(stalled.wait_closed(10s));
    auto bye = stalled.wait_for([](const protocol::sse_message& m) { return m.event == "herald.disconnect"; }, 1s);
    ASSERT_TRUE(bye) << stalled.events().size() << " events";
    auto j = parse_json(bye->data);
    EXPECT_EQ(j["name"], "slow_consumer");
    EXPECT_EQ(j["code"], 4001);
    ASSERT_TRUE(j["cursor"].is_string());
    EXPECT_EQ(j["cursor"], stalled.last_id());
}

TEST(Stop, SseStreamsAreToldToReconnectWithTheirCursor) {
    test_server srv;
    sse_client a(srv.public_port(), sse_target({"news"}));
    sse_client b(srv.public_port(), sse_target({"news", "sports"}));
    ASSERT_TRUE(a.ok() && b.ok());
    srv.publish("news", "before stop");
    ASSERT_TRUE(a.wait_events(1));
    ASSERT_TRUE(b.wait_events(1));
    srv.stop();
    for (auto* s : {&a, &b}) {
        ASSERT_TRUE(s->wait_closed());
        const auto& last = s->events().back();
        ASSERT_EQ(last.event, "herald.disconnect") << s->body();
        auto j = parse_json(last.data);
        EXPECT_EQ(j["code"], 1012);
        EXPECT_EQ(j["name"], "shutdown");
        EXPECT_EQ(j["reconnect"], true);
        EXPECT_EQ(j["cursor"], s->events()[0].id);
    }
}

}  // namespace
}  // namespace herald::test
