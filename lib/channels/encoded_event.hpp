// An event with its wire encodings, each built at most once and shared by every subscriber.
// Thread-safe: encodings are built lazily under std::call_once, then read-only.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "lib/model/event.hpp"

namespace herald::channels {

using frame = std::shared_ptr<const std::string>;

class encoded_event {
public:
    explicit encoded_event(model::event_ptr ev) : ev_(std::move(ev)) {}

    const model::event& event() const { return *ev_; }
    const model::event_ptr& ptr() const { return ev_; }

    // `event:`/`data:` lines and blank line, no `id:`; envelope wraps the payload in JSON.
    const frame& sse_body(bool envelope) const;
    // The whole frame for a one-channel stream: `id: <cursor>` line plus the body.
    const frame& sse_single(bool envelope) const;
    // One complete WebSocket text frame (header included) carrying the event JSON.
    const frame& ws() const;

private:
    model::event_ptr ev_;
    mutable std::once_flag body_once_[2], single_once_[2], ws_once_;
    mutable frame body_[2], single_[2], ws_;
};

using encoded_event_ptr = std::shared_ptr<const encoded_event>;

}  // namespace herald::channels
