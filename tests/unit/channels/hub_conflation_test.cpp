// channels/hub, conflation: a channel whose policy sets a window gets its first event at once
// (leading edge), then at the end of each window only the latest pending event of each key, in
// offset order, on every shard with subscribers; keys not updated are not sent again; a deletion
// is the latest of its key; unconflated channels deliver every event as before and never ask for
// a timer; a changed window (SIGHUP) applies from the next event, and a window dropping to 0
// delivers what is pending first; the state goes with the last subscriber; replaced events are
// counted; and broadcasts racing window ends on shard threads keep offsets increasing.
// Manual clock: tests/support/inline_executor's post_after/advance. Test thread only, except the
// last test (shard threads of the executor).
#include "lib/channels/hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
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
using offsets = std::vector<std::uint64_t>;

model::event_ptr keyed(const std::string& channel, std::uint64_t offset, const std::string& key,
                       const std::string& data = "v", bool deleted = false) {
    auto ev = std::make_shared<model::event>();
    ev->channel = channel;
    ev->offset = offset;
    ev->epoch = "e1";
    ev->key = key;
    ev->data = deleted ? "" : data;
    ev->deleted = deleted;
    return ev;
}

// A hub whose "ticker:*" channels conflate with `window` ms (changeable, like a SIGHUP), counting
// how often it asks for the window and how many events were replaced.
struct conflating_hub {
    explicit conflating_hub(std::size_t shards = 1) : exec(shards) {
        hub_options o;
        o.conflate_ms_for = [this](const std::string& channel) {
            asked.fetch_add(1);
            return channel.rfind("ticker:", 0) == 0 ? window.load() : 0;
        };
        o.on_conflated = [this](std::uint64_t n) { conflated.fetch_add(n); };
        h = std::make_unique<hub>(exec, std::move(o));
    }
    // Moves the manual clock and runs whatever became due (and what it posted).
    void advance(std::int64_t ms) {
        exec.advance(ms);
        exec.run_all();
    }

    inline_executor exec;
    std::atomic<std::int64_t> window{100};
    std::atomic<std::size_t> asked{0};
    std::atomic<std::uint64_t> conflated{0};
    std::unique_ptr<hub> h;
};

TEST(HubConflation, TheFirstEventOfAQuietChannelGoesAtOnce) {
    conflating_hub c;
    fake_subscriber sub(0);
    c.h->add(0, "ticker:a", &sub);
    EXPECT_EQ(c.h->broadcast(keyed("ticker:a", 1, "AAPL")), 1u);
    c.exec.run_all();
    EXPECT_EQ(sub.offsets(), offsets{1});
    EXPECT_EQ(c.exec.delayed_due(), (std::vector<std::int64_t>{100}));  // the window it opened
    c.advance(100);  // nothing came within it: it closes
    EXPECT_EQ(c.exec.delayed(), 0u);
    c.h->broadcast(keyed("ticker:a", 2, "AAPL"));
    c.exec.run_all();
    EXPECT_EQ(sub.offsets(), (offsets{1, 2}));  // a leading edge again, no latency
}

TEST(HubConflation, WithinAWindowOnlyTheLatestOfEachKeyIsFlushedInOffsetOrder) {
    conflating_hub c;
    fake_subscriber sub(0);
    c.h->add(0, "ticker:a", &sub);
    c.h->broadcast(keyed("ticker:a", 1, "A"));
    for (auto [off, key] : std::vector<std::pair<std::uint64_t, std::string>>{
             {2, "B"}, {3, "A"}, {4, "C"}, {5, "A"}, {6, "B"}})
        EXPECT_EQ(c.h->broadcast(keyed("ticker:a", off, key, "p" + std::to_string(off))), 1u);
    c.exec.run_all();
    EXPECT_EQ(sub.offsets(), offsets{1});
    EXPECT_EQ(c.h->conflation_pending("ticker:a"), 3u);
    c.advance(99);
    EXPECT_EQ(sub.offsets(), offsets{1});
    c.advance(1);
    EXPECT_EQ(sub.offsets(), (offsets{1, 4, 5, 6}));
    EXPECT_EQ(sub.out_of_order(), 0u);
    auto evs = sub.events();
    EXPECT_EQ(evs[1]->event().key, "C");
    EXPECT_EQ(evs[2]->event().data, "p5");
    EXPECT_EQ(evs[3]->event().data, "p6");
    EXPECT_EQ(c.conflated.load(), 2u);  // A@3 and B@2 were replaced, never sent
    EXPECT_EQ(c.h->conflation_pending("ticker:a"), 0u);
    EXPECT_EQ(c.exec.delayed_due(), (std::vector<std::int64_t>{200}));  // the flush opened the next window
}

