// manual_clock: a util::clock whose time moves only when a test says so (set/advance).
// Thread-safe: the time is one atomic, so brokers may read it from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "lib/util/clock.hpp"

namespace herald::test {

class manual_clock final : public util::clock {
public:
    explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}

    std::int64_t now_ms() const override { return now_.load(std::memory_order_acquire); }

    void set(std::int64_t ms) { now_.store(ms, std::memory_order_release); }
    void advance(std::int64_t ms) { now_.fetch_add(ms, std::memory_order_acq_rel); }
    void advance(std::chrono::milliseconds d) { advance(static_cast<std::int64_t>(d.count())); }

private:
    std::atomic<std::int64_t> now_;
};

}  // namespace herald::test
