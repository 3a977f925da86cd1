// broker/redis_broker, Redis only (a real redis-server per test; skipped with the reason when none
// is installed): an unreachable URL is an error naming it; a bad URL fails at once; AUTH and
// SELECT; Redis stopped mid-run → 503 with a hint and healthy() false; restarted empty →
// reconnect, resubscribe, a new epoch; two brokers ("nodes") on one Redis see each other's
// publishes with identical positions. A hung Redis (SIGSTOP): commands answer 503 broker_timeout
// within the command timeout, the probes turn healthy() false even when idle (on the subscription
// connection too), and SIGCONT recovers by itself. Bounded state: per-channel keys expire with
// keep_ms (a channel created again gets a new epoch), the channel cap, the pruned gap-fill map.
// Keyed channels: two nodes incrementing one counter get every sum once; a keyed channel with live
// keys outlives its history ttl (epoch, offset and keys kept), and expires once its keys are gone.
#include "lib/broker/redis_broker.hpp"

#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "lib/util/clock.hpp"
#include "lib/broker/redis_connection.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/unit/broker/broker_conformance.hpp"
#include "tests/unit/broker/redis_probe.hpp"

namespace herald::broker {
namespace {

using namespace std::chrono_literals;
using conformance::info_result;
using conformance::list_result;
using conformance::publish;
using conformance::read;
using conformance::read_result;
using conformance::recording_handler;
using conformance::request;

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return cond();
}

redis_broker_options fast_options() {
    redis_broker_options o;
    o.key_prefix = conformance::fresh_prefix();
    o.reconnect_min = 20ms;
    o.reconnect_max = 200ms;
    o.connect_timeout = 1000ms;
    o.start_wait = 5s;
    return o;
}

class RedisBrokerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::redis_server::available()) GTEST_SKIP() << test::redis_server::skip_reason();
    }
    util::system_clock clock;
};

TEST_F(RedisBrokerTest, UnreachableRedisIsAnErrorNamingTheUrl) {
    const int port = test::redis_server::pick_port();  // nothing listens there
    auto o = fast_options();
    o.start_wait = 300ms;
    const std::string url = "redis://:hunter2@127.0.0.1:" + std::to_string(port) + "/0";
    auto b = redis_broker::open(url, clock, o);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.err().status, 503);
    EXPECT_NE(b.err().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << b.err().message;
    EXPECT_NE(b.err().message.find("refused"), std::string::npos) << b.err().message;
    EXPECT_EQ(b.err().message.find("hunter2"), std::string::npos) << "password leaked: " << b.err().message;
    EXPECT_FALSE(b.err().hint.empty());
}

TEST_F(RedisBrokerTest, ABadUrlFailsAtOnce) {
    auto b = redis_broker::create("rediss://127.0.0.1:6379", clock);
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.err().message.find("TLS"), std::string::npos);
}

TEST_F(RedisBrokerTest, ConnectsOnceRedisComesUpAfterStart) {
    test::redis_server server;
    auto b = redis_broker::create(server.url(), clock, fast_options());
    ASSERT_TRUE(b.ok());
    auto& broker = *b.value();
    std::this_thread::sleep_for(150ms);  // a few failed attempts
    EXPECT_FALSE(broker.healthy());
    auto r = publish(broker, request("a"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().status, 503);
    ASSERT_TRUE(server.start());
    EXPECT_EQ(broker.wait_connected(10s), std::nullopt);
    EXPECT_TRUE(publish(broker, request("a")).ok());
}

TEST_F(RedisBrokerTest, AuthenticatesAndSelectsTheDatabase) {
    test::redis_server server({"--requirepass", "pw-123"});
    ASSERT_TRUE(server.start());
    const std::string good = "redis://:pw-123@127.0.0.1:" + std::to_string(server.port()) + "/5";
    auto b = redis_broker::open(good, clock, fast_options());
    ASSERT_TRUE(b.ok()) << b.err().message;
    EXPECT_EQ(publish(*b.value(), request("a"))->offset, 1u);

    auto o = fast_options();
    o.start_wait = 500ms;
    const std::string bad = "redis://:wrong@127.0.0.1:" + std::to_string(server.port()) + "/5";
    auto refused = redis_broker::open(bad, clock, o);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.err().message.find("WRONGPASS"), std::string::npos) << refused.err().message;
    EXPECT_EQ(refused.err().message.find("wrong@"), std::string::npos) << refused.err().message;
}

