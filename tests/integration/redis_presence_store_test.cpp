// The Redis presence store against a real redis-server, with several stores (nodes) on one Redis:
// transitions happen once across nodes, positions increase and match the page's, users and
// channels of one name stay apart, a node whose heartbeat lapses loses its counts once even with
// two nodes sweeping at once, retire() keeps counts for its linger, pages of hostile names come in
// byte order, and a stopped Redis answers 503 until it is back. Skipped only without redis-server.
#include "lib/broker/redis_presence_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "tests/support/redis_server.hpp"
#include "tests/unit/broker/redis_probe.hpp"

namespace herald::test {
namespace {

using broker::redis_presence_store;
using presence::change_kind;
using presence::node_count;
using presence::presence_change;
using presence::presence_page;
using presence::subject;
using namespace std::chrono_literals;

// Calls `start(callback)` and waits (10 s at most) for the callback's value.
template <class T, class Start>
model::result<T> await(Start start) {
    auto p = std::make_shared<std::promise<model::result<T>>>();
    auto f = p->get_future();
    start([p](model::result<T> r) { p->set_value(std::move(r)); });
    if (f.wait_for(10s) != std::future_status::ready) return model::errors::internal("no answer within 10 s");
    return f.get();
}

using changes = std::vector<presence_change>;

model::result<changes> apply(redis_presence_store& s, std::vector<node_count> counts) {
    return await<changes>([&](auto cb) { s.apply(std::move(counts), cb); });
}
model::result<changes> sweep(redis_presence_store& s) {
    return await<changes>([&](auto cb) { s.sweep(cb); });
}
model::result<bool> heartbeat(redis_presence_store& s, std::int64_t ttl) {
    return await<bool>([&](auto cb) { s.heartbeat(ttl, cb); });
}
model::result<bool> retire(redis_presence_store& s, std::int64_t linger) {
    return await<bool>([&](auto cb) { s.retire(linger, cb); });
}
model::result<presence_page> page(redis_presence_store& s, subject k, const std::string& after, std::size_t limit) {
    return await<presence_page>([&](auto cb) { s.page(k, after, limit, cb); });
}
model::result<std::vector<std::uint64_t>> totals(redis_presence_store& s, subject k, std::vector<std::string> names) {
    return await<std::vector<std::uint64_t>>([&](auto cb) { s.totals(k, std::move(names), cb); });
}

node_count user(const std::string& name, std::uint64_t n) { return {subject::user, name, n}; }
node_count channel(const std::string& name, std::uint64_t n) { return {subject::channel, name, n}; }

std::string describe(const changes& cs) {
    std::string out;
    for (const auto& c : cs) {
        static const char* names[] = {"online", "offline", "occupied", "vacated"};
        out += std::string(names[static_cast<int>(c.kind)]) + ":" + c.name + "@" + std::to_string(c.position) + " ";
    }
    return out;
}

class RedisPresenceStore : public ::testing::Test {
protected:
    void SetUp() override {
        if (!redis_server::available()) GTEST_SKIP() << redis_server::skip_reason();
        ASSERT_TRUE(redis_.start()) << "redis-server did not start";
    }
    std::unique_ptr<redis_presence_store> node(std::chrono::milliseconds command_timeout = 1000ms) {
        broker::redis_presence_options o;
        o.command_timeout = command_timeout;
        o.reconnect_max = 200ms;
        auto s = redis_presence_store::create(redis_.url(), o);
        EXPECT_TRUE(s) << s.err().message;
        auto e = s.value()->wait_connected(5s);
        EXPECT_FALSE(e) << e->message;
        return std::move(s.value());
    }
    redis_server redis_;
};

TEST_F(RedisPresenceStore, AUserOnTwoNodesGoesOnlineAndOfflineOnce) {
    auto a = node(), b = node();
    EXPECT_NE(a->node_id(), b->node_id());
    EXPECT_EQ(a->node_id().size(), 16u);
    auto first = apply(*a, {user("alice", 1)});
    ASSERT_TRUE(first) << first.err().message;
    ASSERT_EQ(first->size(), 1u) << describe(*first);
    EXPECT_EQ((*first)[0].kind, change_kind::user_online);
    EXPECT_EQ((*first)[0].name, "alice");
    EXPECT_EQ(describe(apply(*b, {user("alice", 2)}).value()), "");
    EXPECT_EQ(totals(*a, subject::user, {"alice"}).value(), std::vector<std::uint64_t>{3});
    EXPECT_EQ(describe(apply(*a, {user("alice", 0)}).value()), "");  // B still has two
    EXPECT_EQ(describe(apply(*a, {user("alice", 0)}).value()), "");  // repeating a count changes nothing
    auto last = apply(*b, {user("alice", 0)});
    ASSERT_TRUE(last);
    ASSERT_EQ(last->size(), 1u) << describe(*last);
    EXPECT_EQ((*last)[0].kind, change_kind::user_offline);
    EXPECT_GT((*last)[0].position, (*first)[0].position);
    auto p = page(*b, subject::user, "", 10);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->entries.empty());
    EXPECT_EQ(p->position, (*last)[0].position);
    // Back on B: online again, with the next position, and listed.
    auto again = apply(*b, {user("alice", 1)});
    ASSERT_EQ(again->size(), 1u);
    EXPECT_EQ((*again)[0].position, (*last)[0].position + 1);
    p = page(*a, subject::user, "", 10);
    ASSERT_EQ(p->entries.size(), 1u);
    EXPECT_EQ(p->entries[0].name, "alice");
    EXPECT_EQ(p->entries[0].count, 1u);
    EXPECT_EQ(p->position, (*again)[0].position);
    EXPECT_FALSE(p->more);
}

TEST_F(RedisPresenceStore, PositionsIncreaseAcrossNodesAndKinds) {
    auto a = node(), b = node();
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < 20; ++i) {
        auto& s = i % 2 ? *a : *b;
        auto& other = i % 2 ? *b : *a;  // where u<i-1> went online
        auto r = apply(s, {user("u" + std::to_string(i), 1), channel("c" + std::to_string(i), 3)});
        ASSERT_TRUE(r) << r.err().message;
        auto off = apply(other, {user("u" + std::to_string(i - 1), 0)});
        ASSERT_TRUE(off) << off.err().message;
        for (const auto& c : *r) seen.push_back(c.position);
        for (const auto& c : *off) seen.push_back(c.position);
    }
    ASSERT_EQ(seen.size(), 20u * 3 - 1);  // u-1 was never online
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
    EXPECT_EQ(page(*a, subject::channel, "", 1)->position, seen.back());
}

