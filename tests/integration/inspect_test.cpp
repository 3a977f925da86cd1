// The inspect API over real sockets: GET /v1/channels (fields, name order, subscribed-only and
// published-only channels, prefix, paging by cursor, bad parameters), GET /v1/channels/{ch}
// (subscribers by transport, position, history, 404/400), GET /v1/channels/{ch}/events (newest by
// default, since=, earliest, limit, JSON and text data, errors, the POST on the same path),
// GET /v1/connections (SSE and WebSocket on both listeners, user filter, limit, closing),
// GET /v1/stats, the API key on every inspect route, and /readyz on both listeners, 503 while
// the server stops.
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

json get_ok(test_server& srv, const std::string& target) {
    auto r = srv.request("GET", target);
    EXPECT_EQ(r.status, 200u) << target << ": " << r.body;
    return parse_json(r.body);
}

// A refused GET: its status, and the error code from the body.
std::pair<unsigned, std::string> get_error(test_server& srv, const std::string& target) {
    auto r = srv.request("GET", target);
    auto j = parse_json(r.body);
    return {r.status, j.is_object() && j.contains("error") ? j["error"].value("code", "") : ""};
}

std::string error_message(test_server& srv, const std::string& target) {
    auto j = parse_json(srv.request("GET", target).body);
    return j.is_object() && j.contains("error") ? j["error"].value("message", "") : "";
}

std::vector<std::string> names_of(const json& list) {
    std::vector<std::string> out;
    for (const auto& c : list["channels"]) out.push_back(c["channel"]);
    return out;
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool wait_subscriptions(test_server& srv, double n) {
    return srv.wait_metric("herald_subscriptions", [n](double v) { return v >= n; });
}

TEST(InspectChannels, ListsPublishedAndSubscribedChannelsInNameOrder) {
    test_server srv;
    srv.publish("prices", 1);
    srv.publish("news", "a");
    srv.publish("news", "b");
    sse_client news(srv.public_port(), sse_target({"news"}));
    sse_client waiting(srv.public_port(), sse_target({"waiting"}));  // subscribed, never published to
    ASSERT_TRUE(news.ok() && waiting.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 2));
    auto j = get_ok(srv, "/v1/channels");
    EXPECT_EQ(names_of(j), (std::vector<std::string>{"news", "prices", "waiting"})) << j.dump();
    EXPECT_TRUE(j["next_cursor"].is_null());
    const auto& n = j["channels"][0];
    EXPECT_EQ(n["subscribers"], 1);
    EXPECT_EQ(n["last_offset"], 2);
    EXPECT_EQ(n["history_size"], 2);
    EXPECT_EQ(n["publishes"], 2);
    EXPECT_TRUE(n["epoch"].is_string() && !n["epoch"].get<std::string>().empty());
    EXPECT_NEAR(static_cast<double>(n["last_published_at"].get<std::int64_t>()), static_cast<double>(now_ms()), 60'000.0);
    EXPECT_EQ(j["channels"][1]["subscribers"], 0);
    const auto& w = j["channels"][2];
    EXPECT_EQ(w["subscribers"], 1);
    EXPECT_EQ(w["last_offset"], 0);
    EXPECT_EQ(w["publishes"], 0);
    EXPECT_TRUE(w["last_published_at"].is_null());
    EXPECT_EQ(w["epoch"], n["epoch"]) << "a channel not yet published to shows the position subscribers start from";
}

TEST(InspectChannels, FiltersByPrefixAndPagesByCursor) {
    test_server srv;
    std::vector<std::string> all;
    for (int i = 0; i < 7; ++i) {
        all.push_back("page." + std::to_string(i));
        srv.publish(all.back(), i);
    }
    srv.publish("other", 0);
    sse_client sub(srv.public_port(), sse_target({"page.3", "page.x"}));  // one held, one subscribed only
    ASSERT_TRUE(sub.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 2));
    all.push_back("page.x");
    EXPECT_EQ(names_of(get_ok(srv, "/v1/channels?prefix=page.")), all);
    EXPECT_EQ(names_of(get_ok(srv, "/v1/channels?prefix=oth")), std::vector<std::string>{"other"});
    EXPECT_TRUE(get_ok(srv, "/v1/channels?prefix=none")["channels"].empty());
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (; pages < 10; ++pages) {
        auto j = get_ok(srv, "/v1/channels?prefix=page.&limit=3" + (cursor.empty() ? "" : "&cursor=" + client::url_encode(cursor)));
        auto page = names_of(j);
        EXPECT_LE(page.size(), 3u);
        seen.insert(seen.end(), page.begin(), page.end());
        if (j["next_cursor"].is_null()) break;
        EXPECT_EQ(j["next_cursor"], page.back());
        cursor = j["next_cursor"];
    }
    EXPECT_EQ(seen, all);
    EXPECT_EQ(pages, 2);  // 8 channels: 3 + 3 + 2
    auto exact = get_ok(srv, "/v1/channels?prefix=page.&limit=8");
    EXPECT_EQ(exact["channels"].size(), 8u);
    EXPECT_TRUE(exact["next_cursor"].is_null()) << "no next page when the last one is exactly full";
}

