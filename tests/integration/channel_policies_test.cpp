// Channel policies by pattern over real sockets: per-pattern history size and age on the memory
// broker and on Redis (a real redis-server), public: true / false for SSE and WebSocket with JWT
// auth on, a SIGHUP reload of the config file changing a policy, the policy shown by
// GET /v1/channels/{ch} and by `herald channels inspect`, and check-config naming bad entries.
// Test thread only; every server runs on its own I/O threads (or as a process).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "tests/support/cli_support.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"
#include "tests/support/temp_file.hpp"

namespace herald::test {
namespace {

config::channel_rule rule(std::string pattern) {
    config::channel_rule r;
    r.pattern = std::move(pattern);
    return r;
}

config::config with_rules(std::vector<config::channel_rule> rules, config::config cfg = test_config()) {
    cfg.channels = std::move(rules);
    return cfg;
}

json history(test_server& srv, const std::string& channel) {
    auto r = srv.request("GET", "/v1/channels/" + client::url_encode(channel) + "/events?since=earliest");
    EXPECT_EQ(r.status, 200u) << r.body;
    return parse_json(r.body);
}

std::vector<int> offsets(const json& h) {
    std::vector<int> out;
    for (const auto& e : h["events"]) out.push_back(e["offset"].get<int>());
    return out;
}

json inspect(test_server& srv, const std::string& channel) {
    auto r = srv.request("GET", "/v1/channels/" + client::url_encode(channel));
    EXPECT_EQ(r.status, 200u) << r.body;
    return parse_json(r.body);
}

TEST(ChannelPolicies, APatternKeepsItsHistorySizeWhileOtherChannelsKeepTheDefault) {
    auto r = rule("short:*");
    r.history_size = 3;
    test_server srv(with_rules({r}));
    for (int i = 1; i <= 5; ++i) {
        srv.publish("short:a", i);
        srv.publish("long", i);
    }
    EXPECT_EQ(offsets(history(srv, "short:a")), (std::vector<int>{3, 4, 5}));
    EXPECT_EQ(offsets(history(srv, "long")), (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(ChannelPolicies, APatternsHistoryTtlExpiresItsEventsOnly) {
    auto r = rule("brief:*");
    r.history_ttl_ms = 1000;
    test_server srv(with_rules({r}));
    srv.publish("brief:x", 1);
    srv.publish("kept", 1);
    EXPECT_EQ(offsets(history(srv, "brief:x")), (std::vector<int>{1}));
    std::this_thread::sleep_for(1300ms);
    auto h = history(srv, "brief:x");
    EXPECT_TRUE(h["events"].empty()) << h.dump();
    EXPECT_EQ(h["first_available"], 2);
    EXPECT_EQ(offsets(history(srv, "kept")), (std::vector<int>{1}));
}

TEST(ChannelPolicies, InspectShowsThePolicyAndThePatternThatMatched) {
    auto r = rule("prices:*");
    r.history_size = 7;
    r.history_ttl_ms = 30000;
    r.public_channel = true;
    auto cfg = with_rules({r});
    cfg.history.max_bytes = 500000;
    test_server srv(cfg);
    srv.publish("prices:aapl", 1);
    srv.publish("news", 1);
    EXPECT_EQ(inspect(srv, "prices:aapl")["policy"],
              json::parse(R"({"pattern":"prices:*","history_size":7,"history_ttl_ms":30000,
                              "history_max_bytes":500000,"public":true,"keyed":false,
                              "slow_consumer":"disconnect"})"));
    auto news = inspect(srv, "news");
    EXPECT_EQ(news["policy"], json::parse(R"({"pattern":null,"history_size":100,"history_ttl_ms":600000,
                                              "history_max_bytes":500000,"public":false,"keyed":false,
                                              "slow_consumer":"disconnect"})"));
    EXPECT_EQ(news["last_offset"], 1);  // the members before it are unchanged
}

config::config auth_with_rules(std::vector<config::channel_rule> rules) {
    auto cfg = with_rules(std::move(rules));
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = {"news", "closed:*"};
    return cfg;
}

TEST(ChannelPolicies, PublicTrueNeedsNoTokenAndPublicFalseOverridesThePublicPatterns) {
    auto open = rule("open:*");
    open.public_channel = true;
    auto closed = rule("closed:*");
    closed.public_channel = false;
    test_server srv(auth_with_rules({open, closed}));
    sse_client anyone(srv.public_port(), sse_target({"open:a"}));
    ASSERT_TRUE(anyone.ok()) << anyone.error_body();
    sse_client refused(srv.public_port(), sse_target({"closed:a"}));
    EXPECT_EQ(refused.status(), 401u) << refused.error_body();
    EXPECT_EQ(parse_json(refused.error_body())["error"]["code"], "token_required");
    sse_client news(srv.public_port(), sse_target({"news"}));  // no entry matches: the public pattern
    EXPECT_TRUE(news.ok()) << news.error_body();
    sse_client other(srv.public_port(), sse_target({"other"}));
    EXPECT_EQ(other.status(), 401u);
    // A token granting the channel still opens it.
    sse_client granted(srv.public_port(),
                       sse_target({"closed:a"}, "token=" + client::url_encode(user_token("9", {"closed:*"}))));
    EXPECT_TRUE(granted.ok()) << granted.error_body();

    ws_client ws_anyone(srv.public_port(), "/v1/ws?channel=open:a");
    EXPECT_TRUE(ws_anyone.wait_op("subscribed"));
    ws_client ws_refused(srv.public_port(), "/v1/ws?channel=closed:a");
    ASSERT_TRUE(ws_refused.wait_closed());
    EXPECT_EQ(ws_refused.close_code(), 4100);

    // The subscribe command decides by the same policy.
    ws_client ws_cmd(srv.public_port(), "/v1/ws?channel=open:a");
    ASSERT_TRUE(ws_cmd.wait_op("subscribed"));
    ws_cmd.send_json(json{{"op", "subscribe"}, {"channel", "closed:b"}, {"id", 7}});
    auto err = ws_cmd.wait_op("error", 7);
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "token_required") << err->dump();
    ws_cmd.send_json(json{{"op", "subscribe"}, {"channel", "open:b"}, {"id", 8}});
    EXPECT_TRUE(ws_cmd.wait_op("subscribed", 8));

    ASSERT_TRUE(srv.wait_metric("herald_subscriptions", [](double v) { return v >= 6; }));
    srv.publish("open:a", "hello");
    ASSERT_TRUE(anyone.wait_events(1)) << anyone.body();
    EXPECT_EQ(anyone.events()[0].data, "hello");
    EXPECT_TRUE(ws_anyone.wait_events(1, "open:a"));
}

TEST(ChannelPolicies, UserChannelsStayPrivateUnderAPublicWildcard) {
    auto all = rule("*");
    all.public_channel = true;
    test_server srv(auth_with_rules({all}));
    sse_client anyone(srv.public_port(), sse_target({"anything"}));
    EXPECT_TRUE(anyone.ok()) << anyone.error_body();
    sse_client user(srv.public_port(), sse_target({"user:42"}));
    EXPECT_EQ(user.status(), 401u) << user.error_body();
}

// --- the config file and the process ---------------------------------------------------------

json get_json(unsigned short port, const std::string& target) {
    auto r = raw_request(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_TRUE(r);
    return r ? parse_json(r->body) : json();
}

TEST(ChannelPoliciesServe, SighupChangesAPolicyAndLogsWhatChanged) {
    temp_file cfg(R"({"public":"127.0.0.1:0","internal":"127.0.0.1:0",
                      "channels":[{"pattern":"p:*","history_size":2}]})");
    process p({"serve", "--config", cfg.path()});
    ASSERT_TRUE(p.wait_err("subscribe: curl")) << p.err();
    EXPECT_NE(p.err().find("channel policy channels[0]: p:* (history_size 2)"), std::string::npos) << p.err();
    const auto internal = internal_port_from_log(p.err());
    const auto url = "http://127.0.0.1:" + std::to_string(internal);
    auto publish = [&](int n) {
        for (int i = 0; i < n; ++i)
            ASSERT_EQ(run_herald({"publish", "p:a", std::to_string(i), "--url", url}, {}, {}, quick).exit_code, 0);
    };
    publish(4);
    EXPECT_EQ(get_json(internal, "/v1/channels/p:a")["history_size"], 2);
    cfg.write(R"({"public":"127.0.0.1:0","internal":"127.0.0.1:0",
                  "channels":[{"pattern":"p:*","history_size":4},{"pattern":"q","public":true}]})");
    p.kill(SIGHUP);
    ASSERT_TRUE(p.wait_err("settings reloaded")) << p.err();
    EXPECT_NE(p.err().find("channel policy changed: p:* (history_size 2) -> p:* (history_size 4)"), std::string::npos)
        << p.err();
    EXPECT_NE(p.err().find("channel policy added as channels[1]: q (public)"), std::string::npos) << p.err();
    EXPECT_EQ(get_json(internal, "/v1/channels/p:a")["policy"]["history_size"], 4);
    publish(3);
    auto h = get_json(internal, "/v1/channels/p:a/events?since=earliest");
    ASSERT_EQ(h["events"].size(), 4u) << h.dump();
    EXPECT_EQ(h["events"][0]["offset"], 4);
    // A bad entry refuses the whole reload, naming it.
    cfg.write(R"({"channels":[{"pattern":"p:*","history_size":1},{"pattern":"x","conflate":"100ms"}]})");
    p.kill(SIGHUP);
    ASSERT_TRUE(p.wait_err("nothing changed")) << p.err();
    EXPECT_NE(p.err().find("channels[1].conflate"), std::string::npos) << p.err();
    EXPECT_EQ(get_json(internal, "/v1/channels/p:a")["policy"]["history_size"], 4);
    p.kill(SIGTERM);
    EXPECT_EQ(p.wait(quick).exit_code, 0);
}

TEST(ChannelPoliciesServe, CheckConfigReportsEveryBadEntryWithItsPath) {
    temp_file cfg(R"({"channels":[{"pattern":"a:*","history_ttl":"forever"},
                                  {"pattern":"user:*","public":true},
                                  {"pattern":"b","slow_consumer":"drop_everything","history_size":0}]})");
    auto r = run_herald({"check-config", cfg.path()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    for (const auto* key : {"channels[0].history_ttl: got forever", "channels[1].public: got true",
                            "channels[2].slow_consumer", "channels[2].history_size: got 0"})
        EXPECT_NE(r.err.find(key), std::string::npos) << key << "\n" << r.err;
    EXPECT_NE(r.err.find("4 problem(s)"), std::string::npos) << r.err;
    temp_file good(R"({"channels":[{"pattern":"prices:*","history_size":500,"history_ttl":"30s","public":true}]})");
    auto ok = run_herald({"check-config", good.path()}, {}, {}, quick);
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    EXPECT_NE(ok.out.find("prices:* (history_size 500, history_ttl 30000 ms, public)"), std::string::npos) << ok.out;
    auto as_json = run_herald({"check-config", good.path(), "--json"}, {}, {}, quick);
    EXPECT_EQ(parse_json(as_json.out)["channels"], json::array({"prices:* (history_size 500, history_ttl 30000 ms, public)"}));
}

TEST(ChannelPoliciesCli, ChannelsInspectShowsThePolicy) {
    auto r = rule("prices:*");
    r.history_size = 7;
    r.history_ttl_ms = 30000;
    r.public_channel = true;
    test_server srv(with_rules({r}));
    srv.publish("prices:aapl", 1);
    srv.publish("news", 1);
    auto out = run_herald({"channels", "inspect", "prices:aapl", "--url", srv.internal_url()}, {}, {}, quick);
    ASSERT_EQ(out.exit_code, 0) << describe(out);
    EXPECT_NE(out.out.find("policy           channels entry prices:*\n"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("history limits   7 events, 30000 ms, 1048576 bytes\n"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("public           yes (no token needed)\n"), std::string::npos) << out.out;
    auto plain = run_herald({"channels", "inspect", "news", "--url", srv.internal_url()}, {}, {}, quick);
    ASSERT_EQ(plain.exit_code, 0) << describe(plain);
    EXPECT_NE(plain.out.find("policy           global settings (no channels entry matches)\n"), std::string::npos)
        << plain.out;
    EXPECT_NE(plain.out.find("history limits   100 events, 600000 ms, 1048576 bytes\n"), std::string::npos)
        << plain.out;
    EXPECT_NE(plain.out.find("public           no\n"), std::string::npos) << plain.out;
    auto as_json = run_herald({"channels", "inspect", "prices:aapl", "--json", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(parse_json(as_json.out)["policy"]["pattern"], "prices:*");
}

// --- Redis --------------------------------------------------------------------------------------

class ChannelPoliciesRedis : public ::testing::Test {
protected:
    void SetUp() override {
        if (!redis_server::available()) GTEST_SKIP() << redis_server::skip_reason();
        ASSERT_TRUE(redis_.start()) << "redis-server did not start";
    }
    config::config node_config(std::vector<config::channel_rule> rules) {
        auto cfg = with_rules(std::move(rules));
        cfg.broker = "redis://127.0.0.1:" + std::to_string(redis_.port());
        return cfg;
    }
    redis_server redis_;
};

TEST_F(ChannelPoliciesRedis, HistorySizeAndTtlFollowThePatternOnEveryNode) {
    auto short_rule = rule("short:*");
    short_rule.history_size = 3;
    auto brief = rule("brief:*");
    brief.history_ttl_ms = 1000;
    test_server a(node_config({short_rule, brief})), b(node_config({short_rule, brief}));
    for (int i = 1; i <= 5; ++i) {
        a.publish("short:a", i);
        a.publish("long", i);
    }
    b.publish("brief:x", 1);
    EXPECT_EQ(offsets(history(b, "short:a")), (std::vector<int>{3, 4, 5}));
    EXPECT_EQ(offsets(history(b, "long")), (std::vector<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(inspect(b, "short:a")["policy"]["pattern"], "short:*");
    std::this_thread::sleep_for(1300ms);
    EXPECT_TRUE(history(a, "brief:x")["events"].empty());
    EXPECT_EQ(offsets(history(a, "long")).size(), 5u);
}

TEST_F(ChannelPoliciesRedis, AReloadedPolicyReachesThePublishScript) {
    auto short_rule = rule("short:*");
    short_rule.history_size = 3;
    test_server a(node_config({short_rule}));
    for (int i = 1; i <= 4; ++i) a.publish("short:a", i);
    EXPECT_EQ(offsets(history(a, "short:a")), (std::vector<int>{2, 3, 4}));
    short_rule.history_size = 1;
    auto next = node_config({short_rule});
    next.public_address = a.cfg().public_address;
    next.internal_address = a.cfg().internal_address;
    a.server().reload(next);
    a.publish("short:a", 5);
    EXPECT_EQ(offsets(history(a, "short:a")), (std::vector<int>{5}));
}

}  // namespace
}  // namespace herald::test
