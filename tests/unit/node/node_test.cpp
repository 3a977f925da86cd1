// node/node: the façade wires broker → hub (it registers itself as the handler), broadcasts every
// published event to the Hub's subscribers on their shards, stamps delivered_local from the Hub,
// and passes reads and errors through. Memory broker, inline executor, fake subscribers.
#include "lib/node/node.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "lib/broker/memory_broker.hpp"
#include "tests/support/fake_subscriber.hpp"
#include "tests/support/inline_executor.hpp"
#include "tests/support/manual_clock.hpp"

namespace herald::node {
namespace {

model::publish_request request(std::string channel, std::string data = "x", std::string key = "") {
    model::publish_request r;
    r.channel = std::move(channel);
    r.data = std::move(data);
    r.kind = model::data_kind::text;
    r.idempotency_key = std::move(key);
    return r;
}

struct NodeTest : ::testing::Test {
    test::manual_clock clock;
    broker::memory_broker_options opts;
    std::optional<broker::memory_broker> brk;
    test::inline_executor exec{2};
    channels::hub hub{exec};
    std::optional<node> n;

    node& make() {
        brk.emplace(clock, opts);
        n.emplace(*brk, hub);
        return *n;
    }

    model::result<model::publish_result> publish(model::publish_request req) {
        std::optional<model::result<model::publish_result>> out;
        n->publish(std::move(req), [&](model::result<model::publish_result> r) { out.emplace(std::move(r)); });
        EXPECT_TRUE(out);
        return out ? std::move(*out) : model::result<model::publish_result>(model::errors::internal("no callback"));
    }
};

TEST_F(NodeTest, ExposesItsBrokerAndHub) {
    auto& nd = make();
    EXPECT_EQ(&nd.hub(), &hub);
    EXPECT_EQ(&nd.broker(), &*brk);
}

TEST_F(NodeTest, PublishedEventsReachSubscribersOnTheirShards) {
    make();
    test::fake_subscriber a(0), b(1), other(1);
    hub.add(0, "news", &a);
    hub.add(1, "news", &b);
    hub.add(1, "prices", &other);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(publish(request("news", std::to_string(i))).ok());
    exec.run_all();
    EXPECT_EQ(a.offsets(), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(b.offsets(), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(other.count(), 0u);
    EXPECT_EQ(a.wrong_shard() + b.wrong_shard(), 0u);
    ASSERT_EQ(a.events().size(), 3u);
    EXPECT_EQ(a.events()[2]->event().data, "2");
    EXPECT_EQ(a.events()[0]->event().epoch, brk->epoch());
}

TEST_F(NodeTest, DeliveredLocalCountsTheHubsSubscribers) {
    make();
    test::fake_subscriber a(0), b(1);
    auto none = publish(request("news"));
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->delivered_local, 0u);
    hub.add(0, "news", &a);
    hub.add(1, "news", &b);
    auto two = publish(request("news"));
    ASSERT_TRUE(two.ok());
    EXPECT_EQ(two->delivered_local, 2u);
    EXPECT_EQ(two->offset, 2u);
    exec.run_all();
}

TEST_F(NodeTest, DuplicatePublishDeliversNothing) {
    make();
    test::fake_subscriber a(0);
    hub.add(0, "news", &a);
    auto first = publish(request("news", "x", "k"));
    auto again = publish(request("news", "x", "k"));
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(first->duplicate);
    EXPECT_EQ(first->delivered_local, 1u);
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->offset, first->offset);
    EXPECT_EQ(again->delivered_local, 0u);
    exec.run_all();
    EXPECT_EQ(a.count(), 1u);
}

TEST_F(NodeTest, PassesReadsThrough) {
    make();
    for (int i = 0; i < 3; ++i) publish(request("news", std::to_string(i + 1)));
    std::optional<model::result<broker::channel_history>> out;
    n->read("news", 1, 10, [&](model::result<broker::channel_history> h) { out.emplace(std::move(h)); });
    ASSERT_TRUE(out && out->ok());
    EXPECT_EQ((*out)->last_offset, 3u);
    ASSERT_EQ((*out)->events.size(), 2u);
    EXPECT_EQ((*out)->events[0]->data, "2");
}

TEST_F(NodeTest, PassesBrokerErrorsThrough) {
    opts.max_channels = 1;
    make();
    ASSERT_TRUE(publish(request("a")).ok());
    auto r = publish(request("b"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().status, 503);
    EXPECT_EQ(exec.pending(), 0u);
}

TEST_F(NodeTest, RemoteEventsTakeTheSamePath) {
    auto& nd = make();
    test::fake_subscriber a(1);
    hub.add(1, "news", &a);
    auto ev = std::make_shared<model::event>();
    ev->channel = "news";
    ev->offset = 41;
    ev->epoch = "remote";
    nd.on_event(ev);
    exec.run_all();
    ASSERT_EQ(a.count(), 1u);
    EXPECT_EQ(a.events()[0]->ptr().get(), ev.get());
}

}  // namespace
}  // namespace herald::node