TEST_F(RedisPresenceStore, UsersAndChannelsOfOneNameNeverCollide) {
    auto a = node(), b = node();
    auto r = apply(*a, {user("x", 1), channel("x", 2), channel("u:x", 5), user("c:x", 7)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 4u) << describe(*r);
    auto off = apply(*a, {user("x", 0)});
    ASSERT_EQ(off->size(), 1u);
    EXPECT_EQ((*off)[0].kind, change_kind::user_offline);
    EXPECT_EQ(totals(*b, subject::channel, {"x", "u:x", "c:x"}).value(), (std::vector<std::uint64_t>{2, 5, 0}));
    EXPECT_EQ(totals(*b, subject::user, {"x", "u:x", "c:x"}).value(), (std::vector<std::uint64_t>{0, 0, 7}));
    auto vacated = apply(*b, {channel("x", 1)});
    EXPECT_EQ(describe(vacated.value()), "");
    auto gone = apply(*a, {channel("x", 0), channel("u:x", 0)});
    ASSERT_EQ(gone->size(), 1u) << describe(*gone);  // x still has B's subscriber
    EXPECT_EQ((*gone)[0].kind, change_kind::channel_vacated);
    EXPECT_EQ((*gone)[0].name, "u:x");
    auto users = page(*b, subject::user, "", 10);
    ASSERT_EQ(users->entries.size(), 1u);
    EXPECT_EQ(users->entries[0].name, "c:x");
}

TEST_F(RedisPresenceStore, ALapsedNodeLosesItsCountsOnceWithTwoNodesSweeping) {
    auto a = node(), b = node(), c = node();
    ASSERT_TRUE(heartbeat(*a, 600));
    ASSERT_TRUE(heartbeat(*b, 30000));
    ASSERT_TRUE(heartbeat(*c, 30000));
    // 2,500 users on A (more than one sweep script's budget), "shared" also on B, a channel on A.
    std::vector<node_count> counts;
    for (int i = 0; i < 2500; ++i) counts.push_back(user("user " + std::to_string(i), 1 + i % 3));
    counts.push_back(user("shared", 1));
    counts.push_back(channel("room", 4));
    auto online = apply(*a, counts);
    ASSERT_TRUE(online) << online.err().message;
    EXPECT_EQ(online->size(), 2502u);
    EXPECT_EQ(describe(apply(*b, {user("shared", 2)}).value()), "");
    EXPECT_EQ(describe(sweep(*b).value()), "");  // A is alive yet
    std::this_thread::sleep_for(1000ms);
    // B and C sweep at once: every user of A goes offline exactly once between them.
    auto p1 = std::make_shared<std::promise<model::result<changes>>>();
    auto p2 = std::make_shared<std::promise<model::result<changes>>>();
    b->sweep([p1](model::result<changes> r) { p1->set_value(std::move(r)); });
    c->sweep([p2](model::result<changes> r) { p2->set_value(std::move(r)); });
    auto r1 = p1->get_future().get(), r2 = p2->get_future().get();
    ASSERT_TRUE(r1) << r1.err().message;
    ASSERT_TRUE(r2) << r2.err().message;
    changes all = *r1;
    all.insert(all.end(), r2->begin(), r2->end());
    std::sort(all.begin(), all.end(), [](auto& x, auto& y) { return x.position < y.position; });
    ASSERT_EQ(all.size(), 2501u);  // not "shared": B still has it
    std::set<std::string> names;
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].position, online->back().position + 1 + i);
        names.insert(all[i].name);
        EXPECT_EQ(all[i].kind, all[i].name == "room" ? change_kind::channel_vacated : change_kind::user_offline);
    }
    EXPECT_EQ(names.size(), 2501u);
    EXPECT_FALSE(names.contains("shared"));
    EXPECT_EQ(describe(sweep(*c).value()), "");
    EXPECT_EQ(totals(*c, subject::user, {"shared", "user 7"}).value(), (std::vector<std::uint64_t>{2, 0}));
    EXPECT_EQ(page(*c, subject::user, "", 10)->entries.size(), 1u);
    // A comes back: its heartbeat says its counts are gone, and applying them again brings them back.
    auto kept = heartbeat(*a, 30000);
    ASSERT_TRUE(kept);
    EXPECT_FALSE(*kept);
    EXPECT_TRUE(heartbeat(*a, 30000).value());  // said once
    auto back = apply(*a, {user("user 7", 2), user("shared", 1)});
    ASSERT_EQ(back->size(), 1u) << describe(*back);
    EXPECT_EQ((*back)[0].name, "user 7");
    EXPECT_EQ(totals(*b, subject::user, {"shared", "user 7"}).value(), (std::vector<std::uint64_t>{3, 2}));
    // B and C never lapsed.
    EXPECT_TRUE(heartbeat(*b, 30000).value());
}

