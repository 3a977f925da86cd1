// history/key_state: the latest event per key, counters and their range, deletions remembered
// for catch-up and forgotten past max_keys (raising the floor), and the max_keys refusal.
#include "lib/history/key_state.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace herald::history {
namespace {

class KeyState : public ::testing::Test {
protected:
    // Checks and applies one publish as the broker does; the error code, or "" on success.
    std::string publish(const std::string& key, model::key_op op, std::string data = "1", std::int64_t incr = 0,
                        std::size_t max_keys = 3) {
        model::publish_request r;
        r.channel = "c";
        r.key = key;
        r.op = op;
        r.data = std::move(data);
        r.kind = model::data_kind::json;
        r.incr = incr;
        auto c = state.prepare(r, max_keys);
        if (!c) return c.err().code;
        auto ev = std::make_shared<model::event>();
        ev->channel = "c";
        ev->offset = ++offset;
        ev->key = key;
        ev->data = c->data;
        ev->kind = c->kind;
        ev->deleted = op == model::key_op::remove;
        last_value = c->value;
        state.apply(ev, max_keys);
        return "";
    }
    std::vector<std::pair<std::string, std::string>> latest() const {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& e : state.all()) out.emplace_back(e->key, e->deleted ? "(deleted)" : e->data);
        return out;
    }

    key_state state;
    std::uint64_t offset = 0;
    std::optional<std::int64_t> last_value;
};

using kv = std::vector<std::pair<std::string, std::string>>;

TEST_F(KeyState, KeepsTheLatestEventOfEachKeyOldestChangeFirst) {
    EXPECT_EQ(publish("a", model::key_op::set, "1"), "");
    EXPECT_EQ(publish("b", model::key_op::set, "2"), "");
    EXPECT_EQ(publish("a", model::key_op::set, "3"), "");
    EXPECT_EQ(latest(), (kv{{"b", "2"}, {"a", "3"}}));
    EXPECT_EQ(state.live_keys(), 2u);
    EXPECT_EQ(state.floor(), 1u);
}

TEST_F(KeyState, CountersStartAtZeroAndAddSignedIncrements) {
    EXPECT_EQ(publish("n", model::key_op::incr, "", 5), "");
    EXPECT_EQ(last_value, 5);
    EXPECT_EQ(publish("n", model::key_op::incr, "", -7), "");
    EXPECT_EQ(last_value, -2);
    EXPECT_EQ(latest(), (kv{{"n", "-2"}}));
    EXPECT_EQ(publish("n", model::key_op::set, "40"), "");
    EXPECT_EQ(publish("n", model::key_op::incr, "", 2), "");
    EXPECT_EQ(last_value, 42);
}

TEST_F(KeyState, IncrOfSomethingElseOrPastTheRangeIsNotACounter) {
    EXPECT_EQ(publish("s", model::key_op::set, R"({"p":1})"), "");
    EXPECT_EQ(publish("s", model::key_op::incr, "", 1), "not_a_counter");
    EXPECT_EQ(publish("f", model::key_op::set, "1.5"), "");
    EXPECT_EQ(publish("f", model::key_op::incr, "", 1), "not_a_counter");
    EXPECT_EQ(publish("n", model::key_op::incr, "", model::max_counter), "");
    EXPECT_EQ(publish("n", model::key_op::incr, "", 1), "not_a_counter");
    EXPECT_EQ(latest().back(), (std::pair<std::string, std::string>{"n", "9007199254740991"}));
}

TEST_F(KeyState, CounterValuesAreJsonIntegersInRange) {
    EXPECT_EQ(counter_value("12", model::data_kind::json), 12);
    EXPECT_EQ(counter_value("-3", model::data_kind::json), -3);
    EXPECT_FALSE(counter_value("12", model::data_kind::text));
    EXPECT_FALSE(counter_value("1e3", model::data_kind::json));
    EXPECT_FALSE(counter_value(" 1", model::data_kind::json));
    EXPECT_FALSE(counter_value("", model::data_kind::json));
    EXPECT_FALSE(counter_value("9007199254740992", model::data_kind::json));
    EXPECT_FALSE(counter_value("99999999999999999999", model::data_kind::json));
}

TEST_F(KeyState, MaxKeysRefusesANewKeyButNotAnUpdateAndADeletionFreesRoom) {
    for (const char* k : {"a", "b", "c"}) EXPECT_EQ(publish(k, model::key_op::set), "");
    EXPECT_EQ(publish("d", model::key_op::set), "too_many_keys");
    EXPECT_EQ(publish("d", model::key_op::incr, "", 1), "too_many_keys");
    EXPECT_EQ(publish("a", model::key_op::set, "9"), "");
    EXPECT_EQ(publish("b", model::key_op::remove), "");
    EXPECT_EQ(state.live_keys(), 2u);
    EXPECT_EQ(publish("d", model::key_op::set), "");
}

TEST_F(KeyState, DeletionsAreEventsAndDeletingNothingIsRefused) {
    EXPECT_EQ(publish("gone", model::key_op::remove), "key_not_found");
    EXPECT_EQ(publish("a", model::key_op::set, "1"), "");
    EXPECT_EQ(publish("a", model::key_op::remove), "");
    EXPECT_EQ(publish("a", model::key_op::remove), "key_not_found");
    EXPECT_EQ(latest(), (kv{{"a", "(deleted)"}}));
    EXPECT_EQ(state.live_keys(), 0u);
    EXPECT_EQ(publish("a", model::key_op::incr, "", 1), "");  // a deleted counter starts again at 0
    EXPECT_EQ(last_value, 1);
    EXPECT_EQ(latest(), (kv{{"a", "1"}}));
}

TEST_F(KeyState, DeletionsPastMaxKeysAreForgottenOldestFirstRaisingTheFloor) {
    for (const char* k : {"a", "b", "c"}) EXPECT_EQ(publish(k, model::key_op::set), "");  // 1..3
    EXPECT_EQ(publish("a", model::key_op::remove), "");                                     // 4
    EXPECT_EQ(publish("b", model::key_op::remove), "");                                     // 5
    EXPECT_EQ(publish("c", model::key_op::remove), "");                                     // 6
    EXPECT_EQ(state.floor(), 1u);
    EXPECT_EQ(publish("d", model::key_op::set), "");     // 7
    EXPECT_EQ(publish("d", model::key_op::remove), "");  // 8: a fourth deletion, past max_keys 3
    EXPECT_EQ(state.floor(), 5u);                        // the deletion at 4 is forgotten
    EXPECT_EQ(latest(), (kv{{"b", "(deleted)"}, {"c", "(deleted)"}, {"d", "(deleted)"}}));
}

}  // namespace
}  // namespace herald::history
