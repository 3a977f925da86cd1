// Keyed channel conformance: one suite run over every broker (memory; Redis on a real redis-server,
// skipped with the reason when none is installed), so both give the same answers: the latest event
// per key (set, replace) and read_latest in offset order; counters (from absent, up and down, the
// value in the result and as the event's data, non-integers and the ±(2^53 - 1) range refused as
// not_a_counter, nothing changed by a refusal); deletions (an event to the handler, kept by
// read_latest, key_not_found for a key without a value); max_keys (too_many_keys for a new key,
// updates at the cap, a deletion frees room); remembered deletions bounded by max_keys raising
// first_available; read_latest of an unkeyed channel (the newest event); info().keys; idempotent
// incr repeats. Errors are compared with the model::errors value the memory broker answers.
// Threading: the test thread only; brokers call back on their own threads (Redis) or inline.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/manual_clock.hpp"
#include "tests/unit/broker/broker_conformance.hpp"

namespace herald::broker::conformance {
namespace {

using offs = std::vector<std::uint64_t>;

class KeyedConformance : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        factory_ = factory_for(GetParam());
        if (auto why = factory_->unavailable()) GTEST_SKIP() << *why;
        lim.keyed_prefix = "keyed:";
        lim.max_keys = 100;
    }
    void TearDown() override { broker_.reset(); }

    broker& make() {
        broker_ = factory_->make(clock, lim);
        if (!broker_) throw std::runtime_error("no broker");
        broker_->set_handler(&handler);
        return *broker_;
    }
    model::publish_result ok(model::publish_request req) {
        auto r = publish(*broker_, std::move(req));
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().code + ": " + r.err().message);
        return r.ok() ? r.value() : model::publish_result{};
    }
    // The publish is refused with exactly `expected` (code, status, message).
    void refused(model::publish_request req, const model::error& expected) {
        auto r = publish(*broker_, std::move(req));
        ASSERT_FALSE(r.ok()) << "expected " << expected.code << ", published at offset " << r->offset;
        EXPECT_EQ(r.err().code, expected.code);
        EXPECT_EQ(r.err().status, expected.status);
        EXPECT_EQ(r.err().message, expected.message);
    }
    // read_latest as "key=data" ("key deleted" for a deletion), oldest first.
    std::vector<std::string> latest(const std::string& channel) {
        std::vector<std::string> out;
        for (const auto& e : read_latest(*broker_, channel).events)
            out.push_back(e->key + (e->deleted ? " deleted" : "=" + e->data));
        return out;
    }

    test::manual_clock clock;
    limits lim;
    recording_handler handler;
    std::unique_ptr<broker_factory> factory_;
    std::unique_ptr<broker> broker_;
};

using strings = std::vector<std::string>;

TEST_P(KeyedConformance, SetKeepsTheLatestEventPerKeyInOffsetOrder) {
    auto& b = make();
    const auto first = ok(set_key("keyed:scores", "a", "1"));
    EXPECT_EQ(first.offset, 1u);
    EXPECT_FALSE(first.value) << "only an incr has a counter value";
    ok(set_key("keyed:scores", "b", "{\"x\":2}"));
    ok(set_key("keyed:scores", "c", "hello", model::data_kind::text));
    ok(set_key("keyed:scores", "a", "3"));
    auto h = read_latest(b, "keyed:scores");
    EXPECT_TRUE(h.keyed);
    EXPECT_EQ(h.epoch, first.epoch);
    EXPECT_EQ(h.last_offset, 4u);
    EXPECT_EQ(h.first_available, 1u);
    EXPECT_EQ(offsets(h.events), (offs{2, 3, 4}));
    EXPECT_EQ(latest("keyed:scores"), (strings{"b={\"x\":2}", "c=hello", "a=3"}));
    ASSERT_EQ(h.events.size(), 3u);
    EXPECT_EQ(h.events[1]->kind, model::data_kind::text);
    EXPECT_EQ(h.events[0]->kind, model::data_kind::json);
    for (const auto& e : h.events) {
        EXPECT_EQ(e->channel, "keyed:scores");
        EXPECT_EQ(e->epoch, first.epoch);
        EXPECT_FALSE(e->deleted);
    }
    // History keeps every event, each with its key.
    auto all = read(b, "keyed:scores", 0);
    ASSERT_EQ(all.events.size(), 4u);
    EXPECT_EQ(all.events[0]->key, "a");
    EXPECT_EQ(all.events[3]->key, "a");
    EXPECT_EQ(all.events[3]->data, "3");
}

