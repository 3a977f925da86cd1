// Presence on one node, over real sockets: GET /v1/presence and its pages count users' streams and
// channels' subscribers (and forget them after the debounce window), `herald presence` shows the
// same, and channels with occupancy: true send herald.occupancy to SSE and WebSocket subscribers,
// coalesced and only on change, without moving the stream's position.
#include <gtest/gtest.h>

#include "tests/support/cli_support.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

config::config presence_config() {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = {"news", "live:*"};
    cfg.webhooks.debounce_ms = 300;
    cfg.presence.occupancy_interval_ms = 200;
    config::channel_rule live;
    live.pattern = "live:*";
    live.occupancy = true;
    cfg.channels.push_back(live);
    return cfg;
}

json get_json(test_server& srv, const std::string& target) {
    auto r = srv.request("GET", target);
    EXPECT_EQ(r.status, 200u) << target << ": " << r.body;
    return parse_json(r.body);
}

std::map<std::string, std::uint64_t> users_of(const json& page) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& u : page["users"]) out[u["user"].get<std::string>()] = u["streams"].get<std::uint64_t>();
    return out;
}

// The newest herald.occupancy count the stream has received (reading what has arrived first).
std::optional<std::uint64_t> last_occupancy(sse_client& c) {
    c.wait_events(c.events().size() + 1, 20ms);
    std::optional<std::uint64_t> n;
    for (const auto& e : c.events())
        if (e.event == "herald.occupancy") n = parse_json(e.data)["subscribers"].get<std::uint64_t>();
    return n;
}

TEST(Presence, CountsStreamsPerUserAndSubscribersPerChannelAndForgetsThemAfterTheDebounce) {
    test_server srv(presence_config());
    auto token = [](const std::string& sub) { return client::header_list{{"Authorization", "Bearer " + user_token(sub)}}; };
    auto a1 = std::make_unique<sse_client>(srv.public_port(), sse_target({"news"}), token("alice"));
    auto a2 = std::make_unique<sse_client>(srv.public_port(), sse_target({"news"}), token("alice"));
    sse_client b(srv.public_port(), sse_target({}), token("bob"));
    ASSERT_TRUE(a1->ok() && a2->ok() && b.ok());
    ASSERT_TRUE(eventually([&] { return users_of(get_json(srv, "/v1/presence")) == std::map<std::string, std::uint64_t>{{"alice", 2}, {"bob", 1}}; }))
        << get_json(srv, "/v1/presence").dump();
    auto summary = get_json(srv, "/v1/presence");
    EXPECT_EQ(summary["store"], "memory");
    EXPECT_EQ(summary["node"].get<std::string>().size(), 16u);
    EXPECT_GE(summary["position"].get<std::uint64_t>(), 2u);
    bool news_seen = false;
    for (const auto& c : summary["channels"])
        if (c["channel"] == "news") news_seen = c["subscribers"] == 2;
    EXPECT_TRUE(news_seen) << summary.dump();

    // Paging by name: one user per page, in byte order, each once.
    auto p1 = get_json(srv, "/v1/presence/users?limit=1");
    ASSERT_EQ(p1["users"].size(), 1u);
    EXPECT_EQ(p1["users"][0]["user"], "alice");
    EXPECT_EQ(p1["next_cursor"], "alice");
    auto p2 = get_json(srv, "/v1/presence/users?limit=1&cursor=alice");
    ASSERT_EQ(p2["users"].size(), 1u);
    EXPECT_EQ(p2["users"][0]["user"], "bob");
    EXPECT_TRUE(p2["next_cursor"].is_null());
    EXPECT_EQ(srv.request("GET", "/v1/presence/users?limit=0").status, 400u);
    EXPECT_EQ(srv.request("GET", "/v1/presence?limit=x").status, 400u);
    EXPECT_EQ(srv.request("GET", "/v1/presence", {}, {}, {}, true).status, 404u);  // never on the public listener

    // One of alice's two streams ends: she stays, with one. Both end: gone after the window.
    a1.reset();
    ASSERT_TRUE(eventually([&] { return users_of(get_json(srv, "/v1/presence"))["alice"] == 1; }));
    a2.reset();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(users_of(get_json(srv, "/v1/presence")).count("alice"), 1u) << "gone before the debounce window";
    ASSERT_TRUE(eventually([&] { return users_of(get_json(srv, "/v1/presence")).count("alice") == 0; }));
    EXPECT_EQ(users_of(get_json(srv, "/v1/presence")), (std::map<std::string, std::uint64_t>{{"bob", 1}}));
}

