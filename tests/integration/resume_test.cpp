// Resume over real sockets: Last-Event-ID and ?since= replay exactly what was missed, since=earliest
// replays history, no gap or duplicate while publishing concurrently, and herald.reset for
// evicted history, a changed epoch and malformed cursors (a malformed ?since= is a 400).
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

std::vector<std::string> datas(const sse_client& s, std::size_t from = 0) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < s.events().size(); ++i) out.push_back(s.events()[i].data);
    return out;
}

// Connects, receives three events, and returns the id of the last one.
std::string first_three(test_server& srv, const std::string& channel) {
    sse_client sub(srv.public_port(), sse_target({channel}));
    EXPECT_TRUE(sub.ok());
    for (int i = 1; i <= 3; ++i) srv.publish(channel, "e" + std::to_string(i));
    EXPECT_TRUE(sub.wait_events(3)) << sub.body();
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"e1", "e2", "e3"}));
    return sub.events().empty() ? std::string() : sub.events().back().id;
}

TEST(Resume, LastEventIdReplaysExactlyWhatWasMissed) {
    test_server srv;
    auto last = first_three(srv, "r");
    ASSERT_FALSE(last.empty());
    srv.publish("r", "e4");
    srv.publish("r", "e5");
    sse_client again(srv.public_port(), sse_target({"r"}), {{"Last-Event-ID", last}});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(2)) << again.body();
    srv.publish("r", "live");
    ASSERT_TRUE(again.wait_events(3)) << again.body();
    EXPECT_EQ(datas(again), (std::vector<std::string>{"e4", "e5", "live"}));
    for (const auto& e : again.events()) EXPECT_EQ(e.event, "message");
}

TEST(Resume, SinceQueryReplaysExactlyWhatWasMissed) {
    test_server srv;
    auto last = first_three(srv, "r");
    srv.publish("r", "e4");
    srv.publish("r", "e5");
    sse_client again(srv.public_port(), sse_target({"r"}, "since=" + client::url_encode(last)));
    ASSERT_TRUE(again.ok()) << again.error_body();
    ASSERT_TRUE(again.wait_events(2)) << again.body();
    srv.publish("r", "live");
    ASSERT_TRUE(again.wait_events(3));
    EXPECT_EQ(datas(again), (std::vector<std::string>{"e4", "e5", "live"}));
}

TEST(Resume, LastEventIdWinsOverSince) {
    // A browser reconnects with the same URL (still carrying since=) plus its newer Last-Event-ID.
    test_server srv;
    auto last = first_three(srv, "r");
    srv.publish("r", "e4");
    sse_client again(srv.public_port(), sse_target({"r"}, "since=earliest"), {{"Last-Event-ID", last}});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(1)) << again.body();
    srv.publish("r", "e5");
    ASSERT_TRUE(again.wait_events(2)) << again.body();
    EXPECT_EQ(datas(again), (std::vector<std::string>{"e4", "e5"}));
}

TEST(Resume, MalformedSinceIs400EvenWithLastEventId) {
    test_server srv;
    auto last = first_three(srv, "r");
    sse_client again(srv.public_port(), sse_target({"r"}, "since=nonsense"), {{"Last-Event-ID", last}});
    EXPECT_EQ(again.status(), 400u);
}

TEST(Resume, CursorAtTheHeadReplaysNothing) {
    test_server srv;
    auto last = first_three(srv, "r");
    sse_client again(srv.public_port(), sse_target({"r"}), {{"Last-Event-ID", last}});
    ASSERT_TRUE(again.ok());
    srv.publish("r", "next");
    ASSERT_TRUE(again.wait_events(1));
    EXPECT_EQ(datas(again), (std::vector<std::string>{"next"}));
}