TEST_P(KeyedConformance, TheHandlerReceivesKeyedEventsWithTheirKey) {
    make();
    ok(set_key("keyed:h", "temp", "21", model::data_kind::json));
    ok(incr_key("keyed:h", "n", 2));
    ok(remove_key("keyed:h", "temp"));
    ok(request("plain"));
    auto evs = handler.wait_for(4);
    ASSERT_EQ(evs.size(), 4u);
    EXPECT_EQ(evs[0]->key, "temp");
    EXPECT_EQ(evs[0]->data, "21");
    EXPECT_FALSE(evs[0]->deleted);
    EXPECT_EQ(evs[1]->key, "n");
    EXPECT_EQ(evs[1]->data, "2");
    EXPECT_EQ(evs[2]->key, "temp");
    EXPECT_TRUE(evs[2]->deleted);
    EXPECT_EQ(evs[2]->data, "");
    EXPECT_EQ(evs[3]->key, "") << "an unkeyed event has no key";
    EXPECT_FALSE(evs[3]->deleted);
    EXPECT_EQ(handler.gaps(), 0u);
}

TEST_P(KeyedConformance, KeysWithJsonSpecialCharactersRoundTrip) {
    make();
    const std::string odd = "a \"quoted\",\"key\":\"x\" \\ key,\"deleted\":true}";
    ok(set_key("keyed:odd", odd, "\"v\""));
    ok(set_key("keyed:odd", "plain", "\",\"key\":\"fake\"}", model::data_kind::text));
    auto h = read_latest(*broker_, "keyed:odd");
    ASSERT_EQ(h.events.size(), 2u);
    EXPECT_EQ(h.events[0]->key, odd);
    EXPECT_FALSE(h.events[0]->deleted);
    EXPECT_EQ(h.events[0]->data, "\"v\"");
    EXPECT_EQ(h.events[1]->key, "plain");
    EXPECT_EQ(h.events[1]->data, "\",\"key\":\"fake\"}");
    ok(remove_key("keyed:odd", odd));
    auto evs = handler.wait_for(3);
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[2]->key, odd);
    EXPECT_TRUE(evs[2]->deleted);
    EXPECT_EQ(latest("keyed:odd"), (strings{"plain=\",\"key\":\"fake\"}", odd + " deleted"}));
}

TEST_P(KeyedConformance, CountersStartFromZeroAndTheSumIsTheValueAndTheData) {
    auto& b = make();
    auto up = ok(incr_key("keyed:c", "hits", 5));
    ASSERT_TRUE(up.value);
    EXPECT_EQ(*up.value, 5);
    auto down = ok(incr_key("keyed:c", "hits", -7));
    ASSERT_TRUE(down.value);
    EXPECT_EQ(*down.value, -2);
    EXPECT_EQ(down.offset, 2u);
    auto evs = handler.wait_for(2);
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[0]->data, "5");
    EXPECT_EQ(evs[1]->data, "-2");
    EXPECT_EQ(evs[1]->kind, model::data_kind::json);
    EXPECT_EQ(latest("keyed:c"), (strings{"hits=-2"}));
    // A key set to an integer is a counter too, and an incr of 0 still publishes.
    ok(set_key("keyed:c", "n", "40"));
    EXPECT_EQ(ok(incr_key("keyed:c", "n", 2)).value, 42);
    EXPECT_EQ(ok(incr_key("keyed:c", "n", 0)).value, 42);
    EXPECT_EQ(ok(set_key("keyed:c", "z", "-0")).offset, 6u);
    EXPECT_EQ(ok(incr_key("keyed:c", "z", 3)).value, 3);
    EXPECT_EQ(read(b, "keyed:c", std::nullopt).last_offset, 7u);
}

