// channels/hub: add/remove and the counts, broadcast queueing to the inbox of each shard with
// subscribers (one task per idle inbox) and delivering on each subscriber's home shard in
// publish order even when the executor runs tasks out of order, the count it returns, and add/remove racing
// broadcasts from several threads (shard threads of tests/support/inline_executor) with no lost,
// duplicated, misplaced or late delivery.
#include "lib/channels/hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_subscriber.hpp"
#include "tests/support/inline_executor.hpp"

namespace herald::channels {
namespace {

using test::fake_subscriber;
using test::inline_executor;

model::event_ptr make_event(const std::string& channel, std::uint64_t offset) {
    auto ev = std::make_shared<model::event>();
    ev->channel = channel;
    ev->offset = offset;
    ev->epoch = "e1";
    ev->data = std::to_string(offset);
    return ev;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> out;
    for (auto i = from; i <= to; ++i) out.push_back(i);
    return out;
}

TEST(Hub, CountsSubscribersPerChannel) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber a(0), b(1), c(0);
    EXPECT_EQ(h.subscribers("news"), 0u);
    EXPECT_EQ(h.channel_count(), 0u);
    h.add(0, "news", &a);
    h.add(1, "news", &b);
    h.add(0, "prices", &c);
    h.add(0, "prices", &a);
    EXPECT_EQ(h.subscribers("news"), 2u);
    EXPECT_EQ(h.subscribers("prices"), 2u);
    EXPECT_EQ(h.subscribers("other"), 0u);
    EXPECT_EQ(h.channel_count(), 2u);
    EXPECT_EQ(h.subscription_count(), 4u);
    EXPECT_EQ(exec.pending(), 0u);  // adding posts nothing
}

TEST(Hub, RemoveUpdatesCountsAndForgetsEmptyChannels) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber a(0), b(1);
    h.add(0, "news", &a);
    h.add(1, "news", &b);
    h.remove(0, "news", &a);
    EXPECT_EQ(h.subscribers("news"), 1u);
    EXPECT_EQ(h.subscription_count(), 1u);
    EXPECT_EQ(h.channel_count(), 1u);
    h.remove(1, "news", &b);
    EXPECT_EQ(h.subscribers("news"), 0u);
    EXPECT_EQ(h.subscription_count(), 0u);
    EXPECT_EQ(h.channel_count(), 0u);
}

TEST(Hub, RemoveOfSomethingNotAddedChangesNothing) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber a(0), b(0);
    h.add(0, "news", &a);
    h.remove(0, "news", &b);    // never added
    h.remove(0, "other", &a);   // not on that channel
    h.remove(1, "news", &a);    // not on that shard
    EXPECT_EQ(h.subscribers("news"), 1u);
    EXPECT_EQ(h.subscription_count(), 1u);
    h.remove(0, "news", &a);
    h.remove(0, "news", &a);  // twice
    EXPECT_EQ(h.subscribers("news"), 0u);
    EXPECT_EQ(h.subscription_count(), 0u);
    h.add(0, "news", &a);  // and back again
    EXPECT_EQ(h.subscribers("news"), 1u);
}

TEST(Hub, BroadcastWithoutSubscribersPostsNothing) {
    inline_executor exec(3);
    hub h(exec);
    EXPECT_EQ(h.broadcast(make_event("news", 1)), 0u);
    EXPECT_EQ(exec.pending(), 0u);
    fake_subscriber a(0);
    h.add(0, "other", &a);
    EXPECT_EQ(h.broadcast(make_event("news", 1)), 0u);
    EXPECT_EQ(exec.pending(), 0u);
}

TEST(Hub, BroadcastPostsOneTaskPerShardWithSubscribers) {
    inline_executor exec(3);
    hub h(exec);
    fake_subscriber a(0), b(0), c(2);
    h.add(0, "news", &a);
    h.add(0, "news", &b);
    h.add(2, "news", &c);
    EXPECT_EQ(h.broadcast(make_event("news", 1)), 3u);
    EXPECT_EQ(exec.posted(0), 1u);
    EXPECT_EQ(exec.posted(1), 0u);
    EXPECT_EQ(exec.posted(2), 1u);
    EXPECT_EQ(a.count() + b.count() + c.count(), 0u);  // nothing delivered on the caller's thread
    exec.run_all();
    for (auto* s : {&a, &b, &c}) {
        EXPECT_EQ(s->offsets(), (std::vector<std::uint64_t>{1}));
        EXPECT_EQ(s->wrong_shard(), 0u);
    }
}

TEST(Hub, SharesOneEncodedEventAmongSubscribers) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber a(0), b(1), c(1);
    h.add(0, "news", &a);
    h.add(1, "news", &b);
    h.add(1, "news", &c);
    auto ev = make_event("news", 1);
    h.broadcast(ev);
    exec.run_all();
    ASSERT_EQ(a.count(), 1u);
    ASSERT_EQ(b.count(), 1u);
    ASSERT_EQ(c.count(), 1u);
    EXPECT_EQ(a.events()[0].get(), b.events()[0].get());
    EXPECT_EQ(b.events()[0].get(), c.events()[0].get());
    EXPECT_EQ(a.events()[0]->ptr().get(), ev.get());
}

