// Limits over real sockets: 413 for bodies and event data over their limits, 431 for headers,
// 400 for malformed HTTP without harming other clients, a stalled half request closed after
// limits.request_timeout_ms, and limits.max_connections answering 503 JSON until connections close.
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

std::string publish_request(const std::string& body, const std::string& extra_headers = {}) {
    return "POST /v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(Limits, BodyOverMaxBodyBytesIs413) {
    auto cfg = test_config();
    cfg.limits.max_body_bytes = 1024;
    test_server srv(cfg);
    json body{{"channel", "big"}, {"data", std::string(2000, 'x')}};
    auto r = srv.post_json("/v1/publish", body);
    EXPECT_EQ(r.status, 413u) << r.body;
    auto j = parse_json(r.body);
    EXPECT_EQ(j["error"]["code"], "body_too_large");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("1024"), std::string::npos) << j;
    // The server carries on.
    EXPECT_EQ(srv.publish("big", "small")["offset"], 1);
}

TEST(Limits, LargeBodyOverTheLimitStillGetsThe413) {
    // A client that sends a much larger body than allowed must still read the 413, not a reset.
    auto cfg = test_config();
    cfg.limits.max_body_bytes = 1024;
    test_server srv(cfg);
    json body{{"channel", "big"}, {"data", std::string(512 * 1024, 'x')}};
    auto r = srv.post_json("/v1/publish", body);
    EXPECT_EQ(r.status, 413u) << r.body;
}

TEST(Limits, DataOverMaxEventBytesIs413) {
    auto cfg = test_config();
    cfg.limits.max_event_bytes = 100;
    test_server srv(cfg);
    auto r = srv.post_json("/v1/publish", {{"channel", "big"}, {"data", std::string(200, 'y')}});
    EXPECT_EQ(r.status, 413u) << r.body;
    auto j = parse_json(r.body);
    EXPECT_EQ(j["error"]["code"], "data_too_large");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("100"), std::string::npos) << j;
    auto raw = srv.request("POST", "/v1/channels/big/events", std::string(101, 'z'), "text/plain");
    EXPECT_EQ(raw.status, 413u) << raw.body;
    EXPECT_EQ(srv.request("POST", "/v1/channels/big/events", std::string(100, 'z'), "text/plain").status, 200u);
}

TEST(Limits, HeadersOverTheLimitAre431) {
    auto cfg = test_config();
    cfg.limits.max_header_bytes = 2048;
    test_server srv(cfg);
    auto r = raw_request(srv.internal_port(),
                         publish_request(R"({"channel":"a","data":1})", "X-Padding: " + std::string(4000, 'p') + "\r\n"));
    ASSERT_TRUE(r) << "no reply";
    EXPECT_EQ(r->status, 431u);
    EXPECT_EQ(parse_json(r->body)["error"]["code"], "headers_too_large");
    EXPECT_EQ(srv.publish("a", 1)["offset"], 1);
}

TEST(Limits, MalformedHttpIs400AndOthersAreUnaffected) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"ok"}));
    ASSERT_TRUE(sub.ok());
    static constexpr char garbage[] = "\x01\x02\x03 garbage \xff\xfe\r\n\r\n";
    auto r = raw_request(srv.internal_port(), std::string(garbage, sizeof garbage - 1));
    ASSERT_TRUE(r) << "no reply to garbage";
    EXPECT_EQ(r->status, 400u);
    auto j = parse_json(r->body);
    EXPECT_EQ(j["error"]["code"], "bad_request");
    auto bad_version = raw_request(srv.public_port(), "GET / HTTP/9.9\r\n\r\n");
    ASSERT_TRUE(bad_version);
    EXPECT_EQ(bad_version->status, 400u);
    srv.publish("ok", "still fine");
    ASSERT_TRUE(sub.wait_events(1));
    EXPECT_EQ(sub.events()[0].data, "still fine");
}

TEST(Limits, StalledHalfRequestIsClosedAfterTheRequestTimeout) {
    auto cfg = test_config();
    cfg.limits.request_timeout_ms = 300;
    test_server srv(cfg);
    raw_connection stalled(srv.internal_port());
    ASSERT_TRUE(stalled.send("POST /v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Le"));
    // Meanwhile another client publishes normally.
    EXPECT_EQ(srv.publish("t", "meanwhile")["offset"], 1);
    EXPECT_TRUE(stalled.wait_closed(5s)) << "stalled request still open";
    EXPECT_TRUE(srv.wait_metric("herald_request_timeouts_total", [](double v) { return v >= 1; }));
    EXPECT_EQ(srv.publish("t", "after")["offset"], 2);
}

