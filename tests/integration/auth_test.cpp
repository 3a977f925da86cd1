// Auth over real sockets: subscriber tokens on SSE and WebSocket (sources, user: channels and
// their isolation, public patterns, every refusal with its status or close code), expiry of open
// streams (notice, herald.disconnect / 4002, refresh), key rotation with secrets and PEM keys,
// API keys on the internal listener, the loopback start-up check, and user disconnect.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

config::config auth_config(std::vector<std::string> public_channels = {"news"}) {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = std::move(public_channels);
    return cfg;
}

std::string with_token(const std::vector<std::string>& channels, const std::string& token) {
    return sse_target(channels, "token=" + client::url_encode(token));
}

std::string error_code(const std::string& body) { return parse_json(body)["error"].value("code", ""); }

std::vector<std::string> datas(const sse_client& s) {
    std::vector<std::string> out;
    for (const auto& e : s.events())
        if (e.event == "message") out.push_back(e.data);
    return out;
}

TEST(AuthOpen, WithoutKeysAnyoneSubscribesAnywhereButATokenIsRefused) {
    test_server srv;
    sse_client any(srv.public_port(), sse_target({"user:42", "secret.things"}));
    EXPECT_TRUE(any.ok()) << any.error_body();
    sse_client with(srv.public_port(), with_token({"news"}, user_token("42")));
    EXPECT_EQ(with.status(), 401u);
    EXPECT_EQ(error_code(with.error_body()), "auth_not_configured") << with.error_body();
}

TEST(AuthSse, UserGetsPersonalAndGrantedChannelsAndNobodyElsesEvents) {
    test_server srv(auth_config());
    sse_client u42(srv.public_port(), with_token({"news", "stocks.aapl"}, user_token("42", {"stocks.*"})));
    ASSERT_TRUE(u42.ok()) << u42.error_body();
    sse_client u43(srv.public_port(), with_token({"news"}, user_token("43")));
    ASSERT_TRUE(u43.ok()) << u43.error_body();
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 5; }));
    srv.publish("user:42", "for 42");
    srv.publish("news", "for all");
    srv.publish("stocks.aapl", "price");
    srv.publish("user:43", "for 43");
    ASSERT_TRUE(u42.wait_events(3)) << u42.body();
    ASSERT_TRUE(u43.wait_events(2)) << u43.body();
    u42.wait_for([](const auto&) { return false; }, 200ms);
    EXPECT_EQ(datas(u42), (std::vector<std::string>{"for 42", "for all", "price"}));
    EXPECT_EQ(datas(u43), (std::vector<std::string>{"for all", "for 43"}));
    EXPECT_EQ(srv.publish("user:42", "again")["delivered_local"], 1);
}

TEST(AuthSse, TokenWithOnlyASubNeedsNoChannelParameter) {
    test_server srv(auth_config());
    sse_client s(srv.public_port(), "/v1/sse?token=" + user_token("7"));
    ASSERT_TRUE(s.ok()) << s.error_body();
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 1; }));
    srv.publish("user:7", "hi");
    ASSERT_TRUE(s.wait_events(1)) << s.body();
    EXPECT_EQ(s.events()[0].data, "hi");
}

