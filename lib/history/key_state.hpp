// A keyed channel's state: the latest event of every key, and the deletions remembered so that
// catch-up by key can report them. Live keys are bounded by the channel's max_keys (a new key past
// it is refused); remembered deletions by the same number, the oldest forgotten first, and the
// offset of the newest forgotten one is the floor below which catch-up is no longer exact.
// Counters: a key whose value is an integer in the counter range grows by incr atomically with
// its offset (the broker holds the channel lock across prepare and apply).
// Not thread-safe: the memory broker guards it with the channel lock. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/model/error.hpp"
#include "lib/model/event.hpp"

namespace herald::history {

// The integer a counter key's data holds (compact JSON text of an integer within ±model::max_counter), or
// nullopt when it is something else.
std::optional<std::int64_t> counter_value(std::string_view data, model::data_kind kind);

// What a publish to a key becomes once checked against the state.
struct key_change {
    std::string data;                    // the event's data (the sum for an incr; empty for a removal)
    model::data_kind kind = model::data_kind::json;
    std::optional<std::int64_t> value;   // the counter's new value (incr)
};

class key_state {
public:
    // Checks `req` (key set, op, data) against the state without changing it: too_many_keys when
    // it adds a key to a channel holding max_keys live ones, not_a_counter, key_not_found.
    model::result<key_change> prepare(const model::publish_request& req, std::size_t max_keys) const;
    // Records the published event (its key and whether it deletes it); forgets the oldest
    // deletions past max_keys.
    void apply(const model::event_ptr& ev, std::size_t max_keys);

    // Every key's latest event, deletions included, oldest first.
    std::vector<model::event_ptr> all() const;
    // Catch-up from a cursor at `after` is exact when after + 1 >= floor().
    std::uint64_t floor() const { return floor_; }
    std::size_t live_keys() const { return live_; }
    bool empty() const { return latest_.empty(); }

private:
    std::unordered_map<std::string, model::event_ptr> latest_;  // by key, deletions included
    std::map<std::uint64_t, std::string> deletions_;            // offset → key, oldest first
    std::size_t live_ = 0;
    std::uint64_t floor_ = 1;
};

}  // namespace herald::history