TEST(Limits, IdleKeepAliveConnectionIsClosedAfterTheRequestTimeout) {
    auto cfg = test_config();
    cfg.limits.request_timeout_ms = 300;
    test_server srv(cfg);
    raw_connection c(srv.internal_port());
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto r = read_response(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_TRUE(c.wait_closed(5s));
}

TEST(Limits, KeepAliveServesSeveralRequestsOnOneConnection) {
    test_server srv;
    raw_connection c(srv.internal_port());
    for (int i = 1; i <= 3; ++i) {
        std::string body = R"({"channel":"ka","data":)" + std::to_string(i) + "}";
        ASSERT_TRUE(c.send("POST /v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body));
        auto r = read_response(c);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200u);
        EXPECT_EQ(parse_json(r->body)["offset"], i);
    }
}

TEST(Limits, ConnectionLimitGives503AndRecovers) {
    auto cfg = test_config();
    cfg.limits.max_connections = 3;
    test_server srv(cfg);
    std::vector<std::unique_ptr<raw_connection>> held;
    for (int i = 0; i < 3; ++i) {
        // Each held connection completes a request, so it is surely accepted and counted.
        held.push_back(std::make_unique<raw_connection>(srv.public_port()));
        ASSERT_TRUE(held.back()->send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        auto r = read_response(*held.back());
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200u);
    }
    auto refused = raw_request(srv.public_port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(refused) << "no reply over the connection limit";
    EXPECT_EQ(refused->status, 503u);
    auto j = parse_json(refused->body);
    EXPECT_EQ(j["error"]["code"], "too_many_connections");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("3"), std::string::npos);
    held.pop_back();
    held.pop_back();
    // Once connections close, the server serves again.
    EXPECT_TRUE(eventually([&] {
        auto r = raw_request(srv.public_port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        return r && r->status == 200;
    }));
    EXPECT_TRUE(srv.wait_metric("herald_connections_rejected_total", [](double v) { return v >= 1; }));
}

TEST(Limits, SubscribersFillingThePublicListenerNeverCrowdOutTheInternalOne) {
    auto cfg = test_config();
    cfg.limits.max_connections = 4;
    cfg.limits.max_internal_connections = 8;
    test_server srv(cfg);
    std::vector<std::unique_ptr<sse_client>> subs;
    for (int i = 0; i < 4; ++i) {
        subs.push_back(std::make_unique<sse_client>(srv.public_port(), sse_target({"full"})));
        ASSERT_TRUE(subs.back()->ok());
    }
    auto over = raw_request(srv.public_port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(over);
    EXPECT_EQ(over->status, 503u);
    for (const auto* path : {"/healthz", "/readyz", "/metrics"}) {
        auto r = raw_request(srv.internal_port(),
                             std::string("GET ") + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 200u) << path;
    }
    EXPECT_EQ(srv.publish("full", "still delivered")["offset"], 1);
    ASSERT_TRUE(subs[0]->wait_events(1));
    // The internal listener has its own cap.
    std::vector<std::unique_ptr<raw_connection>> tools;
    for (int i = 0; i < 8; ++i) {
        tools.push_back(std::make_unique<raw_connection>(srv.internal_port()));
        ASSERT_TRUE(tools.back()->send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        ASSERT_TRUE(read_response(*tools.back()));
    }
    auto internal_over =
        raw_request(srv.internal_port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(internal_over);
    EXPECT_EQ(internal_over->status, 503u);
    EXPECT_NE(parse_json(internal_over->body)["error"]["hint"].get<std::string>().find("max_internal_connections"),
              std::string::npos);
}

TEST(Limits, TooManyChannelsOnOneStreamIs400) {
    auto cfg = test_config();
    cfg.limits.max_channels_per_connection = 2;
    test_server srv(cfg);
    sse_client sub(srv.public_port(), sse_target({"a", "b", "c"}));
    EXPECT_EQ(sub.status(), 400u);
    EXPECT_EQ(parse_json(sub.error_body())["error"]["code"], "too_many_channels");
}

}  // namespace
}  // namespace herald::test
