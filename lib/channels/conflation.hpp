// conflation_window: one conflated channel's window and pending events, the pure part of the
// Hub's `conflate` (lib/channels/hub.hpp). Leading edge: an event arriving while no window is
// open is delivered at once and opens one. Events arriving while the window is open wait, at most
// one per key (a newer event of a key, a deletion included, replaces the older one; an event
// without a key is never dropped). When the window ends its pending events go out by offset
// ascending and, if there were any, the next window opens at once (a flush counts as a
// delivery); when there were none the window closes and the next event is a leading edge again.
// So every key changes at most once per window for subscribers, and everything delivered before
// a flush has a lower offset than everything pending. An event of another epoch (the channel's
// stream was reset) discards what is pending of the old one: subscribers get herald.reset and
// the new epoch's state, to which the old events no longer belong.
// Pure: no clock, no I/O, no lock; the Hub keeps one per conflated channel under its counts lock
// and ends windows with a timer. Header-only (small, and the Hub is its only user).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/model/event.hpp"

namespace herald::channels {

class conflation_window {
public:
    enum class arrival {
        deliver_now,  // no window was open: deliver the event now; a window is open from now
        held,         // pending until the window ends
        replaced,     // pending, in place of an older pending event of its key (never sent)
    };

    struct offer_result {
        arrival what = arrival::deliver_now;
        std::size_t discarded = 0;  // pending events that will now never be sent (replaced, or of an old epoch)
    };

    // Call in offset order.
    offer_result offer(model::event_ptr ev) {
        offer_result r;
        if (ev->epoch != epoch_) {
            r.discarded = pending();
            by_key_.clear();
            keyless_.clear();
            epoch_ = ev->epoch;
        }
        if (!open_) {
            open_ = true;
            r.what = arrival::deliver_now;
            return r;
        }
        if (ev->key.empty()) {
            keyless_.push_back(std::move(ev));
            r.what = arrival::held;
            return r;
        }
        auto [it, added] = by_key_.try_emplace(ev->key, ev);
        if (added) {
            r.what = arrival::held;
            return r;
        }
        it->second = std::move(ev);
        r.what = arrival::replaced;
        ++r.discarded;
        return r;
    }

    // The window ends: its pending events by offset ascending. When there are some, the next
    // window opens now; when there are none, the window closes.
    std::vector<model::event_ptr> end_window() {
        auto out = take_pending();
        open_ = !out.empty();
        return out;
    }

    // Conflation stops (the policy no longer asks for it): the pending events by offset
    // ascending, to deliver before anything newer; the window closes.
    std::vector<model::event_ptr> take_all() {
        open_ = false;
        return take_pending();
    }

    bool open() const { return open_; }
    std::size_t pending() const { return by_key_.size() + keyless_.size(); }

private:
    std::vector<model::event_ptr> take_pending() {
        std::vector<model::event_ptr> out;
        out.reserve(pending());
        for (auto& [key, ev] : by_key_) out.push_back(std::move(ev));
        for (auto& ev : keyless_) out.push_back(std::move(ev));
        by_key_.clear();
        keyless_.clear();
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->offset < b->offset; });
        return out;
    }

    bool open_ = false;
    std::string epoch_;  // of the events pending
    std::unordered_map<std::string, model::event_ptr> by_key_;
    std::vector<model::event_ptr> keyless_;
};

}  // namespace herald::channels