TEST_F(RedisBrokerTest, RedisStoppedMidRunAnswers503AndRestartedEmptyGivesANewEpoch) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto opened = redis_broker::open(server.url(), clock, fast_options());
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    recording_handler handler;
    b.set_handler(&handler);
    EXPECT_TRUE(b.healthy());
    auto before = publish(b, request("news"));
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(publish(b, request("news"))->offset, 2u);
    handler.wait_for(2);

    server.stop();
    ASSERT_TRUE(eventually([&] { return !b.healthy(); })) << "healthy() must turn false when Redis is gone";
    auto p = publish(b, request("news"));
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.err().status, 503);
    EXPECT_EQ(p.err().code, "unavailable");
    EXPECT_NE(p.err().message.find(std::to_string(server.port())), std::string::npos) << p.err().message;
    EXPECT_FALSE(p.err().hint.empty());
    auto r = read_result(b, "news", 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().status, 503);
    auto i = info_result(b, "news");
    ASSERT_FALSE(i.ok());
    EXPECT_EQ(i.err().status, 503);
    auto l = list_result(b, "", "", 10);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.err().status, 503);

    ASSERT_TRUE(server.start());  // same port, empty
    ASSERT_EQ(b.wait_connected(10s), std::nullopt) << b.last_error();
    auto after = publish(b, request("news", "again"));
    ASSERT_TRUE(after.ok()) << after.err().message;
    EXPECT_EQ(after->offset, 1u);
    EXPECT_NE(after->epoch, before->epoch) << "a Redis that lost its data must show a new epoch";
    auto evs = handler.wait_for(3);
    ASSERT_EQ(evs.size(), 3u) << "resubscribed: the new event reaches the handler";
    EXPECT_EQ(evs[2]->data, "again");
    EXPECT_EQ(evs[2]->epoch, after->epoch);
    EXPECT_EQ(read(b, "news", std::nullopt).epoch, after->epoch);
}

TEST_F(RedisBrokerTest, TwoNodesOnOneRedisSeeEachOthersPublishesWithIdenticalPositions) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = fast_options();
    auto a = redis_broker::open(server.url(), clock, o);
    auto b = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(a.ok() && b.ok());
    recording_handler ha, hb;
    a.value()->set_handler(&ha);
    b.value()->set_handler(&hb);
    std::vector<std::thread> publishers;
    for (auto* node : {a.value().get(), b.value().get()})
        publishers.emplace_back([node] {
            for (int i = 0; i < 50; ++i) {
                EXPECT_TRUE(publish(*node, request("shared", std::to_string(i))).ok());
                EXPECT_TRUE(publish(*node, request(i % 2 ? "odd" : "even")).ok());
            }
        });
    for (auto& t : publishers) t.join();
    auto ea = ha.wait_for(200), eb = hb.wait_for(200);
    ASSERT_EQ(ea.size(), 200u);
    ASSERT_EQ(eb.size(), 200u);
    for (std::size_t i = 0; i < ea.size(); ++i) {
        EXPECT_EQ(ea[i]->channel, eb[i]->channel);
        EXPECT_EQ(ea[i]->offset, eb[i]->offset);
        EXPECT_EQ(ea[i]->epoch, eb[i]->epoch);
        EXPECT_EQ(ea[i]->data, eb[i]->data);
    }
    EXPECT_EQ(ha.gaps(), 0u);
    EXPECT_EQ(hb.gaps(), 0u);
    EXPECT_EQ(read(*a.value(), "shared", std::nullopt).last_offset, 100u);
    auto ia = info_result(*b.value(), "even");
    ASSERT_TRUE(ia.ok() && ia.value());
    EXPECT_EQ(ia.value()->last_offset, 50u);
}

