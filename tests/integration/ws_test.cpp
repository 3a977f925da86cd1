// WebSocket over real sockets, the happy paths: the opening handshake (and its 400/426 refusals),
// events for the query's channels, subscribe/unsubscribe commands with their ids, resume with
// since {epoch, offset} or a query cursor (replay, reset epoch_changed / history_gone), and SSE
// and WebSocket subscribers of one channel side by side. Protocol violations: ws_protocol_test.
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/raw_ws_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

json subscribe_cmd(const std::string& channel, const json& id, const json& since = nullptr) {
    json j{{"op", "subscribe"}, {"channel", channel}};
    if (!id.is_null()) j["id"] = id;
    if (!since.is_null()) j["since"] = since;
    return j;
}

// Sends a subscribe command and waits for its reply; false (and a test failure) without one.
bool subscribe(ws_client& c, const std::string& channel, const json& id, const json& since = nullptr) {
    c.send_json(subscribe_cmd(channel, id, since));
    auto reply = c.wait_op("subscribed", id);
    EXPECT_TRUE(reply) << "no subscribed reply for " << channel;
    return reply.has_value();
}

std::vector<json> datas(const std::vector<json>& events) {
    std::vector<json> out;
    for (const auto& e : events) out.push_back(e["data"]);
    return out;
}

std::vector<std::uint64_t> offsets(const std::vector<json>& events) {
    std::vector<std::uint64_t> out;
    for (const auto& e : events) out.push_back(e["offset"].get<std::uint64_t>());
    return out;
}

TEST(WebSocket, HandshakeAnswers101WithTheAcceptKeyOfRfc6455) {
    test_server srv;
    raw_ws_client raw(srv.public_port());
    ASSERT_TRUE(raw.ok()) << raw.response().status << " " << raw.response().body;
    EXPECT_EQ(raw.response().header("sec-websocket-accept"), sample_ws_accept);
    EXPECT_EQ(lower(raw.response().header("upgrade")), "websocket");
    EXPECT_NE(lower(raw.response().header("connection")).find("upgrade"), std::string::npos);
    // Beast checks the accept key itself; both listeners serve the upgrade.
    for (auto port : {srv.public_port(), srv.internal_port()}) {
        ws_client c(port);
        ASSERT_TRUE(c.ok()) << c.error();
        EXPECT_EQ(c.status(), 101u);
        c.send_json({{"op", "ping"}, {"id", 1}});
        EXPECT_TRUE(c.wait_op("pong", 1));
    }
    EXPECT_TRUE(srv.wait_metric("herald_ws_connections_total", [](double v) { return v >= 3; }));
}

TEST(WebSocket, HandshakeAcceptsHeaderTokenListsInAnyCase) {
    // As Firefox sends it: "Connection: keep-alive, Upgrade".
    test_server srv;
    raw_connection c(srv.public_port());
    c.send("GET /v1/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
           "Sec-WebSocket-Key: " +
           std::string(sample_ws_key) + "\r\nsec-websocket-version: 13\r\n\r\n");
    std::size_t head_size = 0;
    std::optional<http_response> r;
    ASSERT_TRUE(c.read_until([&](const std::string& d) { return (r = parse_head(d, head_size)).has_value(); }));
    EXPECT_EQ(r->status, 101u) << c.data();
    EXPECT_EQ(r->header("sec-websocket-accept"), sample_ws_accept);
}

