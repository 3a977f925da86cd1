// Lifecycle webhooks end to end, with a real HTTP receiver playing the app: one user.online when a
// user's first stream opens and one user.offline after the last one closes (none when they come
// back within the debounce window), channel.occupied/vacated, signed bodies, retries while the app
// is down with nothing lost, a resync when it stays down, and on Redis the same across two nodes,
// including a node killed with SIGKILL (its users go offline within the stated bound) and the
// presence snapshot agreeing with what the webhooks said.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>

#include "lib/presence/webhook_signature.hpp"
#include "tests/support/cli_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/webhook_receiver.hpp"

namespace herald::test {
namespace {

constexpr const char* secret = "webhook-secret-for-tests";

config::config hook_config(const webhook_receiver& app) {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = {"room:*"};
    cfg.webhooks.urls = {app.url()};
    cfg.webhooks.secret = secret;
    cfg.webhooks.debounce_ms = 400;
    cfg.webhooks.retry_min_ms = 50;
    cfg.webhooks.retry_max_ms = 200;
    config::channel_rule users;  // user:* channels say what user.* says already
    users.pattern = "user:*";
    users.webhooks = false;
    cfg.channels.push_back(users);
    return cfg;
}

client::header_list as(const std::string& user) { return {{"Authorization", "Bearer " + user_token(user)}}; }

// Every item the app acknowledged (2xx), in arrival order, each id once.
std::vector<json> delivered(const webhook_receiver& app) {
    std::vector<json> items;
    std::set<std::string> ids;
    for (const auto& r : app.requests()) {
        if (r.answered < 200 || r.answered > 299) continue;
        const auto body = parse_json(r.body);
        for (const auto& e : body["events"])
            if (ids.insert(e["id"].get<std::string>()).second) items.push_back(e);
    }
    return items;
}

// "type subject" of every delivered item but resyncs, e.g. "user.online alice".
std::vector<std::string> said(const webhook_receiver& app) {
    std::vector<std::string> out;
    for (const auto& e : delivered(app)) {
        if (e["type"] == "resync") continue;
        out.push_back(e["type"].get<std::string>() + " " + e.value("user", e.value("channel", std::string())));
    }
    return out;
}

bool wait_said(const webhook_receiver& app, std::size_t n, std::chrono::milliseconds timeout = 5s) {
    return eventually([&] { return said(app).size() >= n; }, timeout);
}

using lines = std::vector<std::string>;

// Transitions decided together (a user's last stream and its channels) arrive in position order,
// which is not the order of this list.
lines sorted(lines l) {
    std::sort(l.begin(), l.end());
    return l;
}

std::string dump(const webhook_receiver& app) {
    std::string out;
    for (const auto& r : app.requests()) out += "\n" + std::to_string(r.answered) + " " + r.body;
    return out;
}

TEST(LifecycleWebhooks, OneOnlineAndOneOfflineAfterTheLastStreamClosesSigned) {
    webhook_receiver app;
    test_server srv(hook_config(app));
    auto tab1 = std::make_unique<sse_client>(srv.public_port(), sse_target({"room:1"}), as("alice"));
    ASSERT_TRUE(tab1->ok());
    ASSERT_TRUE(wait_said(app, 2)) << dump(app);
    auto tab2 = std::make_unique<sse_client>(srv.public_port(), sse_target({"room:1"}), as("alice"));
    ASSERT_TRUE(tab2->ok());
    tab1.reset();
    std::this_thread::sleep_for(600ms);  // past the window: alice still has tab2
    EXPECT_EQ(said(app), (lines{"user.online alice", "channel.occupied room:1"}));
    tab2.reset();
    ASSERT_TRUE(wait_said(app, 4)) << app.request_count();
    EXPECT_EQ(sorted(said(app)), sorted({"user.online alice", "channel.occupied room:1", "user.offline alice", "channel.vacated room:1"}));

    // Every POST is signed over its exact body; another secret does not verify it.
    const auto requests = app.requests();
    ASSERT_FALSE(requests.empty());
    for (const auto& r : requests) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.target, "/hooks");
        EXPECT_EQ(r.header("Content-Type"), "application/json");
        EXPECT_EQ(presence::verify_webhook(secret, r.header("Herald-Signature"), r.body, unix_now(), 300),
                  presence::signature_check::valid)
            << r.header("Herald-Signature");
        EXPECT_EQ(presence::verify_webhook("other", r.header("Herald-Signature"), r.body, unix_now(), 300),
                  presence::signature_check::mismatch);
    }
    // Items carry ids, per-node sequence numbers and rising positions; a one-node herald starts
    // with a resync (it cannot know who was there before it started).
    auto items = delivered(app);
    ASSERT_GE(items.size(), 5u);
    EXPECT_EQ(items[0]["type"], "resync");
    EXPECT_EQ(items[0]["reason"], "started");
    std::uint64_t last_seq = 0, last_position = 0;
    for (const auto& e : items) {
        EXPECT_EQ(e["id"], e["node"].get<std::string>() + "-" + std::to_string(e["node_seq"].get<std::uint64_t>()));
        EXPECT_GT(e["node_seq"].get<std::uint64_t>(), last_seq);
        last_seq = e["node_seq"];
        if (e["type"] == "resync") continue;
        EXPECT_GT(e["position"].get<std::uint64_t>(), last_position);
        last_position = e["position"];
    }
    auto presence = parse_json(srv.request("GET", "/v1/presence").body);
    EXPECT_GE(presence["position"].get<std::uint64_t>(), last_position);  // user:* transitions are not sent
    EXPECT_TRUE(presence["users"].empty());
    ASSERT_EQ(presence["webhooks"].size(), 1u);
    EXPECT_EQ(presence["webhooks"][0]["last_delivered_position"], last_position);
}

