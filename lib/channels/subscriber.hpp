// The Subscriber: what the Hub delivers to (an SSE session, later a WebSocket one, a test fake).
// Contract: a subscriber belongs to one shard (one I/O thread). The Hub calls deliver() only on
// that shard's thread, in offset order per channel. deliver() must not block and must not call
// back into the Hub; a subscriber that must close defers it (posts) and then removes itself.
#pragma once

#include "lib/channels/encoded_event.hpp"

namespace herald::channels {

class subscriber {
public:
    virtual ~subscriber() = default;
    virtual void deliver(const encoded_event_ptr& ev) noexcept = 0;
};

}  // namespace herald::channels