TEST(WebSocket, PlainGetWithoutUpgradeHeadersIs400Json) {
    test_server srv;
    auto r = raw_request(srv.public_port(), "GET /v1/ws?channel=news HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(r->header("content-type"), "application/json");
    auto j = parse_json(r->body);
    EXPECT_EQ(j["error"]["code"], "websocket_upgrade_required") << r->body;
    EXPECT_FALSE(j["error"].value("hint", "").empty()) << r->body;
    EXPECT_TRUE(srv.wait_metric("herald_ws_handshake_failures_total", [](double v) { return v >= 1; }));
}

TEST(WebSocket, UnsupportedVersionIs426NamingVersion13) {
    test_server srv;
    auto r = raw_request(srv.public_port(),
                         "GET /v1/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: " +
                             std::string(sample_ws_key) + "\r\nSec-WebSocket-Version: 8\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 426u);
    EXPECT_EQ(r->header("sec-websocket-version"), "13");
    auto j = parse_json(r->body);
    EXPECT_EQ(j["error"]["code"], "unsupported_websocket_version") << r->body;
    EXPECT_NE(j["error"].value("message", "").find("'8'"), std::string::npos) << r->body;
}

TEST(WebSocket, BadQueryIs400BeforeTheUpgrade) {
    test_server srv;
    ws_client bad_channel(srv.public_port(), ws_target({"a b"}));
    EXPECT_FALSE(bad_channel.ok());
    EXPECT_EQ(bad_channel.status(), 400u);
    ws_client bad_since(srv.public_port(), ws_target({"a"}, "since=nonsense"));
    EXPECT_EQ(bad_since.status(), 400u);
    ws_client since_alone(srv.public_port(), ws_target({}, "since=earliest"));
    EXPECT_EQ(since_alone.status(), 400u);
}

TEST(WebSocket, QueryChannelsReceiveEvents) {
    test_server srv;
    ws_client c(srv.public_port(), ws_target({"news", "sport"}));
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.wait_for([](const json& m) { return is_op(m, "subscribed") && m["channel"] == "news"; }));
    ASSERT_TRUE(c.wait_for([](const json& m) { return is_op(m, "subscribed") && m["channel"] == "sport"; }));
    auto r1 = srv.publish("news", json{{"n", 1}});
    auto r2 = srv.publish("sport", "goal", "score");
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    auto news = c.events("news"), sport = c.events("sport");
    ASSERT_EQ(news.size(), 1u);
    ASSERT_EQ(sport.size(), 1u);
    EXPECT_EQ(news[0]["op"], "event");
    EXPECT_EQ(news[0]["offset"], r1["offset"]);
    EXPECT_EQ(news[0]["epoch"], r1["epoch"]);
    EXPECT_TRUE(news[0]["epoch"].is_string());
    EXPECT_EQ(news[0]["data"], json({{"n", 1}}));
    EXPECT_FALSE(news[0].contains("event"));
    EXPECT_EQ(sport[0]["offset"], r2["offset"]);
    EXPECT_EQ(sport[0]["data"], "goal");
    EXPECT_EQ(sport[0]["event"], "score");
}

TEST(WebSocket, SubscribeByCommandReceivesEvents) {
    test_server srv;
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("news", 7));
    auto reply = c.wait_op("subscribed", 7);
    ASSERT_TRUE(reply) << json(c.messages()).dump();
    EXPECT_EQ((*reply)["channel"], "news");
    EXPECT_TRUE((*reply)["epoch"].is_string());
    EXPECT_EQ((*reply)["recovered"], false);
    // A string id comes back as the same string.
    c.send_json(subscribe_cmd("sport", "s-1"));
    reply = c.wait_op("subscribed", "s-1");
    ASSERT_TRUE(reply) << json(c.messages()).dump();
    EXPECT_EQ((*reply)["channel"], "sport");
    srv.publish("news", "hello");
    srv.publish("sport", 42);
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    EXPECT_EQ(c.events("news").at(0)["data"], "hello");
    EXPECT_EQ(c.events("sport").at(0)["data"], 42);
}

TEST(WebSocket, UnsubscribeStopsDelivery) {
    test_server srv;
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(subscribe(c, "a", 1));
    ASSERT_TRUE(subscribe(c, "b", 2));
    srv.publish("a", "before");
    ASSERT_TRUE(c.wait_events(1, "a"));
    c.send_json({{"op", "unsubscribe"}, {"channel", "a"}, {"id", "u"}});
    auto reply = c.wait_op("unsubscribed", "u");
    ASSERT_TRUE(reply) << json(c.messages()).dump();
    EXPECT_EQ((*reply)["channel"], "a");
    // Both publishes reach this connection's shard in order: were "after" delivered, it would come first.
    srv.publish("a", "after");
    srv.publish("b", "marker");
    ASSERT_TRUE(c.wait_events(1, "b"));
    EXPECT_EQ(datas(c.events("a")), std::vector<json>{"before"});
    // Unsubscribing again is an error with the command's id.
    c.send_json({{"op", "unsubscribe"}, {"channel", "a"}, {"id", 3}});
    auto err = c.wait_op("error", 3);
    ASSERT_TRUE(err) << json(c.messages()).dump();
    EXPECT_EQ((*err)["code"], "not_subscribed");
}

TEST(WebSocket, SubscribingTwiceIsAlreadySubscribed) {
    test_server srv;
    ws_client c(srv.public_port(), ws_target({"news"}));
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.wait_op("subscribed"));
    c.send_json(subscribe_cmd("news", 9));
    auto err = c.wait_op("error", 9);
    ASSERT_TRUE(err) << json(c.messages()).dump();
    EXPECT_EQ((*err)["code"], "already_subscribed");
    EXPECT_NE(str_member(*err, "message").find("news"), std::string::npos) << *err;
    // The first subscription still delivers, once.
    srv.publish("news", "x");
    srv.publish("news", "y");
    ASSERT_TRUE(c.wait_events(2));
    EXPECT_EQ(datas(c.events()), (std::vector<json>{"x", "y"}));
}