TEST(AuthSse, TokenComesFromQueryBearerHeaderOrConfiguredCookie) {
    auto cfg = auth_config();
    cfg.auth.token_cookie = "herald_token";
    cfg.auth.allowed_origins = {"http://app.example"};
    test_server srv(cfg);
    const auto t = user_token("42");
    sse_client by_header(srv.public_port(), sse_target({"user:42"}), {{"Authorization", "Bearer " + t}});
    EXPECT_TRUE(by_header.ok()) << by_header.error_body();
    sse_client by_cookie(srv.public_port(), sse_target({"user:42"}),
                         {{"Cookie", "theme=dark; herald_token=" + t + "; x=1"}, {"Origin", "http://app.example"}});
    EXPECT_TRUE(by_cookie.ok()) << by_cookie.error_body();
    // Cookies carry credentials, so the origin is echoed and credentials allowed (never "*").
    EXPECT_EQ(by_cookie.header("access-control-allow-origin"), "http://app.example");
    EXPECT_EQ(by_cookie.header("access-control-allow-credentials"), "true");
    // A refusal is readable by a credentialed client too (it can tell token_expired from a network error).
    sse_client refused(srv.public_port(), sse_target({"user:42"}),
                       {{"Cookie", "herald_token=" + tamper(t, 5)}, {"Origin", "http://app.example"}});
    EXPECT_EQ(refused.status(), 401u);
    EXPECT_EQ(refused.header("access-control-allow-origin"), "http://app.example");
    EXPECT_EQ(refused.header("access-control-allow-credentials"), "true");
    sse_client other_cookie(srv.public_port(), sse_target({"user:42"}), {{"Cookie", "session=" + t}});
    EXPECT_EQ(other_cookie.status(), 401u);
    EXPECT_EQ(error_code(other_cookie.error_body()), "token_required");
}

TEST(AuthSse, RefusalsCarryStatusCodeAndReason) {
    test_server srv(auth_config());
    struct refusal {
        std::string what, target;
        unsigned status;
        std::string code;
    };
    const auto now = unix_now();
    const std::vector<refusal> cases = {
        {"no token, private channel", sse_target({"stocks.aapl"}), 401, "token_required"},
        {"no token, user channel", sse_target({"user:42"}), 401, "token_required"},
        {"channel not granted", with_token({"stocks.aapl"}, user_token("42", {"weather"})), 403, "forbidden"},
        {"another user's channel", with_token({"user:43"}, user_token("42", {"*", "user:*", "user:43"})), 403, "forbidden"},
        {"wrong secret", with_token({"news"}, user_token("42", {}, "another-secret-another-secret-xx")), 401, "invalid_token"},
        {"expired", with_token({"news"}, hs256_token({{"sub", "42"}, {"exp", now - 5}})), 401, "token_expired"},
        {"not yet valid", with_token({"news"}, hs256_token({{"sub", "42"}, {"nbf", now + 120}})), 401, "token_not_yet_valid"},
        {"alg none", with_token({"news"}, "eyJhbGciOiJub25lIn0.eyJzdWIiOiI0MiJ9."), 401, "invalid_token"},
        {"garbage", with_token({"news"}, "not-a-token"), 401, "invalid_token"},
        {"sub not a channel name", with_token({"news"}, user_token("a b")), 401, "invalid_token"},
    };
    for (const auto& c : cases) {
        sse_client s(srv.public_port(), c.target);
        EXPECT_EQ(s.status(), c.status) << c.what << ": " << s.error_body();
        EXPECT_EQ(error_code(s.error_body()), c.code) << c.what << ": " << s.error_body();
        if (c.status == 401) {
            EXPECT_NE(s.header("www-authenticate").find("Bearer"), std::string::npos) << c.what;
        }
    }
    EXPECT_TRUE(srv.wait_metric("herald_auth_refusals_total{reason=\"forbidden\"}", [](double v) { return v == 2; }));
    EXPECT_TRUE(srv.wait_metric("herald_auth_refusals_total{reason=\"invalid_token\"}", [](double v) { return v == 4; }));
}

TEST(AuthSse, TamperingAnyByteOfTheTokenIsRefused) {
    test_server srv(auth_config());
    const auto t = user_token("42", {"stocks.*"});
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '.') continue;
        sse_client s(srv.public_port(), with_token({"news"}, tamper(t, i)));
        EXPECT_EQ(s.status(), 401u) << "byte " << i << " of " << t.size() << ": " << s.error_body();
    }
    sse_client good(srv.public_port(), with_token({"news"}, t));
    EXPECT_TRUE(good.ok()) << good.error_body();
}