TEST(HubConflation, KeysNotUpdatedInAWindowAreNotSentAgain) {
    conflating_hub c;
    fake_subscriber sub(0);
    c.h->add(0, "ticker:a", &sub);
    c.h->broadcast(keyed("ticker:a", 1, "A"));
    c.h->broadcast(keyed("ticker:a", 2, "B"));
    c.h->broadcast(keyed("ticker:a", 3, "C"));
    c.advance(100);
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3}));
    c.h->broadcast(keyed("ticker:a", 4, "B"));
    c.advance(100);
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4}));  // only B
    c.advance(100);
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4}));
    EXPECT_EQ(c.exec.delayed(), 0u);  // the empty window closed
    EXPECT_EQ(c.conflated.load(), 0u);
}

TEST(HubConflation, ADeletionWinsOverAnEarlierUpdateOfItsKey) {
    conflating_hub c;
    fake_subscriber sub(0);
    c.h->add(0, "ticker:a", &sub);
    c.h->broadcast(keyed("ticker:a", 1, "A", "1"));
    c.h->broadcast(keyed("ticker:a", 2, "B", "2"));
    c.h->broadcast(keyed("ticker:a", 3, "B", "", true));
    c.h->broadcast(keyed("ticker:a", 4, "A", "4"));
    c.advance(100);
    ASSERT_EQ(sub.offsets(), (offsets{1, 3, 4}));
    auto evs = sub.events();
    EXPECT_TRUE(evs[1]->event().deleted);
    EXPECT_EQ(evs[1]->event().key, "B");
    EXPECT_EQ(c.conflated.load(), 1u);
}

TEST(HubConflation, AChannelWithoutConflationDeliversEveryEventAsBefore) {
    conflating_hub c(2);
    fake_subscriber a(0), b(1);
    c.h->add(0, "news", &a);
    c.h->add(1, "news", &b);
    for (std::uint64_t off = 1; off <= 10; ++off) EXPECT_EQ(c.h->broadcast(keyed("news", off, "k")), 2u);
    c.exec.run_all();
    offsets all;
    for (std::uint64_t off = 1; off <= 10; ++off) all.push_back(off);
    EXPECT_EQ(a.offsets(), all);
    EXPECT_EQ(b.offsets(), all);
    EXPECT_EQ(c.exec.delayed(), 0u);
    EXPECT_EQ(c.conflated.load(), 0u);
    EXPECT_EQ(c.h->conflation_pending("news"), 0u);
}

TEST(HubConflation, WhileNoChannelIsConfiguredToConflateTheWindowIsNotAsked) {
    conflating_hub c;
    fake_subscriber sub(0);
    c.h->add(0, "ticker:a", &sub);
    c.h->set_conflation_configured(false);
    for (std::uint64_t off = 1; off <= 5; ++off) c.h->broadcast(keyed("ticker:a", off, "A"));
    c.exec.run_all();
    EXPECT_EQ(c.asked.load(), 0u);
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4, 5}));
    EXPECT_EQ(c.exec.delayed(), 0u);
    c.h->set_conflation_configured(true);
    c.h->broadcast(keyed("ticker:a", 6, "A"));
    c.h->broadcast(keyed("ticker:a", 7, "A"));
    c.exec.run_all();
    EXPECT_EQ(c.asked.load(), 2u);
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4, 5, 6}));  // 7 waits for the window's end
}

TEST(HubConflation, AChangedWindowTakesEffectOnTheNextEvent) {
    conflating_hub c;
    fake_subscriber sub(0);
    c.h->add(0, "ticker:a", &sub);
    c.h->broadcast(keyed("ticker:a", 1, "A"));
    c.h->broadcast(keyed("ticker:a", 2, "B"));
    c.h->broadcast(keyed("ticker:a", 3, "A"));
    c.exec.run_all();
    EXPECT_EQ(sub.offsets(), offsets{1});

    // Conflation switched off (SIGHUP) with events pending: they go first, in order, then the
    // next event, without waiting for the window's end.
    c.window = 0;
    c.h->broadcast(keyed("ticker:a", 4, "C"));
    c.exec.run_all();
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4}));
    c.h->broadcast(keyed("ticker:a", 5, "C"));
    c.h->broadcast(keyed("ticker:a", 6, "C"));
    c.exec.run_all();
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4, 5, 6}));
    c.advance(100);  // the old window's end finds nothing to do
    EXPECT_EQ(sub.offsets(), (offsets{1, 2, 3, 4, 5, 6}));

    // Back on with a longer window: the next event is a leading edge and opens a window of 300.
    c.window = 300;
    const auto start = c.exec.now_ms();
    c.h->broadcast(keyed("ticker:a", 7, "A"));
    c.h->broadcast(keyed("ticker:a", 8, "A"));
    c.h->broadcast(keyed("ticker:a", 9, "A"));
    c.exec.run_all();
    EXPECT_EQ(c.exec.delayed_due(), (std::vector<std::int64_t>{start + 300}));
    c.advance(299);
    EXPECT_EQ(sub.offsets().back(), 7u);
    c.advance(1);
    EXPECT_EQ(sub.offsets().back(), 9u);
    EXPECT_EQ(sub.out_of_order(), 0u);

    // Shorter while a window is open: the current window keeps its end, the next one is shorter.
    c.h->broadcast(keyed("ticker:a", 10, "A"));
    c.window = 50;
    c.h->broadcast(keyed("ticker:a", 11, "A"));
    c.advance(300);
    EXPECT_EQ(sub.offsets().back(), 11u);
    EXPECT_EQ(c.exec.delayed_due(), (std::vector<std::int64_t>{c.exec.now_ms() + 50}));
}