TEST(Resume, SinceEarliestReplaysHistoryThenGoesLive) {
    test_server srv;
    for (int i = 1; i <= 5; ++i) srv.publish("h", i);
    sse_client sub(srv.public_port(), sse_target({"h"}, "since=earliest"));
    ASSERT_TRUE(sub.ok());
    ASSERT_TRUE(sub.wait_events(5)) << sub.body();
    srv.publish("h", 6);
    ASSERT_TRUE(sub.wait_events(6));
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST(Resume, StreamStartsWithAPositionSoAClientCanResumeBeforeItsFirstEvent) {
    test_server srv;
    srv.publish("p", "old");
    std::string position;
    {
        sse_client sub(srv.public_port(), sse_target({"p"}));
        ASSERT_TRUE(sub.ok());
        // An id-only block tells the client where the stream starts.
        sub.wait_for([](const auto&) { return false; }, 300ms);
        position = sub.last_id();
        ASSERT_FALSE(position.empty()) << sub.body();
        EXPECT_TRUE(sub.events().empty());
    }
    srv.publish("p", "missed");
    sse_client again(srv.public_port(), sse_target({"p"}), {{"Last-Event-ID", position}});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again.wait_events(1)) << again.body();
    EXPECT_EQ(datas(again), (std::vector<std::string>{"missed"}));
}

// A publisher hammers one channel while a subscriber keeps disconnecting and resuming with the
// id of the last event it got: in the end it has every offset exactly once, in order.
TEST(Resume, NoGapAndNoDuplicateWhilePublishingConcurrently) {
    auto cfg = test_config();
    cfg.history.size = 2000;
    test_server srv(cfg);
    constexpr int total = 300;
    std::vector<std::uint64_t> got;
    std::string last;
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> take(1, 12);
    std::atomic<bool> publisher_started{false};
    std::thread publisher;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    int connections = 0;
    while (got.size() < static_cast<std::size_t>(total) && std::chrono::steady_clock::now() < deadline) {
        client::header_list headers;
        if (!last.empty()) headers.emplace_back("Last-Event-ID", last);
        sse_client sub(srv.public_port(), sse_target({"hammer"}, "envelope=json"), headers);
        if (!sub.ok()) {
            ADD_FAILURE() << "stream refused: " << sub.status();
            break;
        }
        ++connections;
        if (!publisher_started.exchange(true)) {
            publisher = std::thread([&] {
                auto url = *client::parse_url(srv.internal_url());
                for (int i = 1; i <= total; ++i) {
                    auto r = client::http_request(url, "POST", "/v1/channels/hammer/events", std::to_string(i),
                                                  "application/json");
                    if (!r || r->status != 200) ADD_FAILURE() << "publish " << i << " failed";
                }
            });
        }
        std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(take(rng)), total - got.size());
        sub.wait_events(want, 5s);
        for (const auto& e : sub.events()) {
            auto j = parse_json(e.data);
            got.push_back(j["offset"].get<std::uint64_t>());
            EXPECT_EQ(j["data"], static_cast<int>(j["offset"].get<std::uint64_t>()));
            last = e.id;
        }
    }
    if (publisher.joinable()) publisher.join();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(total)) << "after " << connections << " connections";
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], i + 1) << "at index " << i;
    EXPECT_GT(connections, 5);
}

TEST(Reset, EvictedHistoryGivesHistoryGone) {
    auto cfg = test_config();
    cfg.history.size = 3;
    test_server srv(cfg);
    std::string last;
    {
        sse_client sub(srv.public_port(), sse_target({"small"}));
        ASSERT_TRUE(sub.ok());
        srv.publish("small", "1");
        ASSERT_TRUE(sub.wait_events(1));
        last = sub.events()[0].id;
    }
    for (int i = 2; i <= 10; ++i) srv.publish("small", std::to_string(i));
    sse_client again(srv.public_port(), sse_target({"small"}), {{"Last-Event-ID", last}});
    ASSERT_TRUE(again.ok());
    auto reset = again.wait_for([](const auto& m) { return m.event == "herald.reset"; });
    ASSERT_TRUE(reset) << again.body();
    auto j = parse_json(reset->data);
    EXPECT_EQ(j["channel"], "small");
    EXPECT_EQ(j["reason"], "history_gone");
    EXPECT_FALSE(reset->id.empty());
    // The stream carries on live after the reset.
    srv.publish("small", "11");
    auto next = again.wait_for([](const auto& m) { return m.event == "message"; });
    ASSERT_TRUE(next) << again.body();
    EXPECT_EQ(next->data, "11");
    EXPECT_EQ(again.events().size(), 2u) << again.body();
    EXPECT_TRUE(srv.wait_metric("herald_resets_total", [](double v) { return v >= 1; }));
}