TEST_F(RedisPresenceStore, ADestroyedNodeIsSweptAfterItsHeartbeat) {
    auto b = node();
    {
        auto a = node();
        ASSERT_TRUE(heartbeat(*a, 600));
        ASSERT_EQ(apply(*a, {user("carol", 1)})->size(), 1u);
    }  // gone without retiring, like a crash
    EXPECT_EQ(describe(sweep(*b).value()), "");
    std::this_thread::sleep_for(1000ms);
    auto r = sweep(*b);
    ASSERT_EQ(r->size(), 1u) << describe(*r);
    EXPECT_EQ((*r)[0].kind, change_kind::user_offline);
    EXPECT_EQ((*r)[0].name, "carol");
}

TEST_F(RedisPresenceStore, RetireKeepsCountsForTheLinger) {
    auto a = node(), b = node();
    ASSERT_TRUE(heartbeat(*a, 30000));
    ASSERT_EQ(apply(*a, {user("dave", 1)})->size(), 1u);
    ASSERT_TRUE(retire(*a, 1000));
    // An apply after retire does not extend the linger.
    EXPECT_EQ(describe(apply(*a, {user("erin", 1)}).value()).substr(0, 11), "online:erin");
    EXPECT_EQ(describe(sweep(*b).value()), "");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(describe(sweep(*b).value()), "");
    EXPECT_EQ(totals(*b, subject::user, {"dave"}).value(), std::vector<std::uint64_t>{1});
    // Meanwhile dave reconnects to B: no transition now, none when A's counts go.
    EXPECT_EQ(describe(apply(*b, {user("dave", 1)}).value()), "");
    std::this_thread::sleep_for(1000ms);
    auto r = sweep(*b);
    ASSERT_EQ(r->size(), 1u) << describe(*r);
    EXPECT_EQ((*r)[0].name, "erin");
    EXPECT_EQ(totals(*b, subject::user, {"dave", "erin"}).value(), (std::vector<std::uint64_t>{1, 0}));
}

