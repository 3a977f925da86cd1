// Runs the real `herald tail` as a child process against real servers: live events (plain and
// --json), history with --since earliest, several channels, HERALD_URL, server errors, retrying
// an unreachable server, resuming from a cursor it printed, and reconnecting through a proxy
// that cuts its connections, without loss or duplicates. Waits are bounded polls; no timings.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <regex>

#include "tests/support/cli_support.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

TEST(CliTail, PrintsEventsAsTheyArriveAndStopsAfterCount) {
    test_server srv;
    process tail({"tail", "news", "--since", "earliest", "--count", "2", "--url", srv.internal_url()});
    ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
    srv.publish("news", "hello");
    // The first line is out before the second event exists.
    ASSERT_TRUE(tail.wait_out("news #1: hello\n")) << tail.out() << tail.err();
    EXPECT_TRUE(tail.running());
    srv.publish("news", json{{"n", 2}}, "price");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "news #1: hello\nnews #2 price: {\"n\":2}\n");
}

TEST(CliTail, JsonPrintsOneObjectPerEvent) {
    test_server srv;
    process tail({"tail", "news", "--json", "--since", "earliest", "--count", "2", "--url", srv.internal_url()});
    ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
    auto p1 = srv.publish("news", "hello");
    auto p2 = srv.publish("news", json{{"n", 2}}, "price");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0]["channel"], "news");
    EXPECT_EQ(lines[0]["offset"], p1["offset"]);
    EXPECT_EQ(lines[0]["epoch"], p1["epoch"]);
    EXPECT_EQ(lines[0]["data"], "hello");
    EXPECT_FALSE(lines[0].contains("event")) << lines[0];
    EXPECT_EQ(lines[1]["offset"], p2["offset"]);
    EXPECT_EQ(lines[1]["event"], "price");
    EXPECT_EQ(lines[1]["data"], (json{{"n", 2}}));
    for (const auto& l : lines) {
        ASSERT_TRUE(l.contains("id") && l["id"].is_string()) << l;
        EXPECT_FALSE(l["id"].get<std::string>().empty());
        EXPECT_TRUE(l.contains("published_at")) << l;
    }
    EXPECT_NE(lines[0]["id"], lines[1]["id"]);
}

TEST(CliTail, SinceEarliestPrintsHistoryThenLiveEvents) {
    test_server srv;
    for (int i = 1; i <= 3; ++i) srv.publish("h", "old" + std::to_string(i));
    process tail({"tail", "h", "--since", "earliest", "--count", "4", "--url", srv.internal_url()});
    ASSERT_TRUE(tail.wait_out("h #3: old3\n")) << tail.out() << tail.err();
    srv.publish("h", "new");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "h #1: old1\nh #2: old2\nh #3: old3\nh #4: new\n");
}

TEST(CliTail, WithoutSinceStartsAtTheHead) {
    test_server srv;
    srv.publish("h", "before");
    process tail({"tail", "h", "--count", "1", "--url", srv.internal_url()});
    ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
    // Where the stream starts relative to a concurrent publish is up to the race: tick until
    // the tail prints one event, which must be a tick, not history.
    std::uint64_t ticks = 0;
    ASSERT_TRUE(eventually([&] {
        srv.publish("h", "after");
        ++ticks;
        return !tail.running();
    })) << tail.err();
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(r.out, m, std::regex("h #(\\d+): after\n"))) << r.out;
    EXPECT_GE(std::stoul(m[1]), 2u);
    EXPECT_LE(std::stoul(m[1]), ticks + 1);
}

TEST(CliTail, FollowsSeveralChannelsOnOneStream) {
    test_server srv;
    process tail({"tail", "a", "b", "c", "--json", "--since", "earliest", "--count", "5", "--url", srv.internal_url()});
    ASSERT_TRUE(wait_subscribed(srv, 3)) << tail.err();
    srv.publish("a", "a1");
    srv.publish("b", "b1");
    srv.publish("a", "a2");
    srv.publish("c", "c1");
    srv.publish("b", "b2");
    srv.publish("other", "not followed");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    std::map<std::string, std::vector<std::string>> by_channel;
    for (const auto& l : json_lines(r.out)) by_channel[l.value("channel", "")].push_back(l.value("data", ""));
    EXPECT_EQ(by_channel["a"], (std::vector<std::string>{"a1", "a2"}));
    EXPECT_EQ(by_channel["b"], (std::vector<std::string>{"b1", "b2"}));
    EXPECT_EQ(by_channel["c"], (std::vector<std::string>{"c1"}));
    EXPECT_EQ(by_channel.count("other"), 0u) << r.out;
}

