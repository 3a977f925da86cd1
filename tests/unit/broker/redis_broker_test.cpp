// broker/redis_broker, Redis only (a real redis-server per test; skipped with the reason when none
// is installed): an unreachable URL is an error naming it; a bad URL fails at once; AUTH and
// SELECT; Redis stopped mid-run → 503 with a hint and healthy() false; restarted empty →
// reconnect, resubscribe, a new epoch; two brokers ("nodes") on one Redis see each other's
// publishes with identical positions.
#include "lib/broker/redis_broker.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "lib/util/clock.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/unit/broker/broker_conformance.hpp"

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

}  // namespace
}  // namespace herald::broker