TEST_F(RedisBrokerTest, RecoversWhenRedisForgetsTheScripts) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto b = redis_broker::open(server.url(), clock, fast_options());
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(publish(*b.value(), request("a")).ok());
    // SCRIPT FLUSH from a plain socket: the next EVALSHA gets NOSCRIPT and falls back to EVAL.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const char flush[] = "SCRIPT FLUSH\r\n";
    ASSERT_EQ(::write(fd, flush, sizeof flush - 1), static_cast<ssize_t>(sizeof flush - 1));
    char buf[16];
    ASSERT_GT(::read(fd, buf, sizeof buf), 0);
    ::close(fd);
    auto r = publish(*b.value(), request("a"));
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r->offset, 2u);
    EXPECT_EQ(read(*b.value(), "a", 0).events.size(), 2u);
}

TEST_F(RedisBrokerTest, StatsCountChannels) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = fast_options();
    o.stats_interval = 20ms;
    auto b = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(b.ok());
    publish(*b.value(), request("a"));
    publish(*b.value(), request("b"));
    EXPECT_TRUE(eventually([&] { return b.value()->stats().channels == 2; }));
    EXPECT_EQ(b.value()->kind(), "redis");
}

// Kills every pub/sub connection (CLIENT KILL TYPE pubsub) from a plain socket.
void kill_pubsub_clients(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const char cmd[] = "CLIENT KILL TYPE pubsub\r\n";
    ASSERT_EQ(::write(fd, cmd, sizeof cmd - 1), static_cast<ssize_t>(sizeof cmd - 1));
    char buf[32];
    ASSERT_GT(::read(fd, buf, sizeof buf), 0);
    ::close(fd);
}

TEST_F(RedisBrokerTest, EventsPublishedWhileResubscribingReachTheHandlerInOrder) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = fast_options();
    o.reconnect_min = 300ms;  // a wide window between the lost subscription and the next one
    auto a = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(a.ok());
    recording_handler handler;
    a.value()->set_handler(&handler);
    ASSERT_TRUE(publish(*a.value(), request("news", "1")).ok());
    ASSERT_EQ(handler.wait_for(1).size(), 1u);

    kill_pubsub_clients(server.port());
    ASSERT_TRUE(eventually([&] { return !a.value()->healthy(); }, 2s));
    for (int i = 2; i <= 4; ++i) ASSERT_TRUE(publish(*a.value(), request("news", std::to_string(i))).ok());
    EXPECT_EQ(handler.events().size(), 1u) << "the subscription was down: nothing live";
    ASSERT_EQ(a.value()->wait_connected(5s), std::nullopt);
    ASSERT_TRUE(publish(*a.value(), request("news", "5")).ok());
    auto evs = handler.wait_for(5);
    ASSERT_EQ(evs.size(), 5u);
    for (std::size_t i = 0; i < evs.size(); ++i) EXPECT_EQ(evs[i]->data, std::to_string(i + 1));
    EXPECT_EQ(handler.gaps(), 0u);
}

redis_broker_options hang_options() {
    auto o = fast_options();
    o.command_timeout = 300ms;
    o.ping_interval = 100ms;
    o.connect_timeout = 300ms;
    return o;
}

TEST_F(RedisBrokerTest, AHungRedisAnswersBrokerTimeoutWithinTheCommandTimeoutAndRecoversByItself) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = hang_options();
    o.ping_interval = 60s;  // no probe: the publish itself must meet the deadline
    auto opened = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    recording_handler handler;
    b.set_handler(&handler);
    ASSERT_TRUE(publish(b, request("news", "1")).ok());
    ASSERT_EQ(handler.wait_for(1).size(), 1u);

    test::redis_freeze freeze(server.port());
    ASSERT_TRUE(freeze.valid());
    freeze.freeze();
    const auto t0 = std::chrono::steady_clock::now();
    auto p = publish(b, request("news", "while hung"));
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.err().status, 503);
    EXPECT_EQ(p.err().code, "broker_timeout") << p.err().message;
    EXPECT_NE(p.err().message.find("300 ms"), std::string::npos) << p.err().message;
    EXPECT_FALSE(p.err().hint.empty());
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1500ms) << "the deadline is the command timeout, not the OS's TCP timeout";
    EXPECT_FALSE(b.healthy()) << "a command that timed out recycles the connection";
    auto again = publish(b, request("news", "still hung"));  // the connection is down: at once
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.err().code, "broker_timeout");
    auto r = read_result(b, "news", 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().status, 503);

    freeze.thaw();
    ASSERT_EQ(b.wait_connected(10s), std::nullopt) << b.last_error();
    auto after = publish(b, request("news", "after"));
    ASSERT_TRUE(after.ok()) << after.err().message;
    ASSERT_TRUE(eventually([&] {
        auto evs = handler.events();
        return !evs.empty() && evs.back()->data == "after";
    })) << "resubscribed after the recycle";
    EXPECT_EQ(handler.gaps(), 0u) << "a publish that timed out but was applied later is filled in, in order";
}

