// The Subscriber: what the Hub delivers to (an SSE or WebSocket stream, a test fake).
// Contract: a subscriber belongs to one shard (one I/O thread). The Hub calls deliver() only on
// that shard's thread, in offset order per channel. deliver() must not block and must not call
// back into the Hub; a subscriber that must close defers it (posts) and then removes itself.
#pragma once

#include <memory>
#include <string>

#include "lib/channels/encoded_event.hpp"

namespace herald::channels {

// A message to a channel's subscribers that is not an event of its stream (no position, no
// history): herald.occupancy. Rendered once for each transport, shared by every subscriber.
struct notice {
    std::string channel;
    frame sse;  // a complete SSE event without an id: line (the stream's position does not move)
    frame ws;   // a complete WebSocket text frame
};
using notice_ptr = std::shared_ptr<const notice>;

// How a subscriber's client is connected, for inspection (subscriber counts by transport).
enum class transport { sse, websocket, other };

class subscriber {
public:
    virtual ~subscriber() = default;
    virtual void deliver(const encoded_event_ptr& ev) noexcept = 0;
    // A notice for one of its channels; best effort (a full outbox skips it). Same thread rules.
    virtual void notify(const notice_ptr&) noexcept {}
    // Any thread may ask; the answer never changes over the subscriber's life.
    virtual channels::transport transport() const noexcept { return channels::transport::other; }
};

}  // namespace herald::channels