TEST(InspectChannels, RefusesBadParametersNamingThem) {
    test_server srv;
    for (const auto* t : {"/v1/channels?limit=0", "/v1/channels?limit=1001", "/v1/channels?limit=ten",
                          "/v1/channels?limit=-1"}) {
        EXPECT_EQ(get_error(srv, t), (std::pair<unsigned, std::string>{400, "invalid_parameter"})) << t;
        EXPECT_NE(error_message(srv, t).find("limit"), std::string::npos) << t;
    }
    EXPECT_EQ(get_error(srv, "/v1/channels?prefix=news*"), (std::pair<unsigned, std::string>{400, "invalid_parameter"}));
    EXPECT_NE(error_message(srv, "/v1/channels?prefix=news*").find("prefix"), std::string::npos);
    EXPECT_EQ(get_ok(srv, "/v1/channels?limit=1000")["channels"].size(), 0u);
}

TEST(InspectChannel, ShowsSubscribersByTransportPositionAndHistory) {
    auto cfg = test_config();
    cfg.history.size = 2;
    test_server srv(cfg);
    for (int i = 1; i <= 3; ++i) srv.publish("news", i);
    sse_client s1(srv.public_port(), sse_target({"news"}));
    sse_client s2(srv.internal_port(), sse_target({"news", "other"}));
    ws_client w(srv.public_port(), ws_target({"news"}));
    ASSERT_TRUE(s1.ok() && s2.ok() && w.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 4));
    auto j = get_ok(srv, "/v1/channels/news");
    EXPECT_EQ(j["channel"], "news");
    EXPECT_EQ(j["subscribers"], (json{{"sse", 2}, {"ws", 1}, {"total", 3}})) << j.dump();
    EXPECT_EQ(j["last_offset"], 3);
    EXPECT_EQ(j["first_available"], 2);
    EXPECT_EQ(j["history_size"], 2);
    EXPECT_EQ(j["publishes"], 3);
    EXPECT_TRUE(j["last_published_at"].is_number());
    EXPECT_EQ(j["epoch"], srv.publish("news", 4)["epoch"]);
    auto other = get_ok(srv, "/v1/channels/other");  // subscribers, nothing published
    EXPECT_EQ(other["subscribers"], (json{{"sse", 1}, {"ws", 0}, {"total", 1}}));
    EXPECT_EQ(other["last_offset"], 0);
    EXPECT_EQ(other["first_available"], 1);
    EXPECT_EQ(other["publishes"], 0);
    EXPECT_TRUE(other["last_published_at"].is_null());
    // Channel names may hold ':' and '/'.
    srv.publish("user:42/inbox", "x");
    EXPECT_EQ(get_ok(srv, "/v1/channels/user:42/inbox")["channel"], "user:42/inbox");
}

