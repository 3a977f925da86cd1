// fake_subscriber: a channels::subscriber that records what the Hub delivers, for tests.
// Checks the Hub's contract as it goes: deliveries on the home shard only (when one is given,
// via inline_executor::current_shard) and none after the test marks it removed.
// Thread-safe: deliver() and the accessors lock; an optional encoder runs inside deliver().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/channels/subscriber.hpp"
#include "tests/support/inline_executor.hpp"

namespace herald::test {

class fake_subscriber final : public channels::subscriber {
public:
    using encoder = std::function<channels::frame(const channels::encoded_event&)>;

    explicit fake_subscriber(std::optional<std::size_t> home_shard = std::nullopt, encoder encode = nullptr)
        : home_(home_shard), encode_(std::move(encode)) {}

    void deliver(const channels::encoded_event_ptr& ev) noexcept override {
        channels::frame f;
        if (encode_) f = encode_(*ev);
        std::lock_guard lock(mutex_);
        if (removed_) ++after_removal_;
        if (home_ && inline_executor::current_shard() != home_) ++wrong_shard_;
        auto& last = last_offset_[ev->event().channel];
        if (ev->event().offset <= last) ++out_of_order_;
        last = ev->event().offset;
        offsets_.push_back(ev->event().offset);
        events_.push_back(ev);
        if (encode_) frames_.push_back(std::move(f));
    }

    // Call right after hub.remove() on the same shard: later deliveries count as violations.
    void mark_removed() {
        std::lock_guard lock(mutex_);
        removed_ = true;
    }

    std::vector<channels::encoded_event_ptr> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::vector<std::uint64_t> offsets() const {
        std::lock_guard lock(mutex_);
        return offsets_;
    }
    // Offsets delivered for one channel, in delivery order.
    std::vector<std::uint64_t> offsets(const std::string& channel) const {
        std::lock_guard lock(mutex_);
        std::vector<std::uint64_t> out;
        for (const auto& ev : events_)
            if (ev->event().channel == channel) out.push_back(ev->event().offset);
        return out;
    }
    std::vector<channels::frame> frames() const {
        std::lock_guard lock(mutex_);
        return frames_;
    }
    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return events_.size();
    }
    std::size_t after_removal() const {
        std::lock_guard lock(mutex_);
        return after_removal_;
    }
    std::size_t wrong_shard() const {
        std::lock_guard lock(mutex_);
        return wrong_shard_;
    }
    // Deliveries whose offset was not above the previous one on the same channel.
    std::size_t out_of_order() const {
        std::lock_guard lock(mutex_);
        return out_of_order_;
    }
    std::optional<std::size_t> home_shard() const { return home_; }

private:
    std::optional<std::size_t> home_;
    encoder encode_;
    mutable std::mutex mutex_;
    std::vector<channels::encoded_event_ptr> events_;
    std::vector<std::uint64_t> offsets_;
    std::map<std::string, std::uint64_t> last_offset_;
    std::vector<channels::frame> frames_;
    bool removed_ = false;
    std::size_t after_removal_ = 0;
    std::size_t wrong_shard_ = 0;
    std::size_t out_of_order_ = 0;
};

}  // namespace herald::test