TEST_F(RedisBrokerTest, TheProbesNoticeAnIdleHungRedis) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto opened = redis_broker::open(server.url(), clock, hang_options());
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    EXPECT_TRUE(b.healthy());
    test::redis_freeze freeze(server.port());
    ASSERT_TRUE(freeze.valid());
    freeze.freeze();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(eventually([&] { return !b.healthy(); }, 3s)) << "nothing was sent: only the pings can notice";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
    std::this_thread::sleep_for(500ms);
    EXPECT_FALSE(b.healthy()) << "reconnects to a hung Redis time out too";
    EXPECT_NE(b.last_error().find("no answer"), std::string::npos) << b.last_error();
    freeze.thaw();
    EXPECT_EQ(b.wait_connected(10s), std::nullopt) << b.last_error();
    EXPECT_TRUE(publish(b, request("a")).ok());
}

TEST_F(RedisBrokerTest, ASubscribedConnectionIsProbedToo) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    boost::asio::io_context io;
    auto url = parse_redis_url(server.url());
    ASSERT_TRUE(url.ok());
    redis_connection_options co;
    co.command_timeout = 300ms;
    co.ping_interval = 100ms;
    co.connect_timeout = 300ms;
    co.reconnect_min = 50ms;
    redis_connection conn(io, url.value(), co);
    int confirmations = 0, downs = 0;
    bool timed_out = false;
    std::string why;
    conn.start(
        [&] {
            conn.subscribe({"PSUBSCRIBE", "probe-test:*"}, [&](redisReply* r) {
                if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && std::string(r->element[0]->str) == "psubscribe")
                    ++confirmations;
            });
        },
        [&](const std::string& w) {
            ++downs;
            why = w;
            timed_out = conn.timed_out();
        });
    io.run_for(700ms);
    EXPECT_GE(confirmations, 3) << "an idle subscription is probed every ping interval";
    EXPECT_EQ(downs, 0);
    test::redis_freeze freeze(server.port());
    ASSERT_TRUE(freeze.valid());
    freeze.freeze();
    io.run_for(800ms);
    EXPECT_GE(downs, 1) << "a hung Redis must be noticed on the subscription connection";
    EXPECT_TRUE(timed_out);
    EXPECT_NE(why.find("no answer within 300 ms"), std::string::npos) << why;
    freeze.thaw();
    const int before = confirmations;
    for (int i = 0; i < 50 && confirmations == before; ++i) io.run_for(100ms);
    EXPECT_GT(confirmations, before) << "reconnected and subscribed again";
    conn.close();
}

redis_broker_options expiring_options() {
    auto o = fast_options();
    o.history_ttl_ms = 600;
    o.idempotency_window_ms = 800;  // keep = 800 ms
    o.stats_interval = 20ms;
    return o;
}

