// HTTP framing over real sockets: HEAD answered with headers only on every route (so keep-alive
// stays in step), Transfer-Encoding that does not end in chunked refused, and exactly one Host.
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

TEST(Framing, HeadGetsHeadersOnlyOnEveryRouteAndKeepAliveStaysInStep) {
    test_server srv;
    srv.publish("news", "x");
    struct route {
        bool internal;
        std::string path;
        unsigned status;
    };
    const std::vector<route> routes = {
        {true, "/healthz", 200},           {true, "/readyz", 200},        {true, "/metrics", 200},
        {true, "/v1/channels", 200},       {true, "/v1/channels/news", 200}, {true, "/v1/channels/news/events", 200},
        {true, "/v1/connections", 200},    {true, "/v1/stats", 200},      {true, "/v1/publish", 405},
        {true, "/nowhere", 404},           {false, "/v1/sse?channel=news", 200}, {false, "/healthz", 200},
    };
    for (const auto& r : routes) {
        raw_connection c(r.internal ? srv.internal_port() : srv.public_port());
        // HEAD then GET on one connection: the GET's reply must be the next thing read.
        ASSERT_TRUE(c.send("HEAD " + r.path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
                           "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        ASSERT_TRUE(c.read_until_contains("{\"status\":\"ok\"}")) << r.path << ": " << c.data();
        std::size_t head_size = 0;
        auto head = parse_head(c.data(), head_size);
        ASSERT_TRUE(head) << r.path;
        EXPECT_EQ(head->status, r.status) << r.path;
        auto rest = c.data().substr(head_size);
        EXPECT_EQ(rest.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r.path << ": a body followed the HEAD reply: " << rest;
        if (r.path.rfind("/v1/sse", 0) != 0) {
            EXPECT_FALSE(head->header("content-length").empty()) << r.path;
        }
    }
}

TEST(Framing, TransferEncodingNotEndingInChunkedIs400AndClosed) {
    test_server srv;
    for (const auto* te : {"gzip", "chunked, gzip", "identity", ""}) {
        raw_connection c(srv.internal_port());
        const std::string body = R"({"channel":"te","data":1})";
        ASSERT_TRUE(c.send(std::string("POST /v1/publish HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: ") + te +
                           "\r\nContent-Type: application/json\r\n\r\n" + body));
        auto r = read_response(c);
        if (std::string_view(te).empty()) continue;  // an empty value is Beast's own 400, if any
        ASSERT_TRUE(r) << te;
        EXPECT_EQ(r->status, 400u) << te;
        EXPECT_TRUE(c.wait_closed()) << te << ": the connection stayed open after a request of unknown length";
    }
    EXPECT_EQ(srv.publish("te", 1)["offset"], 1);  // nothing was published
    raw_connection chunked(srv.internal_port());
    const std::string body = R"({"channel":"te","data":2})";
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    ASSERT_TRUE(chunked.send("POST /v1/publish HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n"
                             "Content-Type: application/json\r\n\r\n" + std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n"));
    auto ok = read_response(chunked);
    ASSERT_TRUE(ok);
    EXPECT_NE(ok->status, 400u);
}

TEST(Framing, MissingOrDuplicateHostIs400) {
    test_server srv;
    for (auto port : {srv.public_port(), srv.internal_port()}) {
        auto none = raw_request(port, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
        ASSERT_TRUE(none);
        EXPECT_EQ(none->status, 400u);
        auto two = raw_request(port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
        ASSERT_TRUE(two);
        EXPECT_EQ(two->status, 400u);
        EXPECT_NE(parse_json(two->body)["error"]["message"].get<std::string>().find("2 Host"), std::string::npos);
    }
    // HTTP/1.0 has no Host requirement.
    auto old = raw_request(srv.public_port(), "GET /healthz HTTP/1.0\r\n\r\n");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->status, 200u);
}

TEST(Framing, WebSocketKeyMustBeBase64Of16Bytes) {
    test_server srv;
    auto r = raw_request(srv.public_port(),
                         "GET /v1/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400u);
    auto no_host = raw_request(srv.public_port(),
                               "GET /v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    ASSERT_TRUE(no_host);
    EXPECT_EQ(no_host->status, 400u);
}

}  // namespace
}  // namespace herald::test
