// sidecar/request_parser: what a request keeps of the bytes a client sent (fed straight to the
// parser, as http_session's read does); framing_test covers the same rules over real sockets.
#include "sidecar/request_parser.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

namespace herald::sidecar {
namespace {

namespace http = boost::beast::http;

struct parsed {
    std::array<std::byte, 256> block;  // small: long headers spill to the heap, as in http_session
    std::pmr::monotonic_buffer_resource arena{block.data(), block.size()};
    std::optional<request_parser> parser;
    boost::beast::error_code ec;

    // Feeds `wire` in pieces of `step` bytes (each piece copied to a scratch buffer that is then
    // overwritten, so nothing kept may point into the input) until the request is done or fails.
    explicit parsed(const std::string& wire, std::size_t step = 1 << 20, std::uint64_t body_limit = 1 << 20,
                    std::uint32_t header_limit = 8192) {
        parser.emplace(arena);
        parser->eager(true);
        parser->body_limit(body_limit);
        parser->header_limit(header_limit);
        std::string pending;
        for (std::size_t at = 0; at < wire.size() && !ec && !parser->is_done(); at += step) {
            pending += wire.substr(at, step);
            std::string scratch = pending;
            auto used = parser->put(boost::asio::buffer(scratch), ec);
            if (ec == http::error::need_more) ec = {};
            pending.erase(0, used);
            std::fill(scratch.begin(), scratch.end(), '#');
        }
    }
    const request& req() { return parser->get(); }
};

TEST(RequestParser, KeepsTheRequestLineTheFieldsHeraldReadsAndTheBody) {
    parsed p(
        "POST /v1/channels/news/events?event=x HTTP/1.1\r\n"
        "Host: herald:8081\r\n"
        "Content-Type: application/json\r\n"
        "X-Other: dropped\r\n"
        "idempotency-key: k-1\r\n"
        "LAST-EVENT-ID: e-9\r\n"
        "Authorization: Bearer tok\r\n"
        "Cookie: a=b\r\n"
        "Origin: https://app.example\r\n"
        "Sec-Fetch-Site: same-site\r\n"
        "Content-Length: 11\r\n"
        "\r\n"
        "{\"n\":12345}",
        7);
    ASSERT_FALSE(p.ec) << p.ec.message();
    ASSERT_TRUE(p.parser->is_done());
    const auto& r = p.req();
    EXPECT_EQ(r.method, http::verb::post);
    EXPECT_EQ(r.method_string, "POST");
    EXPECT_EQ(r.target, "/v1/channels/news/events?event=x");
    EXPECT_EQ(r.version, 11u);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.body, "{\"n\":12345}");
    EXPECT_EQ(r.fields.host, "herald:8081");
    EXPECT_EQ(r.fields.hosts, 1u);
    EXPECT_EQ(r.fields.content_type, "application/json");
    EXPECT_EQ(r.fields.idempotency_key, "k-1");
    EXPECT_EQ(r.fields.last_event_id, "e-9");
    EXPECT_EQ(r.fields.authorization, "Bearer tok");
    EXPECT_EQ(r.fields.cookie, "a=b");
    EXPECT_EQ(r.fields.origin, "https://app.example");
    EXPECT_EQ(r.fields.sec_fetch_site, "same-site");
    EXPECT_FALSE(r.fields.has_transfer_encoding);
}

TEST(RequestParser, TheFirstOfARepeatedFieldCountsEvenWhenEmptyAndHostsAreCounted) {
    parsed p(
        "GET /v1/sse?channel=a HTTP/1.1\r\n"
        "Host: one\r\n"
        "Host: two\r\n"
        "Origin:\r\n"
        "Origin: https://evil.example\r\n"
        "Authorization: Bearer first\r\n"
        "Authorization: Bearer second\r\n"
        "\r\n");
    ASSERT_FALSE(p.ec) << p.ec.message();
    const auto& f = p.req().fields;
    EXPECT_EQ(f.hosts, 2u);
    EXPECT_EQ(f.host, "one");
    EXPECT_EQ(f.origin, "");
    EXPECT_NE(f.origin.data(), nullptr);  // present, and empty
    EXPECT_EQ(f.authorization, "Bearer first");
    EXPECT_EQ(f.cookie.data(), nullptr);  // absent
}

TEST(RequestParser, ChunkedBodiesAreJoinedAndTransferEncodingKeepsFirstAndLast) {
    parsed p(
        "POST /v1/publish HTTP/1.1\r\n"
        "Host: h\r\n"
        "Transfer-Encoding: gzip\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "4\r\n{\"a\"\r\n"
        "3\r\n:1}\r\n"
        "0\r\n\r\n",
        5);
    // Beast refuses a coding it cannot decode after chunked is not last; here chunked is last.
    ASSERT_FALSE(p.ec) << p.ec.message();
    const auto& r = p.req();
    EXPECT_EQ(r.body, "{\"a\":1}");
    EXPECT_TRUE(r.fields.has_transfer_encoding);
    EXPECT_EQ(r.fields.transfer_encoding, "gzip");
    EXPECT_EQ(r.fields.transfer_encoding_last, "chunked");
}

TEST(RequestParser, WebSocketUpgradeFieldsAreKept) {
    parsed p(
        "GET /v1/ws?channel=a HTTP/1.1\r\n"
        "Host: h\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n");
    ASSERT_FALSE(p.ec) << p.ec.message();
    const auto& f = p.req().fields;
    EXPECT_EQ(f.upgrade, "websocket");
    EXPECT_EQ(f.connection, "Upgrade");
    EXPECT_EQ(f.sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(f.sec_websocket_version, "13");
}

TEST(RequestParser, KeepAliveFollowsVersionAndConnection) {
    EXPECT_FALSE(parsed("GET / HTTP/1.0\r\n\r\n").req().keep_alive);
    EXPECT_TRUE(parsed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").req().keep_alive);
    EXPECT_FALSE(parsed("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").req().keep_alive);
    EXPECT_EQ(parsed("GET / HTTP/1.0\r\n\r\n").req().version, 10u);
}

TEST(RequestParser, LimitsAreBeastsNamedErrors) {
    parsed big_body("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n", 1 << 20, 10);
    EXPECT_EQ(big_body.ec, http::error::body_limit);
    parsed big_chunks("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
                      1 << 20, 10);
    EXPECT_EQ(big_chunks.ec, http::error::body_limit);
    parsed big_header("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(200, 'x') + "\r\n\r\n", 1 << 20, 1 << 20, 64);
    EXPECT_EQ(big_header.ec, http::error::header_limit);
    parsed garbage("GET / HTTP/1.1\r\nHost h\r\n\r\n");
    EXPECT_TRUE(garbage.ec);
}

TEST(RequestParser, LongFieldsSpillPastTheArenaBlock) {
    const std::string token(2000, 't');
    parsed p("GET /v1/sse HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + token + "\r\nCookie: c=" + token + "\r\n\r\n", 100);
    ASSERT_FALSE(p.ec) << p.ec.message();
    EXPECT_EQ(p.req().fields.authorization, "Bearer " + token);
    EXPECT_EQ(p.req().fields.cookie, "c=" + token);
}

}  // namespace
}  // namespace herald::sidecar