TEST_F(RedisBrokerTest, PerChannelKeysExpireAndAChannelCreatedAgainHasANewEpoch) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = expiring_options();
    auto opened = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    recording_handler handler;
    b.set_handler(&handler);
    EXPECT_EQ(b.keep_ms(), 800);
    auto first = publish(b, request("news", "1", "k1"));
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(publish(b, request("news", "2")).ok());
    ASSERT_EQ(handler.wait_for(2).size(), 2u);
    const int port = server.port();
    const auto& P = o.key_prefix;
    for (const auto& k : {P + "m:news", P + "h:news", P + "epoch", P + "i:4:news:k1"}) {
        const auto ttl = test::redis_integer(port, "PTTL " + k);
        EXPECT_GT(ttl, 0) << k << " must expire";
        EXPECT_LE(ttl, 800) << k;
    }
    EXPECT_EQ(b.followed_channels(), 1u);
    EXPECT_TRUE(eventually([&] { return b.stats().channels == 1; }));

    std::this_thread::sleep_for(1100ms);
    for (const auto& k : {P + "m:news", P + "h:news", P + "epoch", P + "i:4:news:k1"})
        EXPECT_EQ(test::redis_integer(port, "EXISTS " + k), 0) << k << " outlived the channel";
    EXPECT_TRUE(eventually([&] { return b.stats().channels == 0; })) << "expired channels leave the index";
    EXPECT_EQ(test::redis_integer(port, "ZCARD " + P + "seen"), 0);
    EXPECT_EQ(test::redis_integer(port, "ZCARD " + P + "channels"), 0);
    EXPECT_TRUE(eventually([&] { return b.followed_channels() == 0; })) << "the gap-fill map forgets idle channels";

    auto h = read(b, "news", 2);
    EXPECT_EQ(h.last_offset, 0u);
    EXPECT_NE(h.epoch, first->epoch) << "a cursor into the expired channel must get a reset, never a silent gap";
    auto again = publish(b, request("news", "new"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->offset, 1u);
    EXPECT_EQ(again->epoch, h.epoch);
    auto evs = handler.wait_for(3);
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[2]->epoch, again->epoch);
}

TEST_F(RedisBrokerTest, AQuietChannelWithSubscribersKeepsItsKeysAndEpoch) {
    // Without the touch, a channel someone watches but nobody publishes to expired after keep,
    // and its next publish came in a new epoch: every subscriber got a spurious herald.reset.
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = expiring_options();
    o.live_channels = [] { return std::vector<std::string>{"user:42"}; };
    auto opened = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    auto watched = publish(b, request("user:42", "1"));
    auto unwatched = publish(b, request("nobody", "1"));
    ASSERT_TRUE(watched.ok() && unwatched.ok());
    const auto& P = o.key_prefix;
    std::this_thread::sleep_for(2500ms);  // three keeps
    EXPECT_EQ(test::redis_integer(server.port(), "EXISTS " + P + "m:user:42"), 1);
    EXPECT_EQ(test::redis_integer(server.port(), "EXISTS " + P + "m:nobody"), 0);
    auto again = publish(b, request("user:42", "2"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->epoch, watched->epoch);
    EXPECT_EQ(again->offset, 2u);
    EXPECT_TRUE(eventually([&] { return b.stats().channels == 1; }));
}

TEST_F(RedisBrokerTest, ChannelCapRefusesNewChannelsUntilIdleOnesExpire) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = expiring_options();
    o.max_channels = 2;
    auto a = redis_broker::open(server.url(), clock, o);
    auto b = redis_broker::open(server.url(), clock, o);  // a second node on the same keys
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(publish(*a.value(), request("one")).ok());
    ASSERT_TRUE(publish(*b.value(), request("two")).ok());
    auto refused = publish(*a.value(), request("three"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.err().status, 503);
    EXPECT_NE(refused.err().message.find("channel limit of 2"), std::string::npos) << refused.err().message;
    EXPECT_NE(refused.err().hint.find("history.max_channels"), std::string::npos) << refused.err().hint;
    EXPECT_TRUE(publish(*b.value(), request("one")).ok()) << "known channels still take publishes";
    std::this_thread::sleep_for(1300ms);
    auto freed = publish(*b.value(), request("three"));
    EXPECT_TRUE(freed.ok()) << "expired channels free the cap: " << (freed.ok() ? "" : freed.err().message);
}

TEST_F(RedisBrokerTest, TheIndexLetsAChannelGoWhenItsKeysExpireNotAKeepLater) {
    // A node's time and Redis's expiry disagree a little (the score is taken before the script
    // runs) or a lot (here: a manual clock). A sweep that finds a channel due whose keys are still
    // there must look again when they expire, not a whole keep later, or the cap stays used.
    test::redis_server server;
    ASSERT_TRUE(server.start());
    test::manual_clock manual;
    auto o = expiring_options();  // keep 800 ms
    auto opened = redis_broker::open(server.url(), manual, o);
    ASSERT_TRUE(opened.ok());
    auto& b = *opened.value();
    ASSERT_TRUE(publish(b, request("one")).ok());
    std::this_thread::sleep_for(300ms);
    manual.advance(800);  // due by the node's clock; Redis keeps the keys ~500 ms more
    std::this_thread::sleep_for(100ms);  // a few sweeps look at it and find the keys there
    EXPECT_EQ(b.stats().channels, 1u);
    std::this_thread::sleep_for(600ms);  // now the keys are gone
    manual.advance(700);
    EXPECT_TRUE(eventually([&] { return b.stats().channels == 0; }, 2s))
        << "re-scored to when its keys expire, it leaves the index on the next sweep";
}

TEST_F(RedisBrokerTest, HistoryBytesAreAccountedAcrossTrims) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = fast_options();
    o.history_max_bytes = 1000;
    o.history_size = 5;
    auto opened = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(opened.ok());
    auto& b = *opened.value();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(publish(b, request("a", std::string(i % 3 ? 10 : 300, 'x'))).ok());
    auto h = read(b, "a", 0);
    std::size_t cost = 0;
    for (const auto& e : h.events) cost += e->data.size() + 64;
    EXPECT_LE(cost, 1000u);
    EXPECT_LE(h.events.size(), 5u);
    auto bytes = test::redis_command(server.port(), "HGET " + o.key_prefix + "m:a bytes");
    EXPECT_NE(bytes.find("\r\n" + std::to_string(cost) + "\r\n"), std::string::npos)
        << "the running total matches what history holds: " << bytes;
}

}  // namespace
}  // namespace herald::broker

