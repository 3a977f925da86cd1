// sidecar/webhook_sender against a real HTTP receiver (tests/support/webhook_receiver): items
// delivered in order with ids, node_seq and headers over one kept-alive connection; retries while
// the app answers 500 or is down, then catch-up with nothing lost, duplicated or reordered;
// overflow -> exactly one resync then new items; give-up -> a resync delivered once the app is
// back; a hanging app cut by the timeout; the signature verifies with the secret only; metrics;
// stop() lets the io_context end.
#include "sidecar/webhook_sender.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <future>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <thread>

#include "lib/presence/webhook_signature.hpp"
#include "tests/support/webhook_receiver.hpp"

namespace herald::sidecar {
namespace {

using namespace std::chrono_literals;
using test::recorded_request;

config::webhooks_config fast_config() {
    config::webhooks_config c;
    c.queue_size = 100;
    c.batch_size = 2;
    c.timeout_ms = 1000;
    c.retry_min_ms = 20;
    c.retry_max_ms = 80;
    c.give_up_ms = 60000;
    return c;
}

// A sender on its own io thread, like the presence thread of herald serve.
struct harness {
    test::webhook_receiver rx;
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{boost::asio::make_work_guard(io)};
    metrics counters{1};
    std::atomic<std::uint64_t> seq{0};  // the node's shared sequence
    std::shared_ptr<webhook_sender> sender;
    std::thread thread;

    explicit harness(const config::webhooks_config& cfg, const std::string& path = "/hooks?k=1") {
        auto url = presence::parse_webhook_url(rx.url(path));
        EXPECT_TRUE(url.ok());
        auto log = std::make_shared<spdlog::logger>("webhook", std::make_shared<spdlog::sinks::null_sink_mt>());
        sender = std::make_shared<webhook_sender>(io, url.value(), cfg, "nodeA", [this] { return ++seq; }, counters, log);
        thread = std::thread([this] { io.run(); });
    }
    ~harness() {
        sender->stop();
        work.reset();
        thread.join();
    }

    // Pushes user.online items for `users`, in one go on the io thread; positions follow seq.
    void push(const std::vector<std::string>& users) {
        std::promise<void> done;
        boost::asio::post(io, [&] {
            for (const auto& u : users) {
                presence::lifecycle_event e;
                e.type = "user.online";
                e.subject = u;
                e.node = "nodeA";
                e.node_seq = ++seq;
                e.position = 1000 + e.node_seq;
                e.at_ms = 1733500000000;
                sender->push(e);
            }
            done.set_value();
        });
        done.get_future().wait();
    }

    std::size_t depth() {
        std::promise<std::size_t> p;
        boost::asio::post(io, [&] { p.set_value(sender->depth()); });
        return p.get_future().get();
    }

    static std::uint64_t read(const metrics::counter& c) { return c.load(); }
};

// Every item of every request the receiver answered 2xx, in arrival order.
std::vector<nlohmann::json> delivered(const std::vector<recorded_request>& reqs) {
    std::vector<nlohmann::json> out;
    for (const auto& r : reqs) {
        if (r.answered < 200 || r.answered > 299) continue;
        const auto body = nlohmann::json::parse(r.body);
        for (const auto& e : body.at("events")) out.push_back(e);
    }
    return out;
}

std::vector<std::string> ids(const std::vector<nlohmann::json>& items) {
    std::vector<std::string> out;
    for (const auto& e : items) out.push_back(e.at("id"));
    return out;
}

auto delivered_at_least(std::size_t n) {
    return [n](const std::vector<recorded_request>& r) { return delivered(r).size() >= n; };
}

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds timeout = 5s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (f()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return f();
}

TEST(WebhookSender, DeliversInOrderWithIdsHeadersAndOneConnection) {
    harness h(fast_config());
    h.push({"u1", "u2", "u3", "u4", "u5"});
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(5), 5s));
    const auto reqs = h.rx.requests();
    EXPECT_EQ(ids(delivered(reqs)), (std::vector<std::string>{"nodeA-1", "nodeA-2", "nodeA-3", "nodeA-4", "nodeA-5"}));
    for (const auto& r : reqs) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.target, "/hooks?k=1");
        EXPECT_EQ(r.header("Content-Type"), "application/json");
        EXPECT_EQ(r.header("User-Agent"), "herald");
        EXPECT_EQ(r.header("Herald-Node"), "nodeA");
        EXPECT_EQ(r.header("Herald-Signature"), "") << "no secret, no signature";
        EXPECT_LE(nlohmann::json::parse(r.body).at("events").size(), 2u) << "batch_size";
        EXPECT_EQ(r.connection, 1u) << "one kept-alive connection";
    }
    const auto first = delivered(reqs).front();
    EXPECT_EQ(first.at("user"), "u1");
    EXPECT_EQ(first.at("node_seq"), 1);
    EXPECT_EQ(first.at("position"), 1001);
    EXPECT_TRUE(eventually([&] { return h.read(h.counters.webhook_items_sent) == 5; }));
    EXPECT_EQ(h.read(h.counters.webhook_failures), 0u);
    EXPECT_EQ(h.counters.webhook_queue_depth.load(), 0);
}