TEST(LifecycleWebhooks, AReloadWithinTheDebounceWindowSendsNothing) {
    webhook_receiver app;
    test_server srv(hook_config(app));
    auto tab = std::make_unique<sse_client>(srv.public_port(), sse_target({"room:2"}), as("bob"));
    ASSERT_TRUE(wait_said(app, 2));
    for (int i = 0; i < 3; ++i) {  // three reloads, each back within 100 ms
        tab.reset();
        std::this_thread::sleep_for(100ms);
        tab = std::make_unique<sse_client>(srv.public_port(), sse_target({"room:2"}), as("bob"));
        ASSERT_TRUE(tab->ok());
    }
    std::this_thread::sleep_for(900ms);
    EXPECT_EQ(said(app), (lines{"user.online bob", "channel.occupied room:2"}));
}

TEST(LifecycleWebhooks, ItemsWaitWhileTheAppIsDownAndArriveInOrderAfterwards) {
    webhook_receiver app;
    test_server srv(hook_config(app));
    ASSERT_TRUE(app.wait_for([](const auto& r) { return !r.empty(); }, 5s));  // the start-up resync
    app.go_down();
    {
        sse_client carol(srv.public_port(), sse_target({}), as("carol"));
        ASSERT_TRUE(carol.ok());
        std::this_thread::sleep_for(200ms);
    }
    sse_client dave(srv.public_port(), sse_target({}), as("dave"));
    ASSERT_TRUE(dave.ok());
    std::this_thread::sleep_for(800ms);  // carol's window passes while the app is down
    ASSERT_TRUE(srv.wait_metric("herald_webhook_failures_total", [](double v) { return v >= 1; }));
    app.come_back();
    ASSERT_TRUE(wait_said(app, 3));
    EXPECT_EQ(said(app), (lines{"user.online carol", "user.online dave", "user.offline carol"}));
    EXPECT_GE(srv.metric("herald_webhook_retries_total").value_or(0), 1);
    EXPECT_EQ(srv.metric("herald_webhook_queue_depth").value_or(-1), 0);
}

TEST(LifecycleWebhooks, AnAppFailingPastTheGiveUpLimitGetsOneResync) {
    webhook_receiver app;
    auto cfg = hook_config(app);
    cfg.webhooks.give_up_ms = 500;
    test_server srv(cfg);
    ASSERT_TRUE(app.wait_for([](const auto& r) { return !r.empty(); }, 5s));
    app.set_status(500);
    std::vector<std::unique_ptr<sse_client>> users;
    for (int i = 0; i < 5; ++i) users.push_back(std::make_unique<sse_client>(srv.public_port(), sse_target({}), as("u" + std::to_string(i))));
    ASSERT_TRUE(srv.wait_metric("herald_webhook_resyncs_total", [](double v) { return v >= 1; }, 10s));
    app.set_status(200);
    ASSERT_TRUE(eventually([&] {
        for (const auto& e : delivered(app))
            if (e["type"] == "resync" && e["reason"] == "unreachable") return true;
        return false;
    }, 5s));
    // The app rebuilds from the snapshot: every user is there.
    auto page = parse_json(srv.request("GET", "/v1/presence/users").body);
    EXPECT_EQ(page["users"].size(), 5u) << page.dump();
    // And what follows the resync arrives as usual.
    users.clear();
    ASSERT_TRUE(eventually([&] {
        auto s = said(app);
        return std::count_if(s.begin(), s.end(), [](const auto& l) { return l.rfind("user.offline", 0) == 0; }) == 5;
    }, 5s));
}

class LifecycleOnRedis : public ::testing::Test {
protected:
    void SetUp() override {
        if (!redis_server::available()) GTEST_SKIP() << redis_server::skip_reason();
        ASSERT_TRUE(redis_.start()) << "redis-server did not start";
    }
    config::config node_config(const webhook_receiver& app) {
        auto cfg = hook_config(app);
        cfg.broker = "redis://127.0.0.1:" + std::to_string(redis_.port());
        cfg.presence.heartbeat_ttl_ms = 1000;
        return cfg;
    }
    redis_server redis_;
};