namespace herald::broker {
namespace {

// Policies by pattern on Redis: each publish passes the channel's own limits; its keys live its
// own keep; reads trim by the age stored with it; and the epoch key never outlives a channel with
// a shorter keep, so that channel, once expired, comes back in a new epoch.
TEST_F(RedisBrokerTest, AChannelsPolicyLimitsReachTheScriptAndItsKeys) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = fast_options();
    o.history_ttl_ms = 60000;
    o.idempotency_window_ms = 2000;
    o.limits_for = [](const std::string& channel) {
        return channel.rfind("short:", 0) == 0 ? channel_limits{2, 300, 0} : channel_limits{100, 60000, 0};
    };
    auto opened = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    ASSERT_TRUE(publish(b, request("long", "1")).ok());  // draws the epoch key with the global keep
    const auto first = publish(b, request("short:a", "1"));
    ASSERT_TRUE(first.ok());
    for (int i = 2; i <= 3; ++i) ASSERT_TRUE(publish(b, request("short:a", std::to_string(i))).ok());
    auto h = read(b, "short:a", 0);
    ASSERT_EQ(h.events.size(), 2u);  // history_size 2
    EXPECT_EQ(h.events[0]->offset, 2u);
    const int port = server.port();
    const auto& P = o.key_prefix;
    const auto short_ttl = test::redis_integer(port, "PTTL " + P + "m:short:a");
    EXPECT_GT(short_ttl, 0);
    EXPECT_LE(short_ttl, 2000);  // its keep: max(300, 2000), not the global 60 s
    EXPECT_GT(test::redis_integer(port, "PTTL " + P + "m:long"), 2000);
    EXPECT_LE(test::redis_integer(port, "PTTL " + P + "epoch"), 2000) << "the epoch key outlives a shorter channel";

    std::this_thread::sleep_for(500ms);  // past its 300 ms age, well within the global one
    auto aged = read(b, "short:a", 0);
    EXPECT_TRUE(aged.events.empty());
    EXPECT_EQ(aged.first_available, 4u);
    EXPECT_EQ(read(b, "long", 0).events.size(), 1u);