TEST(AuthSse, ExpiringTokenGetsNoticeThenDisconnectWithCursorAndResumes) {
    auto cfg = auth_config();
    cfg.auth.expiring_notice_ms = 1500;
    test_server srv(cfg);
    sse_client s(srv.public_port(), with_token({"news"}, hs256_token({{"sub", "42"}, {"exp", unix_now() + 3}})));
    ASSERT_TRUE(s.ok()) << s.error_body();
    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 2; }));
    srv.publish("user:42", "before");
    auto notice = s.wait_for([](const auto& e) { return e.event == "herald.auth_expiring"; }, 5s);
    ASSERT_TRUE(notice) << s.body();
    EXPECT_GT(parse_json(notice->data)["exp"].get<std::int64_t>(), 0);
    auto bye = s.wait_for([](const auto& e) { return e.event == "herald.disconnect"; }, 5s);
    ASSERT_TRUE(bye) << s.body();
    auto d = parse_json(bye->data);
    EXPECT_EQ(d["code"], 4002);
    EXPECT_EQ(d["name"], "token_expired");
    EXPECT_EQ(d["reconnect"], true);
    EXPECT_TRUE(s.wait_closed(3s));
    EXPECT_TRUE(srv.wait_metric("herald_tokens_expired_total", [](double v) { return v == 1; }));
    // A fresh token resumes from the cursor the goodbye carried: nothing is lost in between.
    srv.publish("user:42", "while away");
    sse_client again(srv.public_port(),
                     with_token({"news"}, user_token("42")) + "&since=" + client::url_encode(d["cursor"].get<std::string>()));
    ASSERT_TRUE(again.ok()) << again.error_body();
    ASSERT_TRUE(again.wait_events(1)) << again.body();
    EXPECT_EQ(datas(again), (std::vector<std::string>{"while away"}));
}

TEST(AuthWs, UserChannelIsSubscribedAndIsolated) {
    test_server srv(auth_config());
    ws_client w42(srv.public_port(), "/v1/ws?channel=news&token=" + user_token("42"));
    ws_client w43(srv.public_port(), "/v1/ws?token=" + user_token("43"));
    ASSERT_TRUE(w42.ok() && w43.ok());
    ASSERT_TRUE(w42.wait_for([](const json& m) { return m["op"] == "subscribed" && m["channel"] == "user:42"; }));
    ASSERT_TRUE(w43.wait_for([](const json& m) { return m["op"] == "subscribed" && m["channel"] == "user:43"; }));
    srv.publish("user:42", "for 42");
    srv.publish("user:43", "for 43");
    ASSERT_TRUE(w42.wait_events(1, "user:42"));
    ASSERT_TRUE(w43.wait_events(1, "user:43"));
    EXPECT_TRUE(w43.events("user:42").empty());
    // Asking for someone else's channel is an error reply; the connection stays.
    w43.send_json({{"op", "subscribe"}, {"channel", "user:42"}, {"id", 1}});
    auto err = w43.wait_op("error", 1);
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "forbidden");
    w43.send_json({{"op", "subscribe"}, {"channel", "stocks.x"}, {"id", 2}});
    ASSERT_TRUE(w43.wait_op("error", 2));
    EXPECT_EQ((*w43.wait_op("error", 2))["code"], "forbidden");
    w43.send_json({{"op", "subscribe"}, {"channel", "news"}, {"id", 3}});
    EXPECT_TRUE(w43.wait_op("subscribed", 3));
    EXPECT_FALSE(w43.closed());
}

