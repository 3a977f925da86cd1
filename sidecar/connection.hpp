// A live connection as its shard sees it: for the keepalive sweep and for shutdown.
// All calls happen on the connection's own shard thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "lib/model/disconnect.hpp"

namespace herald::sidecar {

class connection {
public:
    virtual ~connection() = default;
    // Called by the shard's coarse sweep (about once a second) with the steady clock in ms:
    // keepalives, pings and idle timeouts are decided here, not by a timer per connection.
    virtual void tick(std::int64_t now_ms) = 0;
    // Ends the connection for a server stop: streams say goodbye, requests finish or close.
    virtual void shutdown() = 0;
    // Writes everything queued (one gather write); called once per flush batch.
    virtual void flush() = 0;
    // Ends the connection with `why` if it belongs to `user` (its token's sub); true if it did.
    virtual bool end_for_user(std::string_view user, const model::disconnect& why) {
        (void)user;
        (void)why;
        return false;
    }
};

}  // namespace herald::sidecar