    std::this_thread::sleep_for(1800ms);  // past its keep
    EXPECT_EQ(test::redis_integer(port, "EXISTS " + P + "m:short:a"), 0);
    auto again = publish(b, request("short:a", "new"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->offset, 1u);
    EXPECT_NE(again->epoch, first->epoch) << "a cursor into the expired channel must get a reset, never a silent gap";
}

}  // namespace
}  // namespace herald::broker

namespace herald::broker {
namespace {

using conformance::incr_key;
using conformance::read_latest;
using conformance::remove_key;
using conformance::set_key;

// Channels starting with "counter:" are keyed (max_keys 10), with the options' history limits.
channel_limits_fn counters_keyed(const redis_broker_options& o) {
    return [size = o.history_size, ttl = o.history_ttl_ms, bytes = o.history_max_bytes](const std::string& channel) {
        channel_limits l{size, ttl, bytes};
        l.keyed = channel.rfind("counter:", 0) == 0;
        l.max_keys = l.keyed ? 10 : 0;
        return l;
    };
}

// The incr runs in the publish script with the offset, so two nodes adding to one counter at once
// never read the same value: every sum from 1 to 400 comes back exactly once, and every node's
// handler sees them in offset order.
TEST_F(RedisBrokerTest, TwoNodesIncrementingOneCounterNeverLoseOrRepeatASum) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    auto o = fast_options();
    o.limits_for = counters_keyed(o);
    auto a = redis_broker::open(server.url(), clock, o);
    auto b = redis_broker::open(server.url(), clock, o);
    ASSERT_TRUE(a.ok() && b.ok());
    recording_handler ha, hb;
    a.value()->set_handler(&ha);
    b.value()->set_handler(&hb);
    std::vector<std::int64_t> values[2];
    std::vector<std::thread> publishers;
    for (int n = 0; n < 2; ++n)
        publishers.emplace_back([node = n == 0 ? a.value().get() : b.value().get(), &mine = values[n]] {
            for (int i = 0; i < 200; ++i) {
                auto r = publish(*node, incr_key("counter:hits", "n", 1));
                EXPECT_TRUE(r.ok() && r->value) << (r.ok() ? "no value" : r.err().message);
                if (r.ok() && r->value) mine.push_back(*r->value);
            }
        });
    for (auto& t : publishers) t.join();
    std::vector<std::int64_t> all = values[0];
    all.insert(all.end(), values[1].begin(), values[1].end());
    std::sort(all.begin(), all.end());
    std::vector<std::int64_t> expected(400);
    for (int i = 0; i < 400; ++i) expected[i] = i + 1;
    EXPECT_EQ(all, expected) << "each sum exactly once";
    EXPECT_FALSE(values[0].empty() || values[1].empty());

