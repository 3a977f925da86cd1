// Who may talk to herald, over real sockets: the Origin allow-list for cookie tokens (SSE and
// WebSocket), CORS only for listed origins, the internal listener closed to browsers of other
// origins and to foreign Host names (DNS rebinding), and /metrics never naming user: channels.
#include <gtest/gtest.h>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/raw_ws_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"

namespace herald::test {
namespace {

constexpr const char* app_origin = "https://app.example";

config::config cookie_config() {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = {"news"};
    cfg.auth.token_cookie = "herald_token";
    cfg.auth.allowed_origins = {app_origin};
    return cfg;
}

std::string code_of(const std::string& body) { return parse_json(body)["error"].value("code", ""); }

TEST(CookieOrigins, AListedOriginGetsCredentialedCorsAndItsUsersChannel) {
    test_server srv(cookie_config());
    sse_client s(srv.public_port(), sse_target({"user:42"}),
                 {{"Cookie", "herald_token=" + user_token("42")}, {"Origin", "HTTPS://APP.example"}});
    ASSERT_TRUE(s.ok()) << s.error_body();
    EXPECT_EQ(s.header("access-control-allow-origin"), "HTTPS://APP.example");
    EXPECT_EQ(s.header("access-control-allow-credentials"), "true");
    srv.publish("user:42", "private");
    ASSERT_TRUE(s.wait_events(1));
}

TEST(CookieOrigins, ACookieTokenFromAnotherOriginIsRefusedOnSse) {
    test_server srv(cookie_config());
    sse_client evil(srv.public_port(), sse_target({"user:42"}),
                    {{"Cookie", "herald_token=" + user_token("42")}, {"Origin", "https://evil.example"}});
    EXPECT_EQ(evil.status(), 403u);
    EXPECT_EQ(code_of(evil.error_body()), "origin_not_allowed");
    // The refusal itself is not readable by that page: no CORS headers at all.
    EXPECT_EQ(evil.header("access-control-allow-origin"), "");
    EXPECT_EQ(evil.header("access-control-allow-credentials"), "");
    EXPECT_TRUE(srv.wait_metric("herald_auth_refusals_total{reason=\"origin_not_allowed\"}", [](double v) { return v == 1; }));
}

TEST(CookieOrigins, ACookieTokenFromAnotherOriginIsClosedOnWebSocket) {
    test_server srv(cookie_config());
    raw_ws_client evil(srv.public_port(), "/v1/ws?channel=user:42", {}, 0,
                       "Cookie: herald_token=" + user_token("42") + "\r\nOrigin: https://evil.example\r\n");
    ASSERT_TRUE(evil.ok());
    auto close = evil.wait_close();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->close_code(), 4103);
    srv.publish("user:42", "private");
    for (const auto& f : evil.frames()) EXPECT_EQ(f.payload.find("private"), std::string::npos);
    // The same page with the token in the query (not ambient) is a normal subscriber.
    raw_ws_client explicit_token(srv.public_port(), "/v1/ws?channel=news&token=" + user_token("42"), {}, 0,
                                 "Origin: https://evil.example\r\n");
    ASSERT_TRUE(explicit_token.ok());
    EXPECT_TRUE(explicit_token.next_text());  // the subscribed reply
}

TEST(CookieOrigins, SameOriginRequestsWithoutOriginStillWork) {
    test_server srv(cookie_config());
    sse_client s(srv.public_port(), sse_target({"user:42"}), {{"Cookie", "herald_token=" + user_token("42")}});
    EXPECT_TRUE(s.ok()) << s.error_body();
}

TEST(CookieOrigins, UnlistedOriginsGetNoCorsHeadersAndPreflightsGetNoGrant) {
    test_server srv(cookie_config());
    sse_client s(srv.public_port(), sse_target({"news"}), {{"Origin", "https://evil.example"}});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.header("access-control-allow-origin"), "");
    auto pre = raw_request(srv.public_port(),
                           "OPTIONS /v1/sse HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example\r\n"
                           "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(pre);
    EXPECT_EQ(pre->header("access-control-allow-origin"), "");
    EXPECT_EQ(pre->header("access-control-allow-methods"), "");
    auto listed = raw_request(srv.public_port(),
                              std::string("OPTIONS /v1/sse HTTP/1.1\r\nHost: localhost\r\nOrigin: ") + app_origin +
                                  "\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->header("access-control-allow-origin"), app_origin);
    EXPECT_EQ(listed->header("access-control-allow-credentials"), "true");
}

TEST(CookieOrigins, WithoutAnAllowListAnyOriginGetsStarAndNeverCredentials) {
    test_server srv;
    sse_client s(srv.public_port(), sse_target({"news"}), {{"Origin", "https://anyone.example"}});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.header("access-control-allow-origin"), "*");
    EXPECT_EQ(s.header("access-control-allow-credentials"), "");
}

// The internal listener: everything a browser page could try.
std::string get(const std::string& path, const std::string& headers) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "Connection: close\r\n\r\n";
}

TEST(InternalListener, RepliesNeverCarryCors) {
    test_server srv;
    auto r = raw_request(srv.internal_port(), get("/healthz", ""));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->header("access-control-allow-origin"), "");
}