TEST(Presence, OccupancyReachesSseAndWebSocketSubscribersOnlyWhenTheCountChanges) {
    test_server srv(presence_config());
    sse_client first(srv.public_port(), sse_target({"live:match"}));
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first.wait_for([](const auto& e) { return e.event == "herald.occupancy"; }).has_value()) << first.body();
    EXPECT_EQ(last_occupancy(first), 1u);
    ws_client second(srv.public_port(), ws_target({"live:match"}));
    ASSERT_TRUE(second.wait_op("subscribed"));
    ASSERT_TRUE(eventually([&] { return last_occupancy(first) == 2u; })) << first.body();
    auto ws_count = second.wait_op("occupancy");
    ASSERT_TRUE(ws_count.has_value());
    EXPECT_EQ((*ws_count)["channel"], "live:match");
    ASSERT_TRUE(eventually([&] {
        for (const auto& m : second.messages())
            if (is_op(m, "occupancy") && m["subscribers"] == 2) return true;
        return false;
    }));
    // No change, no event: a few intervals pass quietly.
    const auto seen = first.events().size();
    std::this_thread::sleep_for(700ms);
    first.wait_events(seen + 1, 10ms);
    EXPECT_EQ(first.events().size(), seen) << first.body();
    // Events keep their positions: the occupancy notice carries no id.
    srv.publish("live:match", "goal");
    ASSERT_TRUE(first.wait_for([](const auto& e) { return e.data == "goal"; }).has_value());
    EXPECT_EQ(first.body().find("\nevent: herald.occupancy"), first.body().find("\n\nevent: herald.occupancy") + 1)
        << "herald.occupancy must not follow an id: line\n" << first.body();
    // A channel without occupancy gets none.
    sse_client plain(srv.public_port(), sse_target({"news"}));
    ASSERT_TRUE(plain.ok());
    std::this_thread::sleep_for(500ms);
    plain.wait_events(1, 10ms);
    EXPECT_FALSE(last_occupancy(plain).has_value()) << plain.body();
    EXPECT_GE(srv.metric("herald_occupancy_notices_total").value_or(0), 3);
}

TEST(Presence, OccupancyGoesDownWhenSubscribersLeave) {
    test_server srv(presence_config());
    sse_client stay(srv.public_port(), sse_target({"live:x"}));
    ASSERT_TRUE(stay.ok());
    {
        sse_client leave1(srv.public_port(), sse_target({"live:x"}));
        sse_client leave2(srv.public_port(), sse_target({"live:x"}));
        ASSERT_TRUE(eventually([&] { return last_occupancy(stay) == 3u; })) << stay.body();
    }
    ASSERT_TRUE(eventually([&] { return last_occupancy(stay) == 1u; }, 5s)) << stay.body();
}

TEST(Presence, TheCliShowsTheSameAsTheApi) {
    test_server srv(presence_config());
    sse_client a(srv.public_port(), sse_target({"live:a"}), {{"Authorization", "Bearer " + user_token("carol")}});
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(eventually([&] { return users_of(get_json(srv, "/v1/presence")).count("carol") == 1; }));
    process table({"presence", "--url", srv.internal_url()});
    auto r = table.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("USER"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("carol"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("live:a"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(store memory)"), std::string::npos) << r.out;
    process js({"presence", "users", "--all", "--limit", "1", "--json", "--url", srv.internal_url()});
    r = js.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto pages = json_lines(r.out);
    ASSERT_FALSE(pages.empty()) << r.out;
    EXPECT_EQ(pages[0]["users"][0]["user"], "carol");
    process bad({"presence", "people", "--url", srv.internal_url()});
    r = bad.wait(quick);
    EXPECT_NE(r.exit_code, 0);
    process bad_limit({"presence", "--limit", "5000", "--url", srv.internal_url()});
    r = bad_limit.wait(quick);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--limit"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace herald::test
