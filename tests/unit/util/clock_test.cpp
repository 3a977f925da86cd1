// util/clock: system_clock reads wall time in milliseconds since the Unix epoch (not seconds, not
// a steady clock's arbitrary origin), through the util::clock interface the brokers take.
#include "lib/util/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

namespace herald::util {
namespace {

TEST(Clock, SystemClockIsMillisecondsSinceTheUnixEpoch) {
    system_clock c;
    const clock& as_interface = c;
    const std::int64_t before = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
    const std::int64_t now = as_interface.now_ms();
    const std::int64_t after = static_cast<std::int64_t>(std::time(nullptr)) * 1000 + 1000;
    EXPECT_GE(now, before);
    EXPECT_LE(now, after);
    EXPECT_GT(now, 1'600'000'000'000);  // after September 2020: milliseconds, not seconds
}

TEST(Clock, SystemClockMovesForward) {
    system_clock c;
    const auto first = c.now_ms();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    auto later = first;
    while (later == first && std::chrono::steady_clock::now() < deadline) later = c.now_ms();
    EXPECT_GT(later, first);
    EXPECT_LT(later - first, 2000);
}

}  // namespace
}  // namespace herald::util