TEST(Hub, DeliversOnlyToTheEventsChannelInOrder) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber news(0), prices(1), both(1);
    h.add(0, "news", &news);
    h.add(1, "prices", &prices);
    h.add(1, "news", &both);
    h.add(1, "prices", &both);
    for (std::uint64_t i = 1; i <= 5; ++i) {
        h.broadcast(make_event("news", i));
        if (i % 2) h.broadcast(make_event("prices", (i + 1) / 2));
    }
    exec.run_all();
    EXPECT_EQ(news.offsets("news"), range(1, 5));
    EXPECT_TRUE(news.offsets("prices").empty());
    EXPECT_EQ(prices.offsets("prices"), range(1, 3));
    EXPECT_TRUE(prices.offsets("news").empty());
    EXPECT_EQ(both.offsets("news"), range(1, 5));
    EXPECT_EQ(both.offsets("prices"), range(1, 3));
    for (auto* s : {&news, &prices, &both}) {
        EXPECT_EQ(s->out_of_order(), 0u);
        EXPECT_EQ(s->wrong_shard(), 0u);
    }
}

TEST(Hub, BroadcastToSeveralShardsReachesEveryone) {
    constexpr std::size_t shards = 4;
    inline_executor exec(shards);
    hub h(exec);
    std::vector<std::unique_ptr<fake_subscriber>> subs;
    for (std::size_t i = 0; i < 10; ++i) {
        subs.push_back(std::make_unique<fake_subscriber>(i % shards));
        h.add(i % shards, "news", subs.back().get());
    }
    for (std::uint64_t off = 1; off <= 20; ++off) EXPECT_EQ(h.broadcast(make_event("news", off)), 10u);
    // Events wait in each shard's inbox: one drain task per shard, not one per event.
    for (std::size_t s = 0; s < shards; ++s) EXPECT_EQ(exec.posted(s), 1u);
    exec.run_all();
    for (const auto& s : subs) {
        EXPECT_EQ(s->offsets(), range(1, 20));
        EXPECT_EQ(s->wrong_shard(), 0u);
    }
}

// An executor that runs a shard's tasks newest first: ordering across posts is not something
// the Hub may rely on (Asio runs a thread's own posts after others posted meanwhile).
class reversing_executor final : public shard_executor {
public:
    std::size_t shard_count() const override { return 1; }
    void post(std::size_t, std::function<void()> work) override { tasks_.push_back(std::move(work)); }
    void post_after(std::size_t, std::int64_t, std::function<void()>) override {
        ADD_FAILURE() << "no conflated channel here: nothing should be delayed";
    }
    void run_newest_first() {
        while (!tasks_.empty()) {
            auto t = std::move(tasks_.back());
            tasks_.pop_back();
            t();
        }
    }

private:
    std::vector<std::function<void()>> tasks_;
};

TEST(Hub, DeliversInPublishOrderWhateverOrderTheExecutorRunsTasks) {
    reversing_executor exec;
    hub h(exec);
    fake_subscriber sub(0);
    h.add(0, "news", &sub);
    for (std::uint64_t off = 1; off <= 5; ++off) h.broadcast(make_event("news", off));
    exec.run_newest_first();
    for (std::uint64_t off = 6; off <= 9; ++off) {
        h.broadcast(make_event("news", off));
        if (off == 7) exec.run_newest_first();
    }
    exec.run_newest_first();
    EXPECT_EQ(sub.offsets(), range(1, 9));
}

TEST(Hub, RemovedBeforeTheTaskRunsGetsNothing) {
    inline_executor exec(1);
    hub h(exec);
    fake_subscriber stays(0), leaves(0);
    h.add(0, "news", &stays);
    h.add(0, "news", &leaves);
    EXPECT_EQ(h.broadcast(make_event("news", 1)), 2u);
    h.remove(0, "news", &leaves);  // on shard 0 (this thread, in manual mode), before delivery runs
    leaves.mark_removed();
    exec.run_all();
    EXPECT_EQ(stays.count(), 1u);
    EXPECT_EQ(leaves.count(), 0u);
    EXPECT_EQ(leaves.after_removal(), 0u);
}

TEST(Hub, LastSubscriberLeavingBeforeDeliveryIsSafe) {
    inline_executor exec(2);
    hub h(exec);
    fake_subscriber only(1);
    h.add(1, "news", &only);
    h.broadcast(make_event("news", 1));
    h.remove(1, "news", &only);
    only.mark_removed();
    EXPECT_EQ(exec.run_all(), 1u);
    EXPECT_EQ(only.after_removal(), 0u);
    EXPECT_EQ(h.channel_count(), 0u);
}

