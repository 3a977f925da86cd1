// Publish → SSE over real sockets: response headers, opening comment and retry, id on every
// event, event names, multi-line data, envelope=json, JSON strings as plain text, keepalives,
// and several channels on one stream.
#include <gtest/gtest.h>
#include <set>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

TEST(Sse, AnswersWithEventStreamHeadersOpeningCommentAndRetry) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"news"}));
    ASSERT_TRUE(sub.ok()) << sub.status() << " " << sub.error_body();
    EXPECT_EQ(sub.status(), 200u);
    EXPECT_EQ(sub.header("content-type").rfind("text/event-stream", 0), 0u) << sub.header("content-type");
    EXPECT_EQ(sub.header("cache-control"), "no-cache");
    EXPECT_EQ(sub.header("x-accel-buffering"), "no");
    // The opening comment is the first thing in the body, before any event arrives.
    ASSERT_FALSE(sub.body().empty());
    EXPECT_EQ(sub.body()[0], ':') << sub.body();
    sub.wait_for([](const auto&) { return false; }, 300ms);  // let the retry line arrive too
    ASSERT_TRUE(sub.retry_ms().has_value()) << sub.body();
    EXPECT_EQ(*sub.retry_ms(), srv.cfg().sse.retry_ms);
    EXPECT_NE(sub.body().find("\nretry: "), std::string::npos) << sub.body();
}

TEST(Sse, DeliversPublishedEventsWithIdOnEveryEvent) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    srv.publish("news", "first");
    srv.publish("news", json{{"n", 2}});
    srv.publish("news", 3);
    ASSERT_TRUE(sub.wait_events(3)) << sub.body();
    const auto& ev = sub.events();
    EXPECT_EQ(ev[0].data, "first");
    EXPECT_EQ(ev[1].data, R"({"n":2})");
    EXPECT_EQ(ev[2].data, "3");
    for (const auto& e : ev) {
        EXPECT_EQ(e.event, "message");
        EXPECT_FALSE(e.id.empty());
    }
    // Every event block carries its own id: line.
    std::size_t blocks = 0, ids = 0;
    for (std::size_t p = 0; (p = sub.body().find("data: ", p)) != std::string::npos; ++p) ++blocks;
    for (std::size_t p = 0; (p = sub.body().find("id: ", p)) != std::string::npos; ++p) ++ids;
    EXPECT_GE(ids, blocks);
    EXPECT_NE(ev[0].id, ev[1].id);
    EXPECT_NE(ev[1].id, ev[2].id);
}

TEST(Sse, WritesEventLineOnlyForNamedEvents) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"prices"}));
    ASSERT_TRUE(sub.ok());
    srv.publish("prices", json{{"p", 42}}, "price");
    srv.publish("prices", "plain");
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    EXPECT_EQ(sub.events()[0].event, "price");
    EXPECT_EQ(sub.events()[0].data, R"({"p":42})");
    EXPECT_EQ(sub.events()[1].event, "message");
    EXPECT_NE(sub.body().find("event: price\n"), std::string::npos);
    EXPECT_EQ(sub.body().find("event: price\n"), sub.body().rfind("event: "));
}

TEST(Sse, SplitsMultiLineDataIntoDataLines) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"lines"}));
    ASSERT_TRUE(sub.ok());
    srv.publish("lines", "one\ntwo\nthree");
    ASSERT_TRUE(sub.wait_events(1));
    EXPECT_EQ(sub.events()[0].data, "one\ntwo\nthree");
    EXPECT_NE(sub.body().find("data: one\ndata: two\ndata: three\n\n"), std::string::npos) << sub.body();
}

TEST(Sse, JsonStringDataArrivesAsPlainText) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"t"}));
    ASSERT_TRUE(sub.ok());
    auto r = srv.request("POST", "/v1/publish", R"({"channel":"t","data":"hello \"world\""})", "application/json");
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_TRUE(sub.wait_events(1));
    EXPECT_EQ(sub.events()[0].data, "hello \"world\"");
}

TEST(Sse, EnvelopeJsonWrapsPayloadWithChannelAndOffset) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"env"}, "envelope=json"));
    ASSERT_TRUE(sub.ok());
    srv.publish("env", json{{"k", "v"}}, "named");
    srv.publish("env", "text");
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    auto a = parse_json(sub.events()[0].data);
    EXPECT_EQ(a["channel"], "env");
    EXPECT_EQ(a["offset"], 1);
    EXPECT_EQ(a["event"], "named");
    EXPECT_EQ(a["data"], json({{"k", "v"}}));
    EXPECT_TRUE(a["epoch"].is_string());
    auto b = parse_json(sub.events()[1].data);
    EXPECT_EQ(b["offset"], 2);
    EXPECT_EQ(b["data"], "text");
    EXPECT_FALSE(b.contains("event"));
}