TEST(AuthWs, SubscribingTheUserChannelWithSinceReplacesTheAutomaticSubscription) {
    test_server srv(auth_config());
    auto first = srv.publish("user:42", "one");
    srv.publish("user:42", "two");
    ws_client w(srv.public_port(), "/v1/ws?token=" + user_token("42"));
    ASSERT_TRUE(w.wait_op("subscribed"));
    w.send_json({{"op", "subscribe"}, {"channel", "user:42"}, {"id", 1},
                 {"since", {{"epoch", first["epoch"]}, {"offset", 1}}}});
    auto ok = w.wait_op("subscribed", 1);
    ASSERT_TRUE(ok) << (w.wait_op("error", 1) ? w.wait_op("error", 1)->dump() : "");
    EXPECT_EQ((*ok)["recovered"], true);
    ASSERT_TRUE(w.wait_events(1, "user:42"));
    srv.publish("user:42", "three");
    ASSERT_TRUE(w.wait_events(2, "user:42"));
    auto evs = w.events("user:42");
    EXPECT_EQ(evs[0]["data"], "two");
    EXPECT_EQ(evs[1]["data"], "three");
    // Once explicit, it is an ordinary subscription: a second subscribe is a conflict.
    w.send_json({{"op", "subscribe"}, {"channel", "user:42"}, {"id", 2}});
    EXPECT_EQ((*w.wait_op("error", 2))["code"], "already_subscribed");
}

TEST(AuthWs, RefusedHandshakesCloseWithACodeAndReason) {
    test_server srv(auth_config());
    ws_client bad(srv.public_port(), "/v1/ws?channel=news&token=" + tamper(user_token("42"), 40));
    ASSERT_TRUE(bad.ok());
    ASSERT_TRUE(bad.wait_closed());
    EXPECT_EQ(bad.close_code(), 4100);
    EXPECT_NE(bad.close_reason().find("token"), std::string::npos) << bad.close_reason();
    ws_client expired(srv.public_port(), "/v1/ws?token=" + hs256_token({{"sub", "42"}, {"exp", unix_now() - 1}}));
    ASSERT_TRUE(expired.wait_closed());
    EXPECT_EQ(expired.close_code(), 4002);
    ws_client forbidden(srv.public_port(), "/v1/ws?channel=user:43&token=" + user_token("42"));
    ASSERT_TRUE(forbidden.wait_closed());
    EXPECT_EQ(forbidden.close_code(), 4100);
    EXPECT_NE(forbidden.close_reason().find("user:43"), std::string::npos) << forbidden.close_reason();
    ws_client anonymous_private(srv.public_port(), "/v1/ws?channel=stocks.x");
    ASSERT_TRUE(anonymous_private.wait_closed());
    EXPECT_EQ(anonymous_private.close_code(), 4100);
}

TEST(AuthWs, ExpiryClosesWith4002AndRefreshKeepsTheConnection) {
    auto cfg = auth_config();
    cfg.auth.expiring_notice_ms = 1500;
    test_server srv(cfg);
    const auto short_token = hs256_token({{"sub", "42"}, {"exp", unix_now() + 2}});
    ws_client expiring(srv.public_port(), "/v1/ws?token=" + short_token);
    ws_client renewed(srv.public_port(), "/v1/ws?token=" + short_token);
    ASSERT_TRUE(expiring.ok() && renewed.ok());
    ASSERT_TRUE(renewed.wait_op("subscribed"));
    // A bad refresh is an error reply and changes nothing; one for another user is forbidden.
    renewed.send_json({{"op", "refresh"}, {"id", 1}, {"token", "junk"}});
    EXPECT_EQ((*renewed.wait_op("error", 1))["code"], "invalid_token");
    renewed.send_json({{"op", "refresh"}, {"id", 2}, {"token", user_token("43")}});
    EXPECT_EQ((*renewed.wait_op("error", 2))["code"], "forbidden");
    renewed.send_json({{"op", "refresh"}, {"id", 3}, {"token", user_token("42")}});
    auto ok = renewed.wait_op("refreshed", 3);
    ASSERT_TRUE(ok);
    EXPECT_GT((*ok)["exp"].get<std::int64_t>(), unix_now() + 60);
    EXPECT_TRUE(expiring.wait_op("auth_expiring", nullptr, 5s));
    ASSERT_TRUE(expiring.wait_closed(6s));
    EXPECT_EQ(expiring.close_code(), 4002);
    EXPECT_FALSE(renewed.closed());
    srv.publish("user:42", "still here");
    EXPECT_TRUE(renewed.wait_events(1, "user:42"));
}