TEST(CliTail, UsesHeraldUrlWhenUrlIsAbsent) {
    test_server srv;
    process tail({"tail", "news", "--since", "earliest", "--count", "1"}, {}, {{"HERALD_URL", srv.internal_url()}});
    ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
    srv.publish("news", "hi");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "news #1: hi\n");
}

TEST(CliTail, BadChannelExits1WithTheServersMessage) {
    test_server srv;
    auto r = run_herald({"tail", "bad chan", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("channel 'bad chan'"), std::string::npos) << r.err;
}

TEST(CliTail, MalformedSinceExits1NamingIt) {
    test_server srv;
    auto r = run_herald({"tail", "news", "--since", "nonsense", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("nonsense"), std::string::npos) << r.err;
}

TEST(CliTail, KeepsRetryingAnUnreachableServerUntilStopped) {
    auto url = "http://127.0.0.1:" + std::to_string(free_port());
    process tail({"tail", "news", "--url", url});
    ASSERT_TRUE(tail.wait_err("cannot connect to " + url)) << tail.err();
    ASSERT_TRUE(tail.wait_err("reconnecting")) << tail.err();
    EXPECT_TRUE(tail.running());
    tail.kill(SIGTERM);
    auto r = tail.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "");
}

TEST(CliTail, QuietHidesConnectionNotices) {
    test_server srv;
    tcp_proxy proxy(srv.internal_port());
    proxy.set_refusing(true);  // every attempt is accepted and closed at once
    process tail({"tail", "news", "--quiet", "--url", "http://127.0.0.1:" + std::to_string(proxy.port())});
    ASSERT_TRUE(eventually([&] { return proxy.accepted() >= 2; })) << tail.err();
    EXPECT_TRUE(tail.running());
    tail.kill(SIGTERM);
    auto r = tail.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.err, "");
}

// ---------------------------------------------------------------------------------------------
// tail: resume

// Resume and reconnect must work alike on both transports: these run over SSE and WebSocket.
class transport_test : public ::testing::TestWithParam<std::string> {
protected:
    std::vector<std::string> tail_args(std::vector<std::string> args) const {
        if (GetParam() == "ws") args.push_back("--ws");
        return args;
    }
};
class CliTailResume : public transport_test {};
class CliTailReconnect : public transport_test {};
INSTANTIATE_TEST_SUITE_P(Transports, CliTailResume, ::testing::Values("sse", "ws"));
INSTANTIATE_TEST_SUITE_P(Transports, CliTailReconnect, ::testing::Values("sse", "ws"));


