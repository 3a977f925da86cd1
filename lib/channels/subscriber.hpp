// The Subscriber: what the Hub delivers to (an SSE or WebSocket stream, a test fake).
// Contract: a subscriber belongs to one shard (one I/O thread). The Hub calls deliver() only on
// that shard's thread, in offset order per channel. deliver() must not block and must not call
// back into the Hub; a subscriber that must close defers it (posts) and then removes itself.
#pragma once

#include "lib/channels/encoded_event.hpp"

namespace herald::channels {

// How a subscriber's client is connected, for inspection (subscriber counts by transport).
enum class transport { sse, websocket, other };

class subscriber {
public:
    virtual ~subscriber() = default;
    virtual void deliver(const encoded_event_ptr& ev) noexcept = 0;
    // Any thread may ask; the answer never changes over the subscriber's life.
    virtual channels::transport transport() const noexcept { return channels::transport::other; }
};

}  // namespace herald::channels