TEST_F(RedisPresenceStore, ARetireJustBeforeDestructionStillReachesRedis) {
    auto b = node();
    {
        auto a = node();
        ASSERT_TRUE(heartbeat(*a, 30000));
        ASSERT_EQ(apply(*a, {user("gina", 1)})->size(), 1u);
        a->retire(600, [](model::result<bool>) {});  // not awaited: the store is destroyed right away
    }
    EXPECT_EQ(describe(sweep(*b).value()), "");
    std::this_thread::sleep_for(1000ms);
    auto r = sweep(*b);
    ASSERT_EQ(r->size(), 1u) << describe(*r);  // within the linger, not the 30 s heartbeat
    EXPECT_EQ((*r)[0].name, "gina");
}

TEST_F(RedisPresenceStore, PagesHostileNamesInByteOrderOnce) {
    auto a = node(), b = node();
    std::set<std::string> want;
    const std::vector<std::string> odd{"a b",  "\"quoted\"", "it's", "ünïcödé", "日本", "a:b", "u:x", "*",
                                       "a*b",  "[x",         "(y",   "-",       "+",    "\\", std::string("nul\0in", 6),
                                       "\xff", "%s%d",       "' or 1=1 --", "]]", "end"};
    for (const auto& n : odd) want.insert(n);
    for (int i = 0; want.size() < 250; ++i) want.insert("name " + std::to_string(i * 7919 % 1000));
    std::vector<node_count> on_a, on_b;
    int i = 0;
    for (const auto& n : want) {
        if (i % 3 != 1) on_a.push_back(channel(n, 1));
        if (i % 3 != 0) on_b.push_back(channel(n, 2));
        ++i;
    }
    ASSERT_TRUE(apply(*a, on_a));
    ASSERT_TRUE(apply(*b, on_b));
    ASSERT_EQ(apply(*a, {user("a b", 1)})->size(), 1u);  // a user does not show among channels
    std::vector<std::string> got;
    std::string after;
    int pages = 0;
    for (bool more = true; more; ++pages) {
        auto p = page(*a, subject::channel, after, 100);
        ASSERT_TRUE(p) << p.err().message;
        ASSERT_FALSE(p->entries.empty());
        for (const auto& e : p->entries) {
            got.push_back(e.name);
            const auto at = std::distance(want.begin(), want.find(e.name));
            EXPECT_EQ(e.count, at % 3 == 0 ? 1u : at % 3 == 1 ? 2u : 3u) << e.name;
        }
        after = got.back();
        more = p->more;
        ASSERT_LE(pages, 3);
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(got, std::vector<std::string>(want.begin(), want.end()));  // std::string orders by bytes
    auto exact = page(*a, subject::channel, "", 250);
    EXPECT_EQ(exact->entries.size(), 250u);
    EXPECT_FALSE(exact->more);
    auto none = page(*a, subject::channel, "", 0);
    EXPECT_TRUE(none->entries.empty());
    EXPECT_TRUE(none->more);
    EXPECT_EQ(none->position, 251u);
    auto t = totals(*b, subject::channel, {std::string("nul\0in", 6), "nul", "\xff", "missing"});
    ASSERT_TRUE(t);
    EXPECT_EQ(t->size(), 4u);
    EXPECT_GT((*t)[0], 0u);
    EXPECT_EQ((*t)[1], 0u);
    EXPECT_EQ((*t)[3], 0u);
}

TEST_F(RedisPresenceStore, RefusesWhatIsOutOfBounds) {
    auto a = node();
    auto big = page(*a, subject::user, "", 1001);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.err().code, "invalid_parameter");
    EXPECT_EQ(big.err().status, 400);
    auto empty = apply(*a, {user("ok", 1), user("", 1)});
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.err().code, "invalid_parameter");
    EXPECT_EQ(totals(*a, subject::user, {"ok"}).value(), std::vector<std::uint64_t>{0});  // nothing applied
    EXPECT_FALSE(apply(*a, {user(std::string(70000, 'x'), 1)}));
    EXPECT_FALSE(totals(*a, subject::user, std::vector<std::string>(1001, "x")));
    EXPECT_FALSE(heartbeat(*a, 0));
    // Many counts in one apply go as several scripts, in order.
    std::vector<node_count> many;
    for (int i = 0; i < 2300; ++i) many.push_back(channel("ch" + std::to_string(i), 1));
    auto r = apply(*a, many);
    ASSERT_TRUE(r) << r.err().message;
    ASSERT_EQ(r->size(), 2300u);
    for (std::size_t i = 0; i < r->size(); ++i) EXPECT_EQ((*r)[i].position, i + 1);
    // A long user id (a token's sub can be several KB) is taken.
    auto long_name = apply(*a, {user(std::string(6000, 'y'), 1)});
    ASSERT_TRUE(long_name) << long_name.err().message;
    EXPECT_EQ(long_name->size(), 1u);
}