TEST(AuthWs, RefreshWithNarrowerChannelsDropsWhatIsNoLongerGranted) {
    test_server srv(auth_config());
    ws_client w(srv.public_port(), "/v1/ws?channel=stocks.aapl&token=" + user_token("42", {"stocks.*"}));
    ASSERT_TRUE(w.wait_for([](const json& m) { return m["op"] == "subscribed" && m["channel"] == "stocks.aapl"; }));
    w.send_json({{"op", "refresh"}, {"id", 1}, {"token", user_token("42", {"weather"})}});
    ASSERT_TRUE(w.wait_op("refreshed", 1));
    auto dropped = w.wait_for([](const json& m) { return m["op"] == "unsubscribed" && m["channel"] == "stocks.aapl"; });
    ASSERT_TRUE(dropped);
    EXPECT_EQ((*dropped)["reason"], "forbidden");
    srv.publish("stocks.aapl", 1);
    srv.publish("user:42", "mine");
    ASSERT_TRUE(w.wait_events(1, "user:42"));
    EXPECT_TRUE(w.events("stocks.aapl").empty());
}

TEST(AuthKeys, RotationAcceptsEveryConfiguredSecretAndPemKey) {
    auto dir = std::filesystem::temp_directory_path() / ("herald-keys-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto k1 = write_ec_key_pair(dir.string(), "2026-10");
    auto k2 = write_ec_key_pair(dir.string(), "2026-11");
    auto removed = write_ec_key_pair(dir.string(), "old");
    auto cfg = auth_config();
    cfg.auth.jwt_secrets = {"old-secret-old-secret-old-secret-1", "new-secret-new-secret-new-secret-2"};
    cfg.auth.jwt_public_key_files = {k1.public_path, k2.public_path};
    test_server srv(cfg);
    for (const auto& [what, token] : std::vector<std::pair<std::string, std::string>>{
             {"old secret", user_token("1", {}, "old-secret-old-secret-old-secret-1")},
             {"new secret", user_token("1", {}, "new-secret-new-secret-new-secret-2")},
             {"key 2026-10 by kid", es256_token(k1.private_path, {{"sub", "1"}}, "2026-10")},
             {"key 2026-11 by kid", es256_token(k2.private_path, {{"sub", "1"}}, "2026-11")},
             {"key 2026-11 without kid", es256_token(k2.private_path, {{"sub", "1"}}, "")}}) {
        sse_client s(srv.public_port(), with_token({"news"}, token));
        EXPECT_TRUE(s.ok()) << what << ": " << s.error_body();
    }
    sse_client gone(srv.public_port(), with_token({"news"}, es256_token(removed.private_path, {{"sub", "1"}}, "old")));
    EXPECT_EQ(gone.status(), 401u);
    EXPECT_NE(gone.error_body().find("signature does not verify"), std::string::npos) << gone.error_body();
    std::filesystem::remove_all(dir);
}

TEST(AuthKeys, AnUnreadableKeyFileStopsStartUpNamingIt) {
    auto cfg = auth_config();
    cfg.auth.jwt_public_key_files = {"/nonexistent/keys/k.pem"};
    auto log = std::make_shared<spdlog::logger>("t");
    log->set_level(spdlog::level::off);
    try {
        sidecar::server s(cfg, log);
        FAIL() << "a missing key file must stop start-up";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/keys/k.pem"), std::string::npos) << e.what();
    }
}

TEST(AuthApiKeys, InternalListenerNeedsAKeyExceptForProbesAndMetrics) {
    auto cfg = test_config();
    cfg.auth.api_keys = {"key-one", "key-two"};
    test_server srv(cfg);
    auto url = *client::parse_url(srv.internal_url());
    const std::string body = R"({"channel":"news","data":1})";
    auto none = client::http_request(url, "POST", "/v1/publish", body, "application/json");
    EXPECT_EQ(none->status, 401u);
    EXPECT_EQ(error_code(none->body), "api_key_required");
    auto wrong = client::http_request(url, "POST", "/v1/publish", body, "application/json", {{"Authorization", "Bearer key-three"}});
    EXPECT_EQ(wrong->status, 401u);
    EXPECT_EQ(error_code(wrong->body), "invalid_api_key");
    for (const char* k : {"key-one", "key-two"}) {
        auto ok = client::http_request(url, "POST", "/v1/publish", body, "application/json",
                                       {{"Authorization", std::string("Bearer ") + k}});
        EXPECT_EQ(ok->status, 200u) << ok->body;
    }
    EXPECT_EQ(client::http_request(url, "GET", "/healthz")->status, 200u);
    EXPECT_EQ(client::http_request(url, "GET", "/metrics")->status, 200u);
    // Streams on the internal listener are for trusted tools: the key opens every channel.
    sse_client tool(srv.internal_port(), sse_target({"user:42", "anything"}), {{"Authorization", "Bearer key-two"}});
    EXPECT_TRUE(tool.ok()) << tool.error_body();
    sse_client no_key(srv.internal_port(), sse_target({"news"}));
    EXPECT_EQ(no_key.status(), 401u);
    EXPECT_TRUE(srv.wait_metric("herald_auth_refusals_total{reason=\"invalid_api_key\"}", [](double v) { return v == 1; }));
}

TEST(AuthApiKeys, InternalListenerOffLoopbackWithoutAKeyIsAStartUpError) {
    auto cfg = test_config();
    cfg.internal_address = "0.0.0.0:0";
    auto log = std::make_shared<spdlog::logger>("t");
    log->set_level(spdlog::level::off);
    try {
        sidecar::server s(cfg, log);
        FAIL() << "must refuse to start";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("--api-key"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
    }
    cfg.auth.api_keys = {"k"};
    EXPECT_NO_THROW(sidecar::server(cfg, log));
}

TEST(AuthUsers, DisconnectEndsEveryConnectionOfThatUserOnly) {
    auto cfg = auth_config();
    cfg.auth.api_keys = {"admin"};
    test_server srv(cfg);
    sse_client tab1(srv.public_port(), with_token({"news"}, user_token("42")));
    sse_client tab2(srv.public_port(), with_token({}, user_token("42")));
    ws_client phone(srv.public_port(), "/v1/ws?token=" + user_token("42"));
    sse_client other(srv.public_port(), with_token({"news"}, user_token("43")));
    ASSERT_TRUE(tab1.ok() && tab2.ok() && phone.ok() && other.ok());
    ASSERT_TRUE(phone.wait_op("subscribed"));
    auto r = srv.request("POST", "/v1/users/42/disconnect");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(parse_json(r.body)["disconnected"], 3);
    for (auto* tab : {&tab1, &tab2}) {
        auto bye = tab->wait_for([](const auto& e) { return e.event == "herald.disconnect"; });
        ASSERT_TRUE(bye) << tab->body();
        EXPECT_EQ(parse_json(bye->data)["code"], 4102);
        EXPECT_EQ(parse_json(bye->data)["reconnect"], false);
        EXPECT_TRUE(tab->wait_closed());
    }
    ASSERT_TRUE(phone.wait_closed());
    EXPECT_EQ(phone.close_code(), 4102);
    srv.publish("news", "still");
    EXPECT_TRUE(other.wait_events(1)) << other.body();
    EXPECT_FALSE(other.closed());
    EXPECT_EQ(parse_json(srv.request("POST", "/v1/users/nobody/disconnect").body)["disconnected"], 0);
    EXPECT_EQ(srv.request("POST", "/v1/users/a%20b/disconnect").status, 400u);
    auto url = *client::parse_url(srv.internal_url());
    EXPECT_EQ(client::http_request(url, "POST", "/v1/users/43/disconnect")->status, 401u);
}

}  // namespace
}  // namespace herald::test