    auto latest = read_latest(*b.value(), "counter:hits");
    ASSERT_EQ(latest.events.size(), 1u);
    EXPECT_EQ(latest.events[0]->data, "400");
    EXPECT_EQ(latest.events[0]->offset, 400u);
    EXPECT_EQ(latest.events[0]->key, "n");
    for (auto* h : {&ha, &hb}) {
        auto evs = h->wait_for(400);
        ASSERT_EQ(evs.size(), 400u);
        for (const auto& e : evs) {
            EXPECT_EQ(e->data, std::to_string(e->offset)) << "the sum at each offset";
            EXPECT_EQ(e->key, "n");
        }
        EXPECT_EQ(h->gaps(), 0u);
    }
}

// A counter must outlive history.ttl: while a keyed channel has a live key its position and keyed
// keys never expire (a watched one too: the touch adds no expiry), so it keeps its epoch and
// offset; its history still ages (manual clock) and its list expires (real time), and the byte
// count starts over. Once its last key is deleted it expires like any channel.
TEST_F(RedisBrokerTest, AKeyedChannelWithLiveKeysOutlivesItsHistoryTtlAndKeepsItsEpoch) {
    test::redis_server server;
    ASSERT_TRUE(server.start());
    test::manual_clock manual;
    auto o = expiring_options();  // ttl 600 ms, keep 800 ms
    o.limits_for = counters_keyed(o);
    o.live_channels = [] { return std::vector<std::string>{"counter:watched"}; };
    auto opened = redis_broker::open(server.url(), manual, o);
    ASSERT_TRUE(opened.ok()) << opened.err().message;
    auto& b = *opened.value();
    const auto first = publish(b, incr_key("counter:a", "n", 5));
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(publish(b, set_key("counter:a", "gone", "1")).ok());
    ASSERT_TRUE(publish(b, remove_key("counter:a", "gone")).ok());
    ASSERT_TRUE(publish(b, incr_key("counter:watched", "n", 1)).ok());
    ASSERT_TRUE(publish(b, request("plain", "1")).ok());
    const int port = server.port();
    const auto& P = o.key_prefix;
    for (const auto& k : {P + "m:counter:a", P + "k:counter:a", P + "ko:counter:a", P + "m:counter:watched"})
        EXPECT_EQ(test::redis_integer(port, "PTTL " + k), -1) << k << " must not expire while the channel has keys";
    EXPECT_GT(test::redis_integer(port, "PTTL " + P + "h:counter:a"), 0) << "history still expires";
    EXPECT_GT(test::redis_integer(port, "PTTL " + P + "m:plain"), 0);

    for (int i = 0; i < 12; ++i) {  // past keep in real time and past the history ttl by the broker's
        std::this_thread::sleep_for(100ms);  // clock, which paces the touches (every 200 ms) and sweeps
        manual.advance(100);
    }
    EXPECT_EQ(test::redis_integer(port, "EXISTS " + P + "m:plain"), 0) << "an unkeyed channel expires";
    EXPECT_EQ(test::redis_integer(port, "EXISTS " + P + "h:counter:a"), 0);
    for (const auto& k : {P + "m:counter:a", P + "k:counter:a", P + "ko:counter:a"})
        EXPECT_EQ(test::redis_integer(port, "EXISTS " + k), 1) << k;
    EXPECT_EQ(test::redis_integer(port, "PTTL " + P + "m:counter:watched"), -1) << "the touch added an expiry";
    EXPECT_TRUE(eventually([&] { return b.stats().channels == 2; })) << "the keyed channels stay in the index";

    auto latest = read_latest(b, "counter:a");
    EXPECT_EQ(latest.epoch, first->epoch);
    EXPECT_EQ(latest.last_offset, 3u);
    ASSERT_EQ(latest.events.size(), 2u);
    EXPECT_EQ(latest.events[0]->data, "5");
    EXPECT_TRUE(latest.events[1]->deleted);
    auto aged = read(b, "counter:a", 0);
    EXPECT_TRUE(aged.events.empty());
    EXPECT_EQ(aged.first_available, 4u);
    auto next = publish(b, incr_key("counter:a", "n", 1));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->value, 6);
    EXPECT_EQ(next->offset, 4u);
    EXPECT_EQ(next->epoch, first->epoch);
    auto bytes = test::redis_command(port, "HGET " + P + "m:counter:a bytes");
    EXPECT_NE(bytes.find("\r\n65\r\n"), std::string::npos)
        << "the byte count of the history held (one event): " << bytes;

    ASSERT_TRUE(publish(b, remove_key("counter:a", "n")).ok());
    for (const auto& k : {P + "m:counter:a", P + "k:counter:a", P + "ko:counter:a"}) {
        const auto ttl = test::redis_integer(port, "PTTL " + k);
        EXPECT_GT(ttl, 0) << k << " expires once no key is left";
        EXPECT_LE(ttl, 800) << k;
    }
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(test::redis_integer(port, "EXISTS " + P + "m:counter:a"), 0);
    EXPECT_EQ(test::redis_integer(port, "EXISTS " + P + "k:counter:a"), 0);
    auto gone = read_latest(b, "counter:a");
    EXPECT_TRUE(gone.events.empty());
    EXPECT_EQ(gone.last_offset, 0u);
    EXPECT_NE(gone.epoch, first->epoch) << "expired, it comes back in a new epoch";
}

}  // namespace
}  // namespace herald::broker
