// Time source interface: wall time for timestamps and history age, so tests can use a manual clock.
// Implementations must be safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace herald::util {

class clock {
public:
    virtual ~clock() = default;
    // Milliseconds since the Unix epoch.
    virtual std::int64_t now_ms() const = 0;
};

class system_clock final : public clock {
public:
    std::int64_t now_ms() const override {
        using namespace std::chrono;
        return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    }
};

}  // namespace herald::util