TEST(Reset, ResetIdResumesWithoutAnotherReset) {
    auto cfg = test_config();
    cfg.history.size = 2;
    test_server srv(cfg);
    std::string last;
    {
        sse_client sub(srv.public_port(), sse_target({"s"}));
        ASSERT_TRUE(sub.ok());
        srv.publish("s", "1");
        ASSERT_TRUE(sub.wait_events(1));
        last = sub.events()[0].id;
    }
    for (int i = 2; i <= 6; ++i) srv.publish("s", std::to_string(i));
    std::string after_reset;
    {
        sse_client again(srv.public_port(), sse_target({"s"}), {{"Last-Event-ID", last}});
        auto reset = again.wait_for([](const auto& m) { return m.event == "herald.reset"; });
        ASSERT_TRUE(reset);
        after_reset = reset->id;
    }
    srv.publish("s", "7");
    sse_client third(srv.public_port(), sse_target({"s"}), {{"Last-Event-ID", after_reset}});
    ASSERT_TRUE(third.wait_events(1)) << third.body();
    EXPECT_EQ(third.events()[0].event, "message") << third.body();
    EXPECT_EQ(third.events()[0].data, "7");
}

TEST(Reset, CursorFromAnotherEpochGivesEpochChanged) {
    std::string cursor;
    {
        test_server first;
        sse_client sub(first.public_port(), sse_target({"e"}));
        ASSERT_TRUE(sub.ok());
        first.publish("e", "from the first server");
        ASSERT_TRUE(sub.wait_events(1));
        cursor = sub.events()[0].id;
    }
    test_server second;  // a restarted memory broker: a new epoch
    second.publish("e", "new 1");
    second.publish("e", "new 2");
    sse_client sub(second.public_port(), sse_target({"e"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(sub.ok());
    auto reset = sub.wait_for([](const auto& m) { return m.event == "herald.reset"; });
    ASSERT_TRUE(reset) << sub.body();
    auto j = parse_json(reset->data);
    EXPECT_EQ(j["reason"], "epoch_changed");
    EXPECT_EQ(j["channel"], "e");
    second.publish("e", "new 3");
    auto live = sub.wait_for([](const auto& m) { return m.event == "message"; });
    ASSERT_TRUE(live);
    EXPECT_EQ(live->data, "new 3");
}

TEST(Reset, MalformedLastEventIdOpensTheStreamWithBadCursor) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"m"}), {{"Last-Event-ID", "not-a-cursor"}});
    ASSERT_TRUE(sub.ok()) << sub.status() << " " << sub.error_body();
    auto reset = sub.wait_for([](const auto& m) { return m.event == "herald.reset"; });
    ASSERT_TRUE(reset) << sub.body();
    auto j = parse_json(reset->data);
    EXPECT_EQ(j["reason"], "bad_cursor");
    EXPECT_EQ(j["channel"], "m");
    srv.publish("m", "after");
    auto live = sub.wait_for([](const auto& m) { return m.event == "message"; });
    ASSERT_TRUE(live);
    EXPECT_EQ(live->data, "after");
}

TEST(Reset, CursorOfAnotherChannelSetIsABadCursor) {
    test_server srv;
    std::string cursor;
    {
        sse_client sub(srv.public_port(), sse_target({"x"}));
        srv.publish("x", "1");
        ASSERT_TRUE(sub.wait_events(1));
        cursor = sub.events()[0].id;
    }
    sse_client other(srv.public_port(), sse_target({"y"}), {{"Last-Event-ID", cursor}});
    ASSERT_TRUE(other.ok());
    auto reset = other.wait_for([](const auto& m) { return m.event == "herald.reset"; });
    ASSERT_TRUE(reset) << other.body();
    EXPECT_EQ(parse_json(reset->data)["reason"], "bad_cursor");
}

TEST(Reset, MalformedSinceIsA400NamingIt) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"m"}, "since=garbage-cursor"));
    EXPECT_EQ(sub.status(), 400u);
    EXPECT_EQ(sub.header("content-type"), "application/json");
    auto j = parse_json(sub.error_body());
    EXPECT_EQ(j["error"]["code"], "invalid_cursor");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("garbage-cursor"), std::string::npos) << j;
    EXPECT_FALSE(j["error"]["hint"].get<std::string>().empty());
}

}  // namespace
}  // namespace herald::test