TEST_P(KeyedConformance, AnIncrOfANonIntegerIsNotACounterAndChangesNothing) {
    auto& b = make();
    ok(set_key("keyed:c", "s", "\"abc\""));
    ok(set_key("keyed:c", "f", "1.5"));
    ok(set_key("keyed:c", "t", "5", model::data_kind::text));
    ok(set_key("keyed:c", "o", "{\"n\":1}"));
    const auto why = "holds a value that is not an integer";
    for (const char* k : {"s", "f", "t", "o"})
        refused(incr_key("keyed:c", k, 1), model::errors::not_a_counter("keyed:c", k, why));
    EXPECT_EQ(read(b, "keyed:c", std::nullopt).last_offset, 4u) << "a refusal takes no offset";
    EXPECT_EQ(latest("keyed:c"), (strings{"s=\"abc\"", "f=1.5", "t=5", "o={\"n\":1}"}));
    // A value past the counter range is not a counter either.
    ok(set_key("keyed:c", "big", "9007199254740992"));
    refused(incr_key("keyed:c", "big", -1), model::errors::not_a_counter("keyed:c", "big", why));
}

TEST_P(KeyedConformance, ACounterThatWouldPassTheRangeIsRefused) {
    auto& b = make();
    const auto why = "would pass the counter range of ±9007199254740991";
    ok(set_key("keyed:c", "top", "9007199254740990"));
    EXPECT_EQ(ok(incr_key("keyed:c", "top", 1)).value, 9007199254740991);
    refused(incr_key("keyed:c", "top", 1), model::errors::not_a_counter("keyed:c", "top", why));
    EXPECT_EQ(ok(incr_key("keyed:c", "bottom", -9007199254740991)).value, -9007199254740991);
    refused(incr_key("keyed:c", "bottom", -1), model::errors::not_a_counter("keyed:c", "bottom", why));
    refused(incr_key("keyed:c", "fresh", 9007199254740992), model::errors::not_a_counter("keyed:c", "fresh", why));
    EXPECT_EQ(latest("keyed:c"), (strings{"top=9007199254740991", "bottom=-9007199254740991"}));
    EXPECT_EQ(read(b, "keyed:c", std::nullopt).last_offset, 3u);
    EXPECT_EQ(ok(incr_key("keyed:c", "top", -9007199254740991)).value, 0);
}

TEST_P(KeyedConformance, ADeletionIsAnEventReadLatestKeepsAndOnlyAKeyWithAValueCanBeDeleted) {
    auto& b = make();
    ok(set_key("keyed:d", "a", "1"));
    ok(set_key("keyed:d", "b", "2"));
    auto del = ok(remove_key("keyed:d", "a"));
    EXPECT_EQ(del.offset, 3u);
    EXPECT_FALSE(del.value);
    auto evs = handler.wait_for(3);
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_TRUE(evs[2]->deleted);
    EXPECT_EQ(evs[2]->key, "a");
    EXPECT_EQ(evs[2]->offset, 3u);
    auto h = read_latest(b, "keyed:d");
    EXPECT_EQ(offsets(h.events), (offs{2, 3}));
    EXPECT_EQ(latest("keyed:d"), (strings{"b=2", "a deleted"}));
    EXPECT_EQ(h.first_available, 1u) << "a remembered deletion does not raise the floor";

    refused(remove_key("keyed:d", "a"), model::errors::key_not_found("keyed:d", "a"));
    refused(remove_key("keyed:d", "never"), model::errors::key_not_found("keyed:d", "never"));
    refused(remove_key("keyed:new", "x"), model::errors::key_not_found("keyed:new", "x"));
    EXPECT_EQ(read(b, "keyed:d", std::nullopt).last_offset, 3u);
    // A deleted key starts over: an incr counts from 0, and it is live again.
    EXPECT_EQ(ok(incr_key("keyed:d", "a", 4)).value, 4);
    EXPECT_EQ(latest("keyed:d"), (strings{"b=2", "a=4"}));
}