TEST(WebhookSender, RetriesWhileTheAppAnswers500ThenCatchesUpInOrder) {
    harness h(fast_config());
    h.rx.set_status(500);
    h.push({"a", "b", "c"});
    ASSERT_TRUE(h.rx.wait_for([](const auto& r) { return r.size() >= 3; }, 5s));
    h.push({"d", "e"});
    EXPECT_EQ(h.depth(), 5u);
    EXPECT_TRUE(eventually([&] { return h.counters.webhook_queue_depth.load() == 5; }));
    h.rx.set_status(200);
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(5), 5s));
    const auto reqs = h.rx.requests();
    EXPECT_EQ(ids(delivered(reqs)), (std::vector<std::string>{"nodeA-1", "nodeA-2", "nodeA-3", "nodeA-4", "nodeA-5"}));
    // Every failed attempt carried the same first batch: item 1, sent alone as soon as it was pushed.
    for (const auto& r : reqs) {
        if (r.answered != 500) continue;
        EXPECT_EQ(ids(nlohmann::json::parse(r.body).at("events")), (std::vector<std::string>{"nodeA-1"}));
    }
    EXPECT_GE(h.read(h.counters.webhook_failures), 3u);
    EXPECT_GE(h.read(h.counters.webhook_retries), 3u);
    EXPECT_TRUE(eventually([&] { return h.read(h.counters.webhook_items_sent) == 5; }));
}

TEST(WebhookSender, RetriesWhileTheAppIsDownThenCatchesUp) {
    harness h(fast_config());
    h.push({"a"});
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(1), 5s));
    h.rx.go_down();
    h.push({"b", "c", "d"});
    ASSERT_TRUE(eventually([&] { return h.read(h.counters.webhook_failures) >= 3; }));
    h.rx.come_back();
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(4), 5s));
    EXPECT_EQ(ids(delivered(h.rx.requests())), (std::vector<std::string>{"nodeA-1", "nodeA-2", "nodeA-3", "nodeA-4"}));
}

TEST(WebhookSender, AConnectionTheAppClosedWhileIdleIsNoFailure) {
    harness h(fast_config());
    h.push({"a"});
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(1), 5s));
    h.rx.go_down();  // closes the kept-alive connection
    h.rx.come_back();
    h.push({"b"});
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(2), 5s));
    EXPECT_EQ(h.read(h.counters.webhook_failures), 0u);
    EXPECT_EQ(h.rx.requests().back().connection, 2u);
}

TEST(WebhookSender, OverflowBecomesExactlyOneResyncThenNewItems) {
    auto cfg = fast_config();
    cfg.queue_size = 3;
    harness h(cfg);
    h.rx.set_status(500);
    h.push({"a", "b", "c", "d"});  // the 4th overflows: the queue becomes one resync (node_seq 5)
    EXPECT_EQ(h.depth(), 1u);
    h.push({"e", "f"});           // node_seq 6, 7
    // Once a POST carrying the resync failed, the batch of item 1 (in flight at the overflow) is
    // over: from then on the app can only receive the resync and what follows.
    ASSERT_TRUE(h.rx.wait_for([](const auto& reqs) {
        for (const auto& r : reqs)
            if (r.body.find("\"resync\"") != std::string::npos) return true;
        return false;
    }, 5s));
    h.rx.set_status(200);
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(3), 5s));
    const auto items = delivered(h.rx.requests());
    EXPECT_EQ(ids(items), (std::vector<std::string>{"nodeA-5", "nodeA-6", "nodeA-7"}));
    EXPECT_EQ(items[0].at("type"), "resync");
    EXPECT_EQ(items[0].at("reason"), "queue_overflow");
    EXPECT_EQ(items[0].at("position"), 1004) << "the newest position the queue saw";
    EXPECT_FALSE(items[0].contains("user"));
    const std::int64_t at = items[0].at("at"), now_ms = std::time(nullptr) * std::int64_t{1000};
    EXPECT_LT(std::abs(at - now_ms), 60000) << "a resync's `at` is wall-clock ms";
    EXPECT_EQ(items[1].at("user"), "e");
    EXPECT_EQ(h.read(h.counters.webhook_resyncs), 1u);
}