TEST(InspectChannel, UnknownIsNotFoundAndInvalidIsBadRequest) {
    test_server srv;
    EXPECT_EQ(get_error(srv, "/v1/channels/never"), (std::pair<unsigned, std::string>{404, "channel_not_found"}));
    EXPECT_NE(error_message(srv, "/v1/channels/never").find("'never'"), std::string::npos);
    EXPECT_EQ(get_error(srv, "/v1/channels/a%20b"), (std::pair<unsigned, std::string>{400, "invalid_channel"}));
    auto del = raw_request(srv.internal_port(), "DELETE /v1/channels/news HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 405u);
    EXPECT_EQ(del->header("allow"), "GET");
    // The channel goes once its last subscriber has left and nothing was published to it.
    {
        sse_client s(srv.public_port(), sse_target({"brief"}));
        ASSERT_TRUE(s.ok());
        ASSERT_TRUE(wait_subscriptions(srv, 1));
        EXPECT_EQ(srv.request("GET", "/v1/channels/brief").status, 200u);
    }
    EXPECT_TRUE(eventually([&] { return srv.request("GET", "/v1/channels/brief").status == 404; }));
}

TEST(InspectHistory, ReturnsEventsOldestFirstNewestByDefault) {
    test_server srv;
    srv.publish("news", json{{"n", 1}});
    srv.publish("news", "two", "note");
    srv.request("POST", "/v1/channels/news/events", "line one\nline two", "text/plain");
    srv.publish("news", 4);
    srv.publish("news", json::array({5}));
    auto all = get_ok(srv, "/v1/channels/news/events");
    EXPECT_EQ(all["channel"], "news");
    EXPECT_EQ(all["last_offset"], 5);
    EXPECT_EQ(all["first_available"], 1);
    ASSERT_EQ(all["events"].size(), 5u) << all.dump();
    const auto& e = all["events"];
    EXPECT_EQ(e[0], (json{{"offset", 1}, {"epoch", all["epoch"]}, {"data", {{"n", 1}}}, {"published_at", e[0]["published_at"]}}));
    EXPECT_EQ(e[1]["event"], "note");
    EXPECT_EQ(e[1]["data"], "two");
    EXPECT_FALSE(e[0].contains("event"));
    EXPECT_EQ(e[2]["data"], "line one\nline two");
    EXPECT_EQ(e[4]["data"], json::array({5}));
    auto offsets = [](const json& j) {
        std::vector<int> out;
        for (const auto& ev : j["events"]) out.push_back(ev["offset"]);
        return out;
    };
    EXPECT_EQ(offsets(get_ok(srv, "/v1/channels/news/events?limit=2")), (std::vector<int>{4, 5}));
    EXPECT_EQ(offsets(get_ok(srv, "/v1/channels/news/events?since=2")), (std::vector<int>{3, 4, 5}));
    EXPECT_EQ(offsets(get_ok(srv, "/v1/channels/news/events?since=2&limit=1")), (std::vector<int>{3}));
    EXPECT_EQ(offsets(get_ok(srv, "/v1/channels/news/events?since=earliest&limit=2")), (std::vector<int>{1, 2}));
    EXPECT_EQ(offsets(get_ok(srv, "/v1/channels/news/events?since=5")), std::vector<int>{});
    EXPECT_EQ(offsets(get_ok(srv, "/v1/channels/news/events?since=99")), std::vector<int>{});
}

TEST(InspectHistory, ShowsWhatHistoryStillHolds) {
    auto cfg = test_config();
    cfg.history.size = 3;
    test_server srv(cfg);
    for (int i = 1; i <= 6; ++i) srv.publish("news", i);
    auto j = get_ok(srv, "/v1/channels/news/events?since=earliest");
    EXPECT_EQ(j["first_available"], 4);
    ASSERT_EQ(j["events"].size(), 3u);
    EXPECT_EQ(j["events"][0]["offset"], 4);
    EXPECT_EQ(get_ok(srv, "/v1/channels/news/events?since=1")["events"].size(), 3u);
}

TEST(InspectHistory, RefusesBadParametersAndUnknownChannels) {
    test_server srv;
    srv.publish("news", 1);
    for (const auto* t : {"/v1/channels/news/events?since=abc", "/v1/channels/news/events?since=-1",
                          "/v1/channels/news/events?since="}) {
        EXPECT_EQ(get_error(srv, t), (std::pair<unsigned, std::string>{400, "invalid_parameter"})) << t;
        EXPECT_NE(error_message(srv, t).find("since"), std::string::npos) << t;
    }
    for (const auto* t : {"/v1/channels/news/events?limit=0", "/v1/channels/news/events?limit=5000"}) {
        EXPECT_EQ(get_error(srv, t), (std::pair<unsigned, std::string>{400, "invalid_parameter"})) << t;
        EXPECT_NE(error_message(srv, t).find("limit"), std::string::npos) << t;
    }
    EXPECT_EQ(get_error(srv, "/v1/channels/never/events"), (std::pair<unsigned, std::string>{404, "channel_not_found"}));
    EXPECT_EQ(get_error(srv, "/v1/channels/a%20b/events"), (std::pair<unsigned, std::string>{400, "invalid_channel"}));
    auto put = raw_request(srv.internal_port(), "PUT /v1/channels/news/events HTTP/1.1\r\nHost: localhost\r\n"
                                                "Content-Length: 0\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(put);
    EXPECT_EQ(put->status, 405u);
    EXPECT_EQ(put->header("allow"), "GET, POST");
    // The publish on the same path still works.
    auto posted = srv.request("POST", "/v1/channels/news/events", "hi", "text/plain");
    EXPECT_EQ(posted.status, 200u) << posted.body;
    EXPECT_EQ(get_ok(srv, "/v1/channels/news/events?limit=1")["events"][0]["data"], "hi");
}

TEST(InspectHistory, AChannelWithSubscribersButNoEventsHasEmptyHistory) {
    test_server srv;
    sse_client s(srv.public_port(), sse_target({"quiet"}));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 1));
    auto j = get_ok(srv, "/v1/channels/quiet/events");
    EXPECT_TRUE(j["events"].empty());
    EXPECT_EQ(j["last_offset"], 0);
}