TEST(InternalListener, BrowserRequestsOfOtherOriginsAreRefused) {
    test_server srv;
    srv.publish("secret", "history");
    for (const auto* h : {"Origin: http://evil.example\r\n", "Origin: null\r\n", "Sec-Fetch-Site: cross-site\r\n",
                          "Sec-Fetch-Site: same-site\r\n"}) {
        auto r = raw_request(srv.internal_port(), get("/v1/channels/secret/events", h));
        ASSERT_TRUE(r) << h;
        EXPECT_EQ(r->status, 403u) << h;
        EXPECT_EQ(code_of(r->body), "cross_origin_refused") << h;
        EXPECT_EQ(r->body.find("history"), std::string::npos);
        EXPECT_EQ(r->header("access-control-allow-origin"), "");
    }
    // A form post (the "simple request" a page may send without a preflight) publishes nothing.
    const std::string form = "channel=secret&data=x";
    auto post = raw_request(srv.internal_port(),
                            "POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
                            "Content-Type: text/plain\r\nContent-Length: " +
                                std::to_string(form.size()) + "\r\nConnection: close\r\n\r\n" + form);
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 403u);
    auto pre = raw_request(srv.internal_port(),
                           "OPTIONS /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
                           "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(pre);
    EXPECT_EQ(pre->status, 403u);
    EXPECT_EQ(pre->header("access-control-allow-origin"), "");
    EXPECT_EQ(srv.publish("secret", "second")["offset"], 2);  // nothing was published meanwhile
    // Same-origin and user-typed navigations are not cross-site.
    auto same = raw_request(srv.internal_port(), get("/healthz", "Sec-Fetch-Site: same-origin\r\n"));
    ASSERT_TRUE(same);
    EXPECT_EQ(same->status, 200u);
}

TEST(InternalListener, ABrowserWithAValidApiKeyIsServed) {
    auto cfg = test_config();
    cfg.auth.api_keys = {"k-123"};
    test_server srv(cfg);
    auto with_key = raw_request(srv.internal_port(), get("/v1/stats", "Origin: http://tool.example\r\nAuthorization: Bearer k-123\r\n"));
    ASSERT_TRUE(with_key);
    EXPECT_EQ(with_key->status, 200u);
    auto wrong_key = raw_request(srv.internal_port(), get("/metrics", "Origin: http://tool.example\r\nAuthorization: Bearer nope\r\n"));
    ASSERT_TRUE(wrong_key);
    EXPECT_EQ(wrong_key->status, 403u);
}

TEST(InternalListener, CurlStyleFormPostsWithoutOriginStillPublish) {
    test_server srv;
    const std::string body = R"({"channel":"c","data":1})";
    auto r = raw_request(srv.internal_port(),
                         "POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nUser-Agent: curl/7.88.1\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u) << r->body;
}

TEST(InternalListener, OnlyLoopbackNamesIpLiteralsAndConfiguredHostsAreServed) {
    auto cfg = test_config();
    cfg.internal_hosts = {"herald.internal"};
    test_server srv(cfg);
    for (const auto* host : {"localhost", "localhost:8081", "127.0.0.1", "127.0.0.1:1", "[::1]:8081", "10.1.2.3",
                             "herald.internal", "HERALD.internal:9", "app.localhost"}) {
        auto r = raw_request(srv.internal_port(),
                             std::string("GET /healthz HTTP/1.1\r\nHost: ") + host + "\r\nConnection: close\r\n\r\n");
        ASSERT_TRUE(r) << host;
        EXPECT_EQ(r->status, 200u) << host;
    }
    for (const auto* host : {"evil.example", "evil.example:8081", "127.0.0.1.evil.example", "localhost.evil.example",
                             "herald.internal.evil", "[::1", "127.0.0.1:x"}) {
        auto r = raw_request(srv.internal_port(),
                             std::string("GET /v1/stats HTTP/1.1\r\nHost: ") + host + "\r\nConnection: close\r\n\r\n");
        ASSERT_TRUE(r) << host;
        EXPECT_EQ(r->status, 421u) << host;
        EXPECT_EQ(code_of(r->body), "host_not_allowed") << host;
    }
    // The public listener serves any Host (it sits behind proxies and public names).
    auto pub = raw_request(srv.public_port(), "GET /healthz HTTP/1.1\r\nHost: push.example.com\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(pub);
    EXPECT_EQ(pub->status, 200u);
}

TEST(Metrics, NeverNameUserChannels) {
    test_server srv;
    sse_client personal(srv.public_port(), sse_target({"user:alice"}));
    sse_client personal2(srv.public_port(), sse_target({"user:alice"}));
    sse_client news(srv.public_port(), sse_target({"news"}));
    ASSERT_TRUE(personal.ok() && personal2.ok() && news.ok());
    ASSERT_TRUE(srv.wait_metric("herald_channel_subscribers{channel=\"news\"}", [](double v) { return v == 1; }));
    auto page = srv.request("GET", "/metrics").body;
    EXPECT_EQ(page.find("user:"), std::string::npos) << page;
    EXPECT_EQ(page.find("alice"), std::string::npos);
}

}  // namespace
}  // namespace herald::test
