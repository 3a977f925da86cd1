// One delivery item of the lifecycle webhooks: a presence transition (user.online, user.offline,
// channel.occupied, channel.vacated) or a `resync` (the app missed events and must rebuild from
// GET /v1/presence). Every item carries an idempotency id (node id + per-node sequence) and the
// node's sequence number; transitions carry the store's position. Plain values, copyable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace herald::presence {

struct lifecycle_event {
    std::string type;            // "user.online", "user.offline", "channel.occupied", "channel.vacated", "resync"
    std::string subject;         // the user id or channel name; empty for resync
    std::uint64_t position = 0;  // the store's position of the transition; for resync: the newest known
    std::string node;            // the node that sends it
    std::uint64_t node_seq = 0;  // 1, 2, 3, ... per node and process run
    std::int64_t at_ms = 0;      // when the transition was decided (ms since the Unix epoch)
    std::string reason;          // resync only: "queue_overflow", "unreachable", "started"

    std::string id() const { return node + "-" + std::to_string(node_seq); }
};

// The JSON object of one item (lib/presence/lifecycle_event.cpp): id, type, user | channel
// (transitions) or reason (resync), position, node, node_seq, at.
std::string to_json(const lifecycle_event& e);
// The body of one webhook POST: {"events":[item, ...]} in the given order.
std::string batch_json(const std::vector<lifecycle_event>& items);

}  // namespace herald::presence