TEST(WebhookSender, GivingUpDeliversOneUnreachableResyncWhenTheAppIsBack) {
    auto cfg = fast_config();
    cfg.give_up_ms = 150;
    harness h(cfg);
    h.rx.go_down();
    h.push({"a", "b", "c"});
    ASSERT_TRUE(eventually([&] { return h.read(h.counters.webhook_resyncs) == 1; }));
    EXPECT_EQ(h.depth(), 1u);
    std::this_thread::sleep_for(400ms);  // more give-ups' worth of failures: still one resync
    EXPECT_EQ(h.read(h.counters.webhook_resyncs), 1u);
    h.rx.come_back();
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(1), 5s));
    h.push({"d"});
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(2), 5s));
    const auto items = delivered(h.rx.requests());
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].at("type"), "resync");
    EXPECT_EQ(items[0].at("reason"), "unreachable");
    EXPECT_EQ(items[0].at("id"), "nodeA-4");
    EXPECT_EQ(items[0].at("position"), 1003);
    EXPECT_EQ(items[1].at("id"), "nodeA-5");
}

TEST(WebhookSender, AHangingAppIsCutByTheTimeout) {
    auto cfg = fast_config();
    cfg.timeout_ms = 200;
    harness h(cfg);
    h.rx.set_hanging(true);
    const auto start = std::chrono::steady_clock::now();
    h.push({"a"});
    ASSERT_TRUE(eventually([&] { return h.read(h.counters.webhook_failures) >= 1; }));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 180ms);
    EXPECT_LT(took, 2s);
    h.rx.set_hanging(false);
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(1), 5s));
    const auto reqs = h.rx.requests();
    EXPECT_EQ(reqs.front().answered, 0);
    EXPECT_GT(reqs.back().connection, reqs.front().connection) << "a timed-out connection is not reused";
    EXPECT_EQ(ids(delivered(reqs)), (std::vector<std::string>{"nodeA-1"}));
}

TEST(WebhookSender, SignatureVerifiesWithTheSecretOnly) {
    auto cfg = fast_config();
    cfg.secret = "s3cret";
    harness h(cfg);
    h.push({"a"});
    ASSERT_TRUE(h.rx.wait_for(delivered_at_least(1), 5s));
    const auto r = h.rx.requests().front();
    const auto header = r.header("Herald-Signature");
    ASSERT_EQ(header.rfind("t=", 0), 0u) << header;
    const std::int64_t now = std::time(nullptr);
    EXPECT_EQ(presence::verify_webhook("s3cret", header, r.body, now, 300), presence::signature_check::valid);
    EXPECT_EQ(presence::verify_webhook("other", header, r.body, now, 300), presence::signature_check::mismatch);
    EXPECT_EQ(presence::verify_webhook("s3cret", header, r.body + " ", now, 300), presence::signature_check::mismatch);
}

TEST(WebhookSender, StopLetsTheIoContextEnd) {
    test::webhook_receiver rx;
    rx.set_hanging(true);
    boost::asio::io_context io;
    metrics counters{1};
    std::uint64_t seq = 0;
    auto log = std::make_shared<spdlog::logger>("webhook", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto cfg = fast_config();
    cfg.timeout_ms = 60000;
    auto sender = std::make_shared<webhook_sender>(io, presence::parse_webhook_url(rx.url()).value(), cfg, "n",
                                                   [&] { return ++seq; }, counters, log);
    presence::lifecycle_event e;
    e.type = "user.online";
    e.subject = "a";
    e.node = "n";
    e.node_seq = ++seq;
    sender->push(e);
    std::thread t([&] { io.run(); });
    ASSERT_TRUE(rx.wait_for([](const auto& r) { return !r.empty(); }, 5s));
    const auto start = std::chrono::steady_clock::now();
    sender->stop();
    t.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_FALSE(sender->idle());
    sender.reset();
    EXPECT_EQ(counters.webhook_queue_depth.load(), 0) << "a destroyed sender takes its items off the gauge";
}

}  // namespace
}  // namespace herald::sidecar