TEST_P(KeyedConformance, MaxKeysRefusesANewKeyButUpdatesAtTheCapAndADeletionFreesRoom) {
    lim.max_keys = 2;
    auto& b = make();
    ok(set_key("keyed:m", "a", "1"));
    ok(incr_key("keyed:m", "b", 1));
    refused(set_key("keyed:m", "c", "3"), model::errors::too_many_keys("keyed:m", 2));
    refused(incr_key("keyed:m", "c", 1), model::errors::too_many_keys("keyed:m", 2));
    EXPECT_EQ(ok(set_key("keyed:m", "a", "10")).offset, 3u) << "an existing key updates at the cap";
    EXPECT_EQ(ok(incr_key("keyed:m", "b", 1)).value, 2);
    ok(remove_key("keyed:m", "a"));
    EXPECT_EQ(info_result(b, "keyed:m")->value().keys, 1u);
    ok(set_key("keyed:m", "c", "3"));
    refused(set_key("keyed:m", "a", "1"), model::errors::too_many_keys("keyed:m", 2));
    EXPECT_EQ(latest("keyed:m"), (strings{"b=2", "a deleted", "c=3"}));
}

TEST_P(KeyedConformance, DeletionsPastMaxKeysAreForgottenOldestFirstAndRaiseTheFloor) {
    lim.max_keys = 2;
    auto& b = make();
    for (const char* k : {"a", "b", "c"}) {
        ok(set_key("keyed:f", k, "1"));
        ok(remove_key("keyed:f", k));
    }
    // Deletions at 2, 4 and 6: the one at 2 is forgotten, so catch-up is exact from 3 on.
    auto h = read_latest(b, "keyed:f");
    EXPECT_EQ(latest("keyed:f"), (strings{"b deleted", "c deleted"}));
    EXPECT_EQ(offsets(h.events), (offs{4, 6}));
    EXPECT_EQ(h.first_available, 3u);
    EXPECT_EQ(h.last_offset, 6u);
    refused(remove_key("keyed:f", "a"), model::errors::key_not_found("keyed:f", "a"));
    // Setting a deleted key again makes it live: it is no longer a remembered deletion.
    ok(set_key("keyed:f", "b", "2"));  // 7
    ok(set_key("keyed:f", "d", "1"));  // 8
    ok(remove_key("keyed:f", "d"));    // 9: deletions c@6, d@9
    h = read_latest(b, "keyed:f");
    EXPECT_EQ(latest("keyed:f"), (strings{"c deleted", "b=2", "d deleted"}));
    EXPECT_EQ(h.first_available, 3u);
    ok(remove_key("keyed:f", "b"));  // 10: c@6 is forgotten
    h = read_latest(b, "keyed:f");
    EXPECT_EQ(latest("keyed:f"), (strings{"d deleted", "b deleted"}));
    EXPECT_EQ(h.first_available, 7u);
    EXPECT_EQ(info_result(b, "keyed:f")->value().keys, 0u);
}

TEST_P(KeyedConformance, ReadLatestOfAnUnkeyedChannelIsItsNewestEvent) {
    auto& b = make();
    auto none = read_latest(b, "plain");
    EXPECT_FALSE(none.keyed);
    EXPECT_TRUE(none.events.empty());
    EXPECT_EQ(none.last_offset, 0u);
    EXPECT_EQ(none.first_available, 1u);
    const auto epoch = ok(request("plain", "1")).epoch;
    EXPECT_EQ(none.epoch, epoch) << "an unknown channel reads in the current epoch";
    ok(request("plain", "2"));
    ok(request("plain", "3"));
    auto h = read_latest(b, "plain");
    EXPECT_FALSE(h.keyed);
    EXPECT_EQ(h.epoch, epoch);
    EXPECT_EQ(h.last_offset, 3u);
    EXPECT_EQ(h.first_available, 1u);
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0]->offset, 3u);
    EXPECT_EQ(h.events[0]->data, "3");
    EXPECT_EQ(h.events[0]->key, "");
}