config::config auth_config() {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = {"news"};
    return cfg;
}

TEST(InspectConnections, ListsStreamsOfBothTransportsAndListeners) {
    test_server srv(auth_config());
    const auto before = now_ms();
    sse_client anon(srv.public_port(), sse_target({"news"}));
    ws_client user(srv.public_port(), ws_target({"news"}, "token=" + user_token("42")));
    sse_client tool(srv.internal_port(), sse_target({"news", "ops"}));
    ASSERT_TRUE(anon.ok()) << anon.error_body();
    ASSERT_TRUE(user.ok()) << user.error();
    ASSERT_TRUE(tool.ok()) << tool.error_body();
    ASSERT_TRUE(wait_subscriptions(srv, 5));
    auto j = get_ok(srv, "/v1/connections");
    EXPECT_EQ(j["total"], 3);
    ASSERT_EQ(j["connections"].size(), 3u) << j.dump();
    const auto& c = j["connections"];
    EXPECT_LT(c[0]["id"].get<std::uint64_t>(), c[1]["id"].get<std::uint64_t>());  // oldest first
    EXPECT_LT(c[1]["id"].get<std::uint64_t>(), c[2]["id"].get<std::uint64_t>());
    EXPECT_EQ(c[0]["transport"], "sse");
    EXPECT_EQ(c[0]["listener"], "public");
    EXPECT_TRUE(c[0]["user"].is_null());
    EXPECT_EQ(c[0]["channels"], json::array({"news"}));
    EXPECT_EQ(c[1]["transport"], "ws");
    EXPECT_EQ(c[1]["user"], "42");
    EXPECT_EQ(c[1]["channels"], json::array({"news", "user:42"}));
    EXPECT_EQ(c[2]["transport"], "sse");
    EXPECT_EQ(c[2]["listener"], "internal");
    EXPECT_EQ(c[2]["channels"], json::array({"news", "ops"}));
    for (const auto& x : c) {
        const std::string remote = x["remote"];
        EXPECT_EQ(remote.rfind("127.0.0.1:", 0), 0u) << remote;
        EXPECT_GT(std::stoi(remote.substr(10)), 0) << remote;
        EXPECT_GE(x["connected_at"].get<std::int64_t>(), before - 1000);
        EXPECT_LE(x["connected_at"].get<std::int64_t>(), now_ms() + 1000);
        EXPECT_TRUE(x["outbox_bytes"].is_number_unsigned());
    }
    EXPECT_NE(c[0]["remote"], c[2]["remote"]);

    auto mine = get_ok(srv, "/v1/connections?user=42");
    EXPECT_EQ(mine["total"], 1);
    ASSERT_EQ(mine["connections"].size(), 1u);
    EXPECT_EQ(mine["connections"][0]["transport"], "ws");
    EXPECT_EQ(get_ok(srv, "/v1/connections?user=43")["total"], 0);
    auto first = get_ok(srv, "/v1/connections?limit=1");
    EXPECT_EQ(first["total"], 3);
    ASSERT_EQ(first["connections"].size(), 1u);
    EXPECT_EQ(first["connections"][0]["id"], c[0]["id"]);

    user.close();
    ASSERT_TRUE(user.wait_closed());
    EXPECT_TRUE(eventually([&] { return get_ok(srv, "/v1/connections")["total"] == 2; }));
}

TEST(InspectConnections, RefusesBadParameters) {
    test_server srv;
    EXPECT_EQ(get_error(srv, "/v1/connections?limit=0"), (std::pair<unsigned, std::string>{400, "invalid_parameter"}));
    EXPECT_EQ(get_error(srv, "/v1/connections?user="), (std::pair<unsigned, std::string>{400, "invalid_parameter"}));
    auto none = get_ok(srv, "/v1/connections");
    EXPECT_EQ(none, (json{{"connections", json::array()}, {"total", 0}}));
}