TEST(WebSocket, ResumeWithSinceReplaysExactlyWhatWasMissedThenGoesLive) {
    test_server srv;
    json last;
    {
        ws_client first(srv.public_port(), ws_target({"r"}));
        ASSERT_TRUE(first.wait_op("subscribed"));
        for (int i = 1; i <= 3; ++i) srv.publish("r", "e" + std::to_string(i));
        ASSERT_TRUE(first.wait_events(3));
        last = first.events().back();
    }
    srv.publish("r", "e4");
    srv.publish("r", "e5");
    ws_client again(srv.public_port());
    ASSERT_TRUE(again.ok()) << again.error();
    again.send_json(subscribe_cmd("r", 1, {{"epoch", last["epoch"]}, {"offset", last["offset"]}}));
    auto reply = again.wait_op("subscribed", 1);
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)["recovered"], true);
    // The reply names where the subscription starts: the next event is offset + 1.
    EXPECT_EQ((*reply)["offset"], 3) << *reply;
    ASSERT_TRUE(again.wait_events(2)) << json(again.messages()).dump();
    srv.publish("r", "live");
    ASSERT_TRUE(again.wait_events(3));
    EXPECT_EQ(datas(again.events()), (std::vector<json>{"e4", "e5", "live"}));
    EXPECT_EQ(offsets(again.events()), (std::vector<std::uint64_t>{4, 5, 6}));
    for (const auto& m : again.messages()) EXPECT_FALSE(is_op(m, "reset")) << m;
}

TEST(WebSocket, ResumingOverAndOverWhilePublishingHasNoGapAndNoDuplicate) {
    // Each connection resumes from the last event the previous one kept, keeps a few and leaves,
    // while a publisher keeps going: replay and live must join without a gap or a repeat.
    auto cfg = test_config();
    cfg.history.size = 2000;
    test_server srv(cfg);
    constexpr std::size_t total = 300;
    std::thread publisher;
    std::vector<json> got;
    json since = {{"offset", 0}};  // no epoch and offset 0: from the earliest event held
    int connections = 0;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (got.size() < total && std::chrono::steady_clock::now() < deadline) {
        ws_client c(srv.public_port());
        ASSERT_TRUE(c.ok()) << c.error();
        ASSERT_TRUE(subscribe(c, "hammer", connections, since));
        if (connections++ == 0)
            publisher = std::thread([&] {
                for (std::size_t i = 1; i <= total; ++i) srv.publish("hammer", i);
            });
        const std::size_t keep = std::min<std::size_t>(1 + connections % 12, total - got.size());
        c.wait_events(keep, {}, 5s);
        auto ev = c.events();
        if (ev.size() > keep) ev.resize(keep);
        for (const auto& m : c.messages()) EXPECT_FALSE(is_op(m, "reset")) << m;
        got.insert(got.end(), ev.begin(), ev.end());
        if (!ev.empty()) since = {{"epoch", ev.back()["epoch"]}, {"offset", ev.back()["offset"]}};
    }
    if (publisher.joinable()) publisher.join();
    ASSERT_EQ(got.size(), total) << "after " << connections << " connections";
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i]["offset"], i + 1) << "at " << i;
        ASSERT_EQ(got[i]["data"], i + 1) << "at " << i;
    }
    EXPECT_GT(connections, 5);
}

TEST(WebSocket, ReplayLongerThanTheOutboxIsPacedNotCutAsASlowConsumer) {
    auto cfg = test_config();
    cfg.limits.outbox_bytes = 64 * 1024;
    test_server srv(cfg);
    const std::string blob(8 * 1024, 'h');
    constexpr std::size_t total = 40;  // 320 KiB of history: five outboxes' worth
    for (std::size_t i = 1; i <= total; ++i) srv.publish("long", blob + std::to_string(i));
    ws_client by_query(srv.public_port(), ws_target({"long"}, "since=earliest"));
    ASSERT_TRUE(by_query.ok()) << by_query.error();
    ws_client by_command(srv.public_port());
    ASSERT_TRUE(by_command.ok()) << by_command.error();
    by_command.send_json(subscribe_cmd("long", 1, {{"offset", 0}}));
    for (auto* c : {&by_query, &by_command}) {
        ASSERT_TRUE(c->wait_events(total, {}, 10s))
            << c->events().size() << " events, closed " << c->close_code().value_or(0) << " " << c->close_reason();
        srv.publish("long", "live");
        ASSERT_TRUE(c->wait_events(total + 1));
        auto ev = c->events();
        for (std::size_t i = 0; i < total; ++i) ASSERT_EQ(ev[i]["data"], blob + std::to_string(i + 1)) << "at " << i;
        EXPECT_EQ(ev[total]["data"], "live");
        EXPECT_FALSE(c->closed());
    }
    EXPECT_EQ(srv.metric("herald_slow_consumer_disconnects_total"), 0.0);
}