TEST(Sse, UnknownEnvelopeIsA400) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"env"}, "envelope=xml"));
    EXPECT_EQ(sub.status(), 400u);
    auto j = parse_json(sub.error_body());
    EXPECT_NE(j["error"]["message"].get<std::string>().find("xml"), std::string::npos) << j;
}

TEST(Sse, SendsKeepaliveCommentsWhenIdle) {
    auto cfg = test_config();
    cfg.sse.keepalive_ms = 200;
    test_server srv(cfg);
    sse_client sub(srv.public_port(), sse_target({"quiet"}));
    ASSERT_TRUE(sub.ok());
    auto opening = sub.comments();
    // Wait for at least two keepalives; no events are published meanwhile.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sub.comments() < opening + 2 && std::chrono::steady_clock::now() < deadline)
        sub.wait_for([](const auto&) { return false; }, 100ms);
    EXPECT_GE(sub.comments(), opening + 2) << sub.body();
    EXPECT_NE(sub.body().find(": keepalive"), std::string::npos) << sub.body();
    EXPECT_TRUE(sub.events().empty());
    EXPECT_FALSE(sub.closed());
}

TEST(Sse, ServesStreamsOnTheInternalListenerToo) {
    test_server srv;
    sse_client sub(srv.internal_port(), sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    srv.publish("news", "x");
    ASSERT_TRUE(sub.wait_events(1));
    EXPECT_EQ(sub.events()[0].data, "x");
}

TEST(Sse, MissingOrInvalidChannelIsA400) {
    test_server srv;
    sse_client none(srv.public_port(), "/v1/sse");
    EXPECT_EQ(none.status(), 400u);
    EXPECT_EQ(parse_json(none.error_body())["error"]["code"], "missing_channel");
    sse_client bad(srv.public_port(), "/v1/sse?channel=a%20b");
    EXPECT_EQ(bad.status(), 400u);
    auto j = parse_json(bad.error_body());
    EXPECT_EQ(j["error"]["code"], "invalid_channel");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("0x20"), std::string::npos) << j;
}

TEST(SseMultiChannel, DeliversEveryChannelOnOneStreamWithDistinctIds) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"a", "b"}, "envelope=json"));
    ASSERT_TRUE(sub.ok());
    srv.publish("a", "from a");
    srv.publish("b", "from b");
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    std::set<std::string> channels;
    for (const auto& e : sub.events()) channels.insert(parse_json(e.data)["channel"].get<std::string>());
    EXPECT_EQ(channels, (std::set<std::string>{"a", "b"}));
    EXPECT_NE(sub.events()[0].id, sub.events()[1].id);
}

TEST(SseMultiChannel, CursorResumesEveryChannel) {
    test_server srv;
    std::string last;
    {
        sse_client sub(srv.public_port(), sse_target({"a", "b"}, "envelope=json"));
        ASSERT_TRUE(sub.ok());
        srv.publish("a", "a1");
        srv.publish("b", "b1");
        ASSERT_TRUE(sub.wait_events(2));
        last = sub.events().back().id;
    }
    srv.publish("a", "a2");
    srv.publish("b", "b2");
    srv.publish("a", "a3");
    sse_client again(srv.public_port(), sse_target({"a", "b"}, "envelope=json"), {{"Last-Event-ID", last}});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(3)) << again.body();
    std::vector<std::string> a, b;
    for (const auto& e : again.events()) {
        auto j = parse_json(e.data);
        (j["channel"] == "a" ? a : b).push_back(j["data"].get<std::string>());
    }
    EXPECT_EQ(a, (std::vector<std::string>{"a2", "a3"}));
    EXPECT_EQ(b, (std::vector<std::string>{"b2"}));
    // Nothing else: a marker published now is the very next event.
    srv.publish("b", "marker");
    ASSERT_TRUE(again.wait_events(4));
    EXPECT_EQ(parse_json(again.events()[3].data)["data"], "marker");
}

TEST(SseMultiChannel, ChannelOrderInTheQueryDoesNotChangeTheCursor) {
    test_server srv;
    std::string last;
    {
        sse_client sub(srv.public_port(), sse_target({"b", "a"}));
        ASSERT_TRUE(sub.ok());
        srv.publish("a", "a1");
        ASSERT_TRUE(sub.wait_events(1));
        last = sub.events().back().id;
    }
    srv.publish("b", "b1");
    sse_client again(srv.public_port(), sse_target({"a", "b"}), {{"Last-Event-ID", last}});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(1)) << again.body();
    EXPECT_EQ(again.events()[0].data, "b1");
    EXPECT_EQ(again.events()[0].event, "message");
}

}  // namespace
}  // namespace herald::test