TEST_P(KeyedConformance, ReadLatestOfAnUnknownKeyedChannelIsEmptyInTheCurrentEpoch) {
    auto& b = make();
    const auto epoch = ok(request("plain")).epoch;
    auto h = read_latest(b, "keyed:none");
    EXPECT_TRUE(h.keyed);
    EXPECT_TRUE(h.events.empty());
    EXPECT_EQ(h.epoch, epoch);
    EXPECT_EQ(h.last_offset, 0u);
    EXPECT_EQ(h.first_available, 1u);
}

TEST_P(KeyedConformance, ReadLatestPositionMatchesReadAfterHistoryAges) {
    lim.history_size = 2;
    auto& b = make();
    ok(set_key("keyed:p", "a", "1"));
    ok(set_key("keyed:p", "b", "2"));
    ok(set_key("keyed:p", "c", "3"));
    auto plain = read(b, "keyed:p", std::nullopt);
    EXPECT_EQ(plain.first_available, 2u) << "history holds 2 events";
    auto h = read_latest(b, "keyed:p");
    EXPECT_EQ(h.last_offset, plain.last_offset);
    EXPECT_EQ(h.epoch, plain.epoch);
    EXPECT_EQ(h.first_available, 1u) << "keyed catch-up is exact below what history holds";
    EXPECT_EQ(latest("keyed:p"), (strings{"a=1", "b=2", "c=3"}));
    clock.advance(lim.history_ttl_ms + 1);  // history ages out; the keys stay
    EXPECT_TRUE(read(b, "keyed:p", 0).events.empty());
    EXPECT_EQ(latest("keyed:p"), (strings{"a=1", "b=2", "c=3"}));
    EXPECT_EQ(ok(incr_key("keyed:p", "n", 1)).offset, 4u);
}

TEST_P(KeyedConformance, InfoAndListCountLiveKeys) {
    auto& b = make();
    ok(set_key("keyed:i", "a", "1"));
    ok(set_key("keyed:i", "b", "1"));
    ok(set_key("keyed:i", "a", "2"));
    ok(request("plain"));
    auto i = info_result(b, "keyed:i");
    ASSERT_TRUE(i.ok() && i.value());
    EXPECT_EQ(i.value()->keys, 2u);
    EXPECT_EQ(i.value()->last_offset, 3u);
    EXPECT_EQ(info_result(b, "plain")->value().keys, 0u);
    ok(remove_key("keyed:i", "b"));
    auto page = list_result(b, "", "", 10);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 2u);
    EXPECT_EQ((*page)[0].channel, "keyed:i");
    EXPECT_EQ((*page)[0].keys, 1u);
    EXPECT_EQ((*page)[1].channel, "plain");
    EXPECT_EQ((*page)[1].keys, 0u);
}

TEST_P(KeyedConformance, ARepeatedIdempotencyKeyReturnsTheRememberedResultWithItsValue) {
    auto& b = make();
    auto req = incr_key("keyed:idem", "n", 3);
    req.idempotency_key = "once";
    auto first = ok(req);
    EXPECT_FALSE(first.duplicate);
    EXPECT_EQ(first.value, 3);
    ok(incr_key("keyed:idem", "n", 10));
    auto again = ok(req);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.offset, first.offset);
    EXPECT_EQ(again.epoch, first.epoch);
    EXPECT_EQ(again.value, 3) << "the remembered value, not the counter's now";
    EXPECT_EQ(latest("keyed:idem"), (strings{"n=13"}));
    auto set = set_key("keyed:idem", "s", "1");
    set.idempotency_key = "set-once";
    EXPECT_EQ(ok(set).offset, 3u);
    auto set_again = ok(set);
    EXPECT_TRUE(set_again.duplicate);
    EXPECT_EQ(set_again.offset, 3u);
    EXPECT_FALSE(set_again.value);
    EXPECT_EQ(read(b, "keyed:idem", std::nullopt).last_offset, 3u);
}

INSTANTIATE_TEST_SUITE_P(Brokers, KeyedConformance, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace herald::broker::conformance