TEST(WebSocket, SinceWithAnotherEpochGetsResetEpochChanged) {
    test_server srv;
    auto r = srv.publish("e", "old");
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("e", 1, {{"epoch", "not-this-epoch"}, {"offset", 1}}));
    auto reset = c.wait_op("reset");
    ASSERT_TRUE(reset) << json(c.messages()).dump();
    EXPECT_EQ((*reset)["reason"], "epoch_changed");
    EXPECT_EQ((*reset)["channel"], "e");
    EXPECT_EQ((*reset)["epoch"], r["epoch"]);
    auto msgs = c.messages();
    ASSERT_GE(msgs.size(), 2u);
    EXPECT_TRUE(is_op(msgs[0], "subscribed")) << msgs[0];
    EXPECT_EQ(msgs[0]["recovered"], false);
    // Nothing is replayed from the other epoch; live events follow the reset.
    srv.publish("e", "new");
    ASSERT_TRUE(c.wait_events(1));
    EXPECT_EQ(datas(c.events()), std::vector<json>{"new"});
}

TEST(WebSocket, SinceOlderThanHistoryGetsResetHistoryGone) {
    auto cfg = test_config();
    cfg.history.size = 3;
    test_server srv(cfg);
    std::string epoch;
    for (int i = 1; i <= 8; ++i) epoch = srv.publish("h", i)["epoch"];
    ws_client c(srv.public_port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send_json(subscribe_cmd("h", 1, {{"epoch", epoch}, {"offset", 2}}));
    auto reset = c.wait_op("reset");
    ASSERT_TRUE(reset) << json(c.messages()).dump();
    EXPECT_EQ((*reset)["reason"], "history_gone");
    EXPECT_EQ((*reset)["offset"], 8);
    srv.publish("h", 9);
    ASSERT_TRUE(c.wait_events(1));
    EXPECT_EQ(datas(c.events()), std::vector<json>{9});
    EXPECT_TRUE(srv.wait_metric("herald_resets_total", [](double v) { return v >= 1; }));
}

TEST(WebSocket, QuerySinceTakesTheCursorOfAnSseStream) {
    test_server srv;
    std::string cursor;
    {
        sse_client sse(srv.public_port(), sse_target({"a", "b"}));
        ASSERT_TRUE(sse.ok());
        srv.publish("a", "a1");
        srv.publish("b", "b1");
        ASSERT_TRUE(sse.wait_events(2)) << sse.body();
        cursor = sse.events().back().id;
    }
    ASSERT_FALSE(cursor.empty());
    srv.publish("a", "a2");
    srv.publish("b", "b2");
    ws_client c(srv.public_port(), ws_target({"b", "a"}, "since=" + client::url_encode(cursor)));
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.wait_events(2)) << json(c.messages()).dump();
    srv.publish("a", "a3");
    ASSERT_TRUE(c.wait_events(3));
    EXPECT_EQ(datas(c.events("a")), (std::vector<json>{"a2", "a3"}));
    EXPECT_EQ(datas(c.events("b")), std::vector<json>{"b2"});
    for (const auto& m : c.messages()) {
        EXPECT_FALSE(is_op(m, "reset")) << m;
        if (is_op(m, "subscribed")) {
            EXPECT_EQ(m["recovered"], true) << m;
        }
    }
}

TEST(WebSocket, SseAndWebSocketSubscribersOfOneChannelBothGetTheEvent) {
    test_server srv;
    sse_client sse(srv.public_port(), sse_target({"mixed"}));
    ASSERT_TRUE(sse.ok());
    ws_client ws(srv.public_port(), ws_target({"mixed"}));
    ASSERT_TRUE(ws.wait_op("subscribed")) << ws.error();
    auto r = srv.publish("mixed", json{{"v", 1}});
    EXPECT_EQ(r["delivered_local"], 2) << r;
    ASSERT_TRUE(sse.wait_events(1)) << sse.body();
    ASSERT_TRUE(ws.wait_events(1));
    EXPECT_EQ(sse.events()[0].data, R"({"v":1})");
    EXPECT_EQ(ws.events()[0]["data"], json({{"v", 1}}));
    EXPECT_EQ(ws.events()[0]["offset"], r["offset"]);
}

TEST(WebSocket, ClientCloseIsEchoedAndTheConnectionEnds) {
    test_server srv;
    {
        ws_client c(srv.public_port(), ws_target({"x"}));
        ASSERT_TRUE(c.wait_op("subscribed")) << c.error();
        EXPECT_TRUE(srv.wait_metric("herald_ws_connections_open", [](double v) { return v == 1; }));
        c.close(1000);
        ASSERT_TRUE(c.wait_closed());
        EXPECT_EQ(c.close_code(), 1000);
    }
    EXPECT_TRUE(srv.wait_metric("herald_ws_connections_open", [](double v) { return v == 0; }));
    EXPECT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v == 0; }));
}

}  // namespace
}  // namespace herald::test
