// When an open stream's token runs out: one notice a configured time before `exp`, then the end
// at `exp`. Driven by the shard's sweep with wall-clock milliseconds; a renewed token (WebSocket
// `refresh`) moves both. No clock of its own, so tests step it with any time they like.
#pragma once

#include <cstdint>
#include <optional>

namespace herald::auth {

class expiry_watch {
public:
    enum class step { none, notice, expired };

    expiry_watch() = default;  // never expires
    expiry_watch(std::optional<std::int64_t> exp_ms, std::int64_t notice_ms) : exp_(exp_ms), notice_ms_(notice_ms) {}

    // What is due at `now_ms`: notice once (skipped if already expired), then expired (once).
    step poll(std::int64_t now_ms) {
        if (!exp_ || done_) return step::none;
        if (now_ms >= *exp_) {
            done_ = true;
            return step::expired;
        }
        if (!noticed_ && now_ms >= *exp_ - notice_ms_) {
            noticed_ = true;
            return step::notice;
        }
        return step::none;
    }
    void renew(std::optional<std::int64_t> exp_ms) {
        exp_ = exp_ms;
        noticed_ = false;
        done_ = false;
    }
    std::optional<std::int64_t> exp() const { return exp_; }

private:
    std::optional<std::int64_t> exp_;
    std::int64_t notice_ms_ = 0;
    bool noticed_ = false;
    bool done_ = false;
};

}  // namespace herald::auth