TEST(HubConflation, FlushesReachEveryShardWithSubscribersSharingOneEncodedEvent) {
    conflating_hub c(3);
    fake_subscriber a(0), b(2), d(2);
    c.h->add(0, "ticker:a", &a);
    c.h->add(2, "ticker:a", &b);
    c.h->add(2, "ticker:a", &d);
    EXPECT_EQ(c.h->broadcast(keyed("ticker:a", 1, "A")), 3u);
    EXPECT_EQ(c.h->broadcast(keyed("ticker:a", 2, "A")), 3u);
    c.advance(100);
    for (auto* s : {&a, &b, &d}) {
        EXPECT_EQ(s->offsets(), (offsets{1, 2}));
        EXPECT_EQ(s->wrong_shard(), 0u);
    }
    EXPECT_EQ(a.events()[1].get(), b.events()[1].get());
    EXPECT_EQ(b.events()[1].get(), d.events()[1].get());
}

TEST(HubConflation, TheStateGoesWithTheLastSubscriber) {
    conflating_hub c;
    fake_subscriber first(0), second(0);
    c.h->add(0, "ticker:a", &first);
    c.h->broadcast(keyed("ticker:a", 1, "A"));
    c.h->broadcast(keyed("ticker:a", 2, "A"));
    c.exec.run_all();
    EXPECT_EQ(c.h->conflation_pending("ticker:a"), 1u);
    c.h->remove(0, "ticker:a", &first);
    first.mark_removed();
    EXPECT_EQ(c.h->conflation_pending("ticker:a"), 0u);
    EXPECT_EQ(c.h->channel_count(), 0u);

    // A new subscriber before the old window's end: a fresh state, a leading edge, and the old
    // timer does not end the new window early.
    c.advance(50);
    c.h->add(0, "ticker:a", &second);
    c.h->broadcast(keyed("ticker:a", 3, "A"));
    c.h->broadcast(keyed("ticker:a", 4, "A"));
    c.exec.run_all();
    EXPECT_EQ(second.offsets(), offsets{3});
    c.advance(50);  // the dropped state's window end
    EXPECT_EQ(second.offsets(), offsets{3});
    c.advance(50);  // the new window's end
    EXPECT_EQ(second.offsets(), (offsets{3, 4}));
    EXPECT_EQ(first.after_removal(), 0u);
    EXPECT_EQ(first.offsets(), offsets{1});
}

TEST(HubConflation, WithoutSubscribersNothingIsHeld) {
    conflating_hub c;
    EXPECT_EQ(c.h->broadcast(keyed("ticker:a", 1, "A")), 0u);
    EXPECT_EQ(c.h->broadcast(keyed("ticker:a", 2, "A")), 0u);
    EXPECT_EQ(c.exec.delayed(), 0u);
    EXPECT_EQ(c.exec.pending(), 0u);
    EXPECT_EQ(c.h->conflation_pending("ticker:a"), 0u);
}

// A publisher thread against window ends on real shard threads: every subscriber sees offsets
// strictly increasing and ends with the final event of every key.
TEST(HubConflation, BroadcastsRacingWindowEndsKeepOffsetsIncreasing) {
    constexpr std::size_t shards = 3;
    conflating_hub c(shards);
    std::vector<std::unique_ptr<fake_subscriber>> subs;
    for (std::size_t s = 0; s < shards; ++s) {
        subs.push_back(std::make_unique<fake_subscriber>(s));
        c.h->add(s, "ticker:a", subs.back().get());
    }
    c.exec.start_threads();
    constexpr std::uint64_t events = 20000;
    const std::vector<std::string> keys = {"A", "B", "C", "D"};
    std::atomic<bool> done{false};
    std::thread publisher([&] {
        for (std::uint64_t off = 1; off <= events; ++off) c.h->broadcast(keyed("ticker:a", off, keys[off % keys.size()]));
        done = true;
    });
    while (!done) {
        c.exec.advance(100);
        std::this_thread::yield();
    }
    publisher.join();
    c.exec.advance(100);
    c.exec.drain();
    c.exec.advance(100);  // the window opened by the last flush closes
    c.exec.drain();
    c.exec.stop_threads();
    for (const auto& s : subs) {
        EXPECT_EQ(s->out_of_order(), 0u);
        EXPECT_EQ(s->wrong_shard(), 0u);
        std::map<std::string, std::uint64_t> last;
        for (const auto& ev : s->events()) last[ev->event().key] = ev->event().offset;
        for (std::size_t k = 0; k < keys.size(); ++k)
            EXPECT_EQ(last[keys[k]], events - ((events - k) % keys.size())) << keys[k];
        EXPECT_EQ(s->count() + c.conflated.load(), events);  // each event sent, or replaced
    }
    EXPECT_EQ(c.exec.delayed(), 0u);
}

}  // namespace
}  // namespace herald::channels