TEST_F(RedisPresenceStore, AStoppedRedisAnswers503UntilItIsBack) {
    auto a = node();
    ASSERT_TRUE(heartbeat(*a, 30000));
    ASSERT_EQ(apply(*a, {user("frank", 1)})->size(), 1u);
    redis_.stop();
    auto down = apply(*a, {user("frank", 2)});
    ASSERT_FALSE(down);
    EXPECT_EQ(down.err().status, 503);
    EXPECT_TRUE(down.err().code == "unavailable" || down.err().code == "broker_timeout") << down.err().code;
    EXPECT_NE(down.err().message.find("127.0.0.1"), std::string::npos) << down.err().message;
    auto p = page(*a, subject::user, "", 10);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.err().status, 503);
    EXPECT_FALSE(a->healthy());
    ASSERT_TRUE(redis_.start());
    ASSERT_FALSE(a->wait_connected(5s));
    // Redis came back empty: the heartbeat says so, and the counts are applied again.
    auto kept = heartbeat(*a, 30000);
    ASSERT_TRUE(kept) << kept.err().message;
    EXPECT_FALSE(*kept);
    auto back = apply(*a, {user("frank", 1)});
    ASSERT_TRUE(back) << back.err().message;
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].kind, change_kind::user_online);
    EXPECT_EQ(page(*a, subject::user, "", 10)->entries.size(), 1u);
}

TEST_F(RedisPresenceStore, AHungRedisAnswersBrokerTimeoutWithinTheDeadline) {
    auto a = node(300ms);
    ASSERT_TRUE(heartbeat(*a, 30000));
    ASSERT_EQ(apply(*a, {channel("news", 1)})->size(), 1u);
    redis_freeze freeze(redis_.port());
    ASSERT_TRUE(freeze.valid());
    freeze.freeze();
    const auto t0 = std::chrono::steady_clock::now();
    auto hung = page(*a, subject::channel, "", 10);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "answered by the deadline, not hung";
    ASSERT_FALSE(hung);
    EXPECT_EQ(hung.err().status, 503);
    EXPECT_EQ(hung.err().code, "broker_timeout") << hung.err().message;
    freeze.thaw();
    ASSERT_FALSE(a->wait_connected(5s));
    // The connection was recycled: a write may have been lost, so the heartbeat asks for the counts.
    EXPECT_FALSE(heartbeat(*a, 30000).value());
    EXPECT_EQ(describe(apply(*a, {channel("news", 1)}).value()), "");  // Redis kept them
    EXPECT_EQ(totals(*a, subject::channel, {"news"}).value(), std::vector<std::uint64_t>{1});
}

}  // namespace
}  // namespace herald::test