TEST_P(CliTailResume, CursorFromJsonOutputResumesExactlyTheMissedEvents) {
    test_server srv;
    std::string cursor;
    {
        process tail(tail_args({"tail", "r", "--json", "--since", "earliest", "--count", "2", "--url", srv.internal_url()}));
        ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
        srv.publish("r", "e1");
        srv.publish("r", "e2");
        auto r = tail.wait(quick);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        auto lines = json_lines(r.out);
        ASSERT_EQ(lines.size(), 2u) << r.out;
        cursor = lines.back().value("id", "");
        ASSERT_FALSE(cursor.empty()) << r.out;
    }
    srv.publish("r", "e3");
    srv.publish("r", "e4");
    process again(tail_args({"tail", "r", "--json", "--since", cursor, "--url", srv.internal_url()}));
    ASSERT_TRUE(wait_lines(again, 2)) << again.out() << again.err();
    srv.publish("r", "live");
    ASSERT_TRUE(wait_lines(again, 3)) << again.out() << again.err();
    again.kill(SIGTERM);
    auto r = again.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    std::vector<std::string> got;
    std::vector<std::uint64_t> offsets;
    for (const auto& l : json_lines(r.out)) {
        got.push_back(l.value("data", ""));
        offsets.push_back(l.value("offset", std::uint64_t{0}));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"e3", "e4", "live"}));
    EXPECT_EQ(offsets, (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST_P(CliTailResume, CursorPrintedOnStopResumesExactlyTheMissedEvents) {
    test_server srv;
    process tail(tail_args({"tail", "r", "--since", "earliest", "--url", srv.internal_url()}));
    ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
    srv.publish("r", "e1");
    ASSERT_TRUE(tail.wait_out("r #1: e1\n")) << tail.out() << tail.err();
    tail.kill(SIGTERM);
    auto stopped = tail.wait(quick);
    ASSERT_EQ(stopped.exit_code, 0) << describe(stopped);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(stopped.err, m, std::regex("resume with --since (\\S+)\n"))) << stopped.err;
    const std::string cursor = m[1];

    srv.publish("r", "e2");
    srv.publish("r", "e3");
    process again(tail_args({"tail", "r", "--since", cursor, "--url", srv.internal_url()}));
    ASSERT_TRUE(wait_lines(again, 2)) << again.out() << again.err();
    srv.publish("r", "e4");
    ASSERT_TRUE(wait_lines(again, 3)) << again.out() << again.err();
    again.kill(SIGINT);
    auto r = again.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "r #2: e2\nr #3: e3\nr #4: e4\n");
    EXPECT_NE(r.err.find("resume with --since "), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// tail: reconnect

// A tail through a proxy whose connections are cut while events keep being published: it
// reconnects with backoff and prints every offset exactly once, in order.
TEST_P(CliTailReconnect, ResumesAfterDroppedConnectionsWithoutLossOrDuplicates) {
    test_server srv;
    tcp_proxy proxy(srv.internal_port());
    process tail(tail_args({"tail", "news", "--json", "--since", "earliest", "--url",
                  "http://127.0.0.1:" + std::to_string(proxy.port())}));
    ASSERT_TRUE(wait_subscribed(srv)) << tail.err();
    int published = 0;
    auto publish_two = [&] {
        for (int i = 0; i < 2; ++i) srv.publish("news", "e" + std::to_string(++published));
    };
    constexpr int rounds = 3;
    for (int round = 0; round < rounds; ++round) {
        publish_two();  // live
        ASSERT_TRUE(wait_lines(tail, static_cast<std::size_t>(published))) << tail.out() << tail.err();
        // Cut, and keep it away while two more events are published.
        proxy.set_refusing(true);
        proxy.cut();
        ASSERT_TRUE(eventually([&] { return count_of(tail.err(), "connection lost") > static_cast<std::size_t>(round); }))
            << tail.err();
        publish_two();  // missed while disconnected
        proxy.set_refusing(false);
        ASSERT_TRUE(wait_lines(tail, static_cast<std::size_t>(published))) << tail.out() << tail.err();
    }
    publish_two();  // live again after the last reconnect
    ASSERT_TRUE(wait_lines(tail, static_cast<std::size_t>(published))) << tail.out() << tail.err();
    tail.kill(SIGTERM);
    auto r = tail.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    std::vector<std::uint64_t> offsets, expected;
    std::vector<std::string> got, want;
    for (const auto& l : json_lines(r.out)) {
        offsets.push_back(l.value("offset", std::uint64_t{0}));
        got.push_back(l.value("data", ""));
    }
    for (int i = 1; i <= published; ++i) {
        expected.push_back(static_cast<std::uint64_t>(i));
        want.push_back("e" + std::to_string(i));
    }
    EXPECT_EQ(offsets, expected);
    EXPECT_EQ(got, want);
    EXPECT_GE(proxy.accepted(), static_cast<std::size_t>(rounds + 1));
    EXPECT_NE(r.err.find("reconnecting in"), std::string::npos) << r.err;
}

TEST_P(CliTailReconnect, SinceEarliestStillReplaysHistoryWhenTheFirstConnectionFails) {
    test_server srv;
    tcp_proxy proxy(srv.internal_port());
    proxy.set_refusing(true);
    process tail(tail_args({"tail", "h", "--since", "earliest", "--count", "3", "--url",
                  "http://127.0.0.1:" + std::to_string(proxy.port())}));
    ASSERT_TRUE(tail.wait_err("connection lost")) << tail.err();
    srv.publish("h", "h1");
    srv.publish("h", "h2");
    proxy.set_refusing(false);
    ASSERT_TRUE(tail.wait_out("h #2: h2\n")) << tail.out() << tail.err();
    srv.publish("h", "h3");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "h #1: h1\nh #2: h2\nh #3: h3\n");
}

}  // namespace
}  // namespace herald::test
