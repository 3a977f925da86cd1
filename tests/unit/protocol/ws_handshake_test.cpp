// protocol/ws_handshake: which upgrade requests are accepted (as browsers send them, tokens in any
// case and in lists), the refusal for each missing piece (400, or 426 for another protocol
// version) with a message naming the bad value, and Sec-WebSocket-Accept against RFC 6455's example.
#include "lib/protocol/ws_handshake.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::protocol {
namespace {

ws_upgrade_headers browser_request() {
    ws_upgrade_headers h;
    h.method = "GET";
    h.version = 11;
    h.upgrade = "websocket";
    h.connection = "Upgrade";
    h.key = "dGhlIHNhbXBsZSBub25jZQ==";
    h.ws_version = "13";
    return h;
}

TEST(WsHandshake, AcceptsABrowserUpgrade) { EXPECT_FALSE(check_ws_upgrade(browser_request())); }

TEST(WsHandshake, MatchesTokensInAnyCaseAndInLists) {
    auto h = browser_request();
    h.upgrade = "WebSocket";
    h.connection = "keep-alive, Upgrade";  // as Firefox sends it
    EXPECT_FALSE(check_ws_upgrade(h));
    h.connection = "upgrade";
    h.upgrade = "h2c , websocket";
    EXPECT_FALSE(check_ws_upgrade(h));
    h.connection = "\tUPGRADE\t,close";
    EXPECT_FALSE(check_ws_upgrade(h));
}

TEST(WsHandshake, AcceptsNewerHttpVersions) {
    auto h = browser_request();
    h.version = 20;
    EXPECT_FALSE(check_ws_upgrade(h));
}

TEST(WsHandshake, RefusesOtherMethods) {
    auto h = browser_request();
    h.method = "POST";
    auto e = check_ws_upgrade(h);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "websocket_upgrade_required");
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(e->message, "a WebSocket upgrade must be a GET, got POST");
    EXPECT_FALSE(e->hint.empty());
}

TEST(WsHandshake, RefusesHttp10) {
    auto h = browser_request();
    h.version = 10;
    auto e = check_ws_upgrade(h);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(e->message, "a WebSocket upgrade needs HTTP/1.1");
}

TEST(WsHandshake, RefusesAMissingOrOtherUpgrade) {
    auto h = browser_request();
    h.upgrade = "";
    auto e = check_ws_upgrade(h);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(e->message, "this is not a WebSocket upgrade: the Upgrade header is ''");
    h.upgrade = "h2c";
    ASSERT_TRUE(check_ws_upgrade(h));
    h.upgrade = "websockets";  // a token, not a prefix
    ASSERT_TRUE(check_ws_upgrade(h));
}

TEST(WsHandshake, RefusesAConnectionHeaderWithoutUpgrade) {
    auto h = browser_request();
    h.connection = "keep-alive";
    auto e = check_ws_upgrade(h);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(e->message, "the Connection header must include 'Upgrade', got 'keep-alive'");
    h.connection = "upgrade-insecure";
    EXPECT_TRUE(check_ws_upgrade(h));
}

TEST(WsHandshake, RefusesOtherProtocolVersionsWith426) {
    for (const char* v : {"8", "12", "", "13 "}) {
        auto h = browser_request();
        h.ws_version = v;
        auto e = check_ws_upgrade(h);
        ASSERT_TRUE(e) << "'" << v << "'";
        EXPECT_EQ(e->code, "unsupported_websocket_version");
        EXPECT_EQ(e->status, 426);
        EXPECT_EQ(e->message, "Sec-WebSocket-Version '" + std::string(v) + "' is not supported");
    }
}

TEST(WsHandshake, RefusesKeysThatAreNot16BytesOfBase64) {
    for (const char* key : {"", "short==", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=x",
                            "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZSE=",
                            "!!!!!!!!!!!!!!!!!!!!!!==", "dGhlIHNhbXBsZSBub25jZR==", "dGhl IHNhbXBsZSBub25jZQ=="}) {
        auto h = browser_request();
        h.key = key;
        auto e = check_ws_upgrade(h);
        ASSERT_TRUE(e) << "'" << key << "'";
        EXPECT_EQ(e->status, 400);
        EXPECT_EQ(e->message, "Sec-WebSocket-Key '" + std::string(key) + "' is not 16 bytes in base64");
    }
}

TEST(WsHandshake, ComputesTheAcceptKeyOfRfc6455) {
    EXPECT_EQ(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    EXPECT_EQ(ws_accept_key(""), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
    EXPECT_EQ(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==").size(), 28u);
}

}  // namespace
}  // namespace herald::protocol