TEST(InspectStats, ReportsProcessTotals) {
    test_server srv;
    sse_client s(srv.public_port(), sse_target({"news", "b"}));
    ws_client w(srv.public_port(), ws_target({"news"}));
    ASSERT_TRUE(s.ok() && w.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 3));
    srv.publish("news", 1);
    srv.publish("c", 1);
    ASSERT_TRUE(s.wait_events(1));
    ASSERT_TRUE(w.wait_events(1));
    auto j = get_ok(srv, "/v1/stats");
    EXPECT_EQ(j["version"], HERALD_VERSION);
    EXPECT_EQ(j["broker"], "memory");
    EXPECT_GE(j["uptime_ms"].get<std::int64_t>(), 0);
    EXPECT_LE(j["started_at"].get<std::int64_t>(), now_ms());
    EXPECT_EQ(j["connections"]["sse"], 1);
    EXPECT_EQ(j["connections"]["ws"], 1);
    EXPECT_GE(j["connections"]["total"].get<int>(), 2);  // this request's own connection too
    EXPECT_EQ(j["channels"], 2);         // with subscribers here: news, b
    EXPECT_EQ(j["broker_channels"], 2);  // published to: news, c
    EXPECT_EQ(j["subscriptions"], 3);
    EXPECT_EQ(j["history_events"], 2);
    EXPECT_EQ(j["publishes"], 2);
    EXPECT_GE(j["deliveries"].get<int>(), 2);
    EXPECT_GT(j["bytes_out"].get<int>(), 0);
    EXPECT_EQ(j["slow_consumer_disconnects"], 0);
    EXPECT_EQ(j["publish_errors"], 0);
}

TEST(InspectAuth, EveryInspectRouteNeedsTheApiKeyButProbesDoNot) {
    auto cfg = test_config();
    cfg.auth.api_keys = {"ops-key"};
    test_server srv(cfg);
    srv.publish("news", 1);
    auto url = *client::parse_url(srv.internal_url());
    for (const auto* t : {"/v1/channels", "/v1/channels/news", "/v1/channels/news/events", "/v1/connections",
                          "/v1/stats"}) {
        auto none = client::http_request(url, "GET", t);
        ASSERT_TRUE(none);
        EXPECT_EQ(none->status, 401u) << t;
        EXPECT_EQ(parse_json(none->body)["error"]["code"], "api_key_required") << t;
        auto wrong = client::http_request(url, "GET", t, {}, {}, {{"Authorization", "Bearer nope"}});
        ASSERT_TRUE(wrong);
        EXPECT_EQ(wrong->status, 401u) << t;
        EXPECT_EQ(parse_json(wrong->body)["error"]["code"], "invalid_api_key") << t;
        auto right = client::http_request(url, "GET", t, {}, {}, {{"Authorization", "Bearer ops-key"}});
        ASSERT_TRUE(right);
        EXPECT_EQ(right->status, 200u) << t << ": " << right->body;
    }
    for (const auto* t : {"/readyz", "/healthz"}) {
        auto r = client::http_request(url, "GET", t);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200u) << t;
    }
}

TEST(InspectRoutes, AreNotServedOnThePublicListener) {
    test_server srv;
    srv.publish("news", 1);
    for (const auto* t : {"/v1/channels", "/v1/channels/news", "/v1/channels/news/events", "/v1/connections",
                          "/v1/stats"}) {
        auto r = srv.request("GET", t, {}, {}, {}, true);
        EXPECT_EQ(r.status, 404u) << t;
    }
}

TEST(Readyz, IsReadyOnBothListenersThenDrainingWhileTheServerStops) {
    auto cfg = test_config();
    cfg.shutdown.drain_window_ms = 10000;  // streams are ended over this window: time to ask
    test_server srv(cfg);
    for (bool on_public : {false, true}) {
        auto r = srv.request("GET", "/readyz", {}, {}, {}, on_public);
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(parse_json(r.body), (json{{"status", "ready"}}));
    }
    // The internal listener stays open until every stream has been told to go; with three streams
    // spread over the window, that is not the moment the stop begins.
    std::vector<std::unique_ptr<sse_client>> streams;
    for (int i = 0; i < 3; ++i) {
        streams.push_back(std::make_unique<sse_client>(srv.public_port(), sse_target({"news"})));
        ASSERT_TRUE(streams.back()->ok());
    }
    auto url = *client::parse_url(srv.internal_url());
    srv.server().stop();  // returns at once; the stop proceeds on the server's threads
    std::optional<client::http_reply> draining;
    EXPECT_TRUE(eventually([&] {
        auto r = client::http_request(url, "GET", "/readyz", {}, {}, {}, 2s);
        if (r && r->status == 503) draining = *r;
        return draining.has_value();
    })) << "/readyz never answered 503 while the server stopped";
    if (draining) {
        EXPECT_EQ(parse_json(draining->body), (json{{"status", "draining"}}));
    }
    srv.server().abort();  // no need to wait out the window
    srv.stop();
}

}  // namespace
}  // namespace herald::test