TEST_F(LifecycleOnRedis, AUserOnTwoNodesIsOnlineOnceAndOfflineOnce) {
    webhook_receiver app;
    test_server a(node_config(app)), b(node_config(app));
    auto on_a = std::make_unique<sse_client>(a.public_port(), sse_target({"room:x"}), as("erin"));
    ASSERT_TRUE(wait_said(app, 2));
    auto on_b = std::make_unique<sse_client>(b.public_port(), sse_target({"room:x"}), as("erin"));
    ASSERT_TRUE(on_b->ok());
    ASSERT_TRUE(eventually([&] {
        auto p = parse_json(a.request("GET", "/v1/presence/users").body);
        return p["users"].size() == 1 && p["users"][0]["streams"] == 2;
    })) << "the snapshot sums both nodes";
    on_a.reset();
    std::this_thread::sleep_for(800ms);
    EXPECT_EQ(said(app), (lines{"user.online erin", "channel.occupied room:x"}));
    on_b.reset();
    ASSERT_TRUE(wait_said(app, 4));
    EXPECT_EQ(sorted(said(app)), sorted({"user.online erin", "channel.occupied room:x", "user.offline erin", "channel.vacated room:x"}));
    // No node said resync: on Redis presence outlives a node.
    for (const auto& e : delivered(app)) EXPECT_NE(e["type"], "resync");
}

TEST_F(LifecycleOnRedis, ADeployThatMovesAUserToAnotherNodeSendsNothing) {
    webhook_receiver app;
    auto old_cfg = node_config(app);
    old_cfg.shutdown.drain_window_ms = 100;
    old_cfg.shutdown.timeout_ms = 2000;
    auto old_node = std::make_unique<test_server>(old_cfg);
    test_server new_node(node_config(app));
    auto tab = std::make_unique<sse_client>(old_node->public_port(), sse_target({"room:d"}), as("heidi"));
    ASSERT_TRUE(wait_said(app, 2));
    old_node->stop();  // SIGTERM's path: drain, streams told to come back, the node retires
    ASSERT_TRUE(tab->wait_closed(3s));
    tab = std::make_unique<sse_client>(new_node.public_port(), sse_target({"room:d"}), as("heidi"));
    ASSERT_TRUE(tab->ok());
    old_node.reset();
    std::this_thread::sleep_for(2s);  // the old node's counts linger one debounce window, then a sweep removes them
    EXPECT_EQ(said(app), (lines{"user.online heidi", "channel.occupied room:d"}));
    auto users = parse_json(new_node.request("GET", "/v1/presence/users").body)["users"];
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0]["streams"], 1) << "the old node's stream was swept";
    tab.reset();
    ASSERT_TRUE(wait_said(app, 4));
    EXPECT_EQ(sorted(said(app)), sorted({"user.online heidi", "channel.occupied room:d", "user.offline heidi", "channel.vacated room:d"}));
}

TEST_F(LifecycleOnRedis, AKilledNodesUsersGoOfflineWithinTheBoundAndTheSnapshotAgrees) {
    webhook_receiver app;
    test_server survivor(node_config(app));
    const auto pub = free_port();
    process victim({"serve", "--broker", node_config(app).broker, "--public", "127.0.0.1:" + std::to_string(pub),
                    "--internal", "127.0.0.1:0", "--jwt-secret", test_secret, "--webhook-url", app.url(),
                    "--webhook-secret", secret, "--webhook-debounce", "400", "--presence-heartbeat-ttl", "1000"});
    ASSERT_TRUE(victim.wait_err("subscribe: curl")) << victim.err();
    sse_client frank(pub, sse_target({}), as("frank"));
    sse_client grace(survivor.public_port(), sse_target({}), as("grace"));
    ASSERT_TRUE(frank.ok() && grace.ok());
    ASSERT_TRUE(wait_said(app, 2));
    victim.kill(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    // Bound: heartbeat TTL (1 s) + a sweep (a third of it) + a flush, with room for a busy machine.
    ASSERT_TRUE(eventually([&] {
        auto s = said(app);
        return std::find(s.begin(), s.end(), "user.offline frank") != s.end();
    }, 4s)) << "frank never went offline";
    const auto took = std::chrono::steady_clock::now() - killed;
    EXPECT_LT(took, 3s);
    // The snapshot equals the state the webhooks describe, at the same position.
    std::map<std::string, bool> online;
    std::uint64_t last = 0;
    for (const auto& e : delivered(app)) {
        if (e["type"] == "resync") continue;
        last = std::max(last, e["position"].get<std::uint64_t>());
        if (e.contains("user")) online[e["user"]] = e["type"] == "user.online";
    }
    auto snap = parse_json(survivor.request("GET", "/v1/presence/users").body);
    std::map<std::string, bool> snapshot;
    for (const auto& u : snap["users"]) snapshot[u["user"]] = true;
    std::map<std::string, bool> from_hooks;
    for (const auto& [user, on] : online)
        if (on) from_hooks[user] = true;
    EXPECT_EQ(snapshot, from_hooks);
    // Transitions not sent (user:* channels here) take positions too: the snapshot's is at least
    // the last one delivered, so applying what comes after it repeats nothing stale.
    EXPECT_GE(snap["position"].get<std::uint64_t>(), last);
}

}  // namespace
}  // namespace herald::test