TEST(Hub, RemoveKeepsTheOthersOnTheShard) {
    inline_executor exec(1);
    hub h(exec);
    std::vector<std::unique_ptr<fake_subscriber>> subs;
    for (int i = 0; i < 5; ++i) {
        subs.push_back(std::make_unique<fake_subscriber>(0));
        h.add(0, "news", subs.back().get());
    }
    h.remove(0, "news", subs[1].get());
    subs[1]->mark_removed();
    h.remove(0, "news", subs[3].get());
    subs[3]->mark_removed();
    h.broadcast(make_event("news", 1));
    exec.run_all();
    for (int i : {0, 2, 4}) EXPECT_EQ(subs[i]->count(), 1u) << i;
    for (int i : {1, 3}) EXPECT_EQ(subs[i]->count(), 0u) << i;
}

// Several broadcaster threads (one per channel, offsets in order), churn threads adding and
// removing subscribers on their shard threads, and subscribers that stay for the whole run.
TEST(Hub, AddAndRemoveUnderConcurrentBroadcastLoseNothing) {
    constexpr std::size_t shards = 4, churners = 2;
    constexpr std::uint64_t events = 3000;
    const std::vector<std::string> dense = {"d0", "d1", "d2"};  // a stayer on every shard
    const std::string sparse = "sparse";                         // only churned subscribers

    inline_executor exec(shards);
    hub h(exec);
    exec.start_threads();

    std::vector<std::unique_ptr<fake_subscriber>> stayers;
    for (std::size_t s = 0; s < shards; ++s) {
        stayers.push_back(std::make_unique<fake_subscriber>(s));
        auto* sub = stayers.back().get();
        exec.run_on(s, [&, s, sub] {
            for (const auto& ch : dense) h.add(s, ch, sub);
        });
    }

    std::atomic<bool> stop{false};
    std::latch churn_started(churners);
    std::vector<std::vector<std::unique_ptr<fake_subscriber>>> churned(churners);
    std::vector<std::vector<std::string>> churned_channel(churners);
    std::vector<std::thread> churn_threads;
    for (std::size_t c = 0; c < churners; ++c) {
        churn_threads.emplace_back([&, c] {
            for (std::size_t i = 0; i < 20 || !stop.load(); ++i) {
                const std::size_t shard = (i + c) % shards;
                const std::string& ch = i % 4 == 3 ? sparse : dense[i % dense.size()];
                auto sub = std::make_unique<fake_subscriber>(shard);
                auto* raw = sub.get();
                exec.run_on(shard, [&h, shard, &ch, raw] { h.add(shard, ch, raw); });
                if (i == 0) churn_started.count_down();
                std::this_thread::yield();
                exec.run_on(shard, [&h, shard, &ch, raw] {
                    h.remove(shard, ch, raw);
                    raw->mark_removed();
                });
                churned[c].push_back(std::move(sub));
                churned_channel[c].push_back(ch);
            }
        });
    }

    std::atomic<std::size_t> short_counts{0};
    std::vector<std::thread> broadcasters;
    for (const auto& ch : dense)
        broadcasters.emplace_back([&, ch] {
            churn_started.wait();
            for (std::uint64_t off = 1; off <= events; ++off)
                if (h.broadcast(make_event(ch, off)) < shards) ++short_counts;
        });
    broadcasters.emplace_back([&] {
        churn_started.wait();
        for (std::uint64_t off = 1; off <= events; ++off) h.broadcast(make_event(sparse, off));
    });
    for (auto& t : broadcasters) t.join();
    stop = true;
    for (auto& t : churn_threads) t.join();
    exec.drain();
    exec.stop_threads();

    EXPECT_EQ(short_counts.load(), 0u) << "broadcast counted fewer than the stayers";
    for (const auto& s : stayers) {
        for (const auto& ch : dense) EXPECT_EQ(s->offsets(ch), range(1, events)) << ch << " shard " << *s->home_shard();
        EXPECT_TRUE(s->offsets(sparse).empty());
        EXPECT_EQ(s->wrong_shard(), 0u);
        EXPECT_EQ(s->out_of_order(), 0u);
    }
    std::size_t churned_total = 0;
    for (std::size_t c = 0; c < churners; ++c) {
        for (std::size_t i = 0; i < churned[c].size(); ++i) {
            const auto& s = *churned[c][i];
            const auto& ch = churned_channel[c][i];
            EXPECT_EQ(s.after_removal(), 0u);
            EXPECT_EQ(s.wrong_shard(), 0u);
            EXPECT_EQ(s.out_of_order(), 0u);
            EXPECT_EQ(s.offsets(ch).size(), s.count()) << "delivered another channel's event";
            // On a dense channel every broadcast reaches every shard, so a churned subscriber sees
            // one unbroken run of offsets while it is in the Hub.
            if (ch != sparse) {
                auto got = s.offsets(ch);
                for (std::size_t k = 1; k < got.size(); ++k) ASSERT_EQ(got[k], got[k - 1] + 1) << ch;
            }
        }
        churned_total += churned[c].size();
    }
    EXPECT_GT(churned_total, 0u);
    RecordProperty("churned_subscribers", static_cast<int>(churned_total));
    for (const auto& ch : dense) EXPECT_EQ(h.subscribers(ch), shards);
    EXPECT_EQ(h.subscribers(sparse), 0u);
    EXPECT_EQ(h.subscription_count(), shards * dense.size());
    EXPECT_EQ(h.channel_count(), dense.size());
}

}  // namespace
}  // namespace herald::channels
