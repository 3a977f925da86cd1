// This node's side of presence: how many streams each user has open here and how many subscribers
// each channel has here, and which of those counts the presence store still has to hear.
// Debounce lives here: a count that drops to 0 is reported only once it stayed 0 for the window,
// so a user who reconnects (a reload, a network change, a deploy moving them to another node)
// causes no store traffic and no webhook. A count above 0 is reported at the next take_due().
// Reports are in flight from take_due() until confirmed() or failed() (then retried), so a store
// that is down loses nothing: the latest count is what is reported, whatever happened meanwhile.
// Pure, no clock reads (times are passed in), not thread-safe: the presence service's one thread.
#pragma once

#include <cstdint>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/presence/presence_store.hpp"

namespace herald::presence {

class presence_tracker {
public:
    explicit presence_tracker(std::int64_t debounce_ms) : debounce_ms_(debounce_ms) {}
    void set_debounce(std::int64_t ms) { debounce_ms_ = ms; }

    void add(subject kind, const std::string& name, std::int64_t now_ms);
    // A remove without a matching add is ignored.
    void remove(subject kind, const std::string& name, std::int64_t now_ms);

    // The counts the store must hear now: keys whose count differs from the one last reported,
    // except those at 0 for less than the debounce window and those already in flight; at most
    // `max` of them (the rest at the next call).
    std::vector<node_count> take_due(std::int64_t now_ms, std::size_t max = SIZE_MAX);
    void confirmed(const std::vector<node_count>& sent);
    void failed(const std::vector<node_count>& sent);
    // Report every count again, zeros included (the store may have lost them: Redis restarted
    // empty, this node was swept, a write was lost with its connection).
    void report_all();

    // This node's count of a key (0 when none).
    std::uint64_t count(subject kind, const std::string& name) const;
    // Keys with a count above 0 here.
    std::vector<std::string> present(subject kind) const;
    std::size_t tracked() const { return entries_.size(); }

private:
    struct entry {
        std::uint64_t count = 0;
        std::uint64_t reported = 0;
        std::int64_t zero_since = 0;
        bool dirty = false;
        bool in_flight = false;
    };
    static constexpr std::uint64_t unknown = UINT64_MAX;  // a `reported` the store may or may not hold
    static std::string key_of(subject kind, const std::string& name);
    void mark(const std::string& key, entry& e);
    void settle(const node_count& sent, bool ok);

    std::int64_t debounce_ms_;
    std::unordered_map<std::string, entry> entries_;  // key: "u" or "c" + name
    std::vector<std::string> dirty_;                   // keys with dirty set, each once
};

}  // namespace herald::presence
