// JSON of the presence API (GET /v1/presence, /v1/presence/users, /v1/presence/channels) and
// what `herald presence` reads back. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::protocol {

// One page of users (name, streams) or channels (name, subscribers), summed over every node.
struct presence_list {
    std::vector<std::pair<std::string, std::uint64_t>> entries;
    bool more = false;
};

struct webhook_summary {
    std::string url;
    std::size_t queue_depth = 0;
    std::uint64_t last_delivered_position = 0;
    std::string last_delivered_id;
};

// {"position":P,"users":[{"user":..,"streams":N}],"next_cursor":..} (channels: "channel","subscribers").
std::string presence_page_json(bool users, std::uint64_t position, const presence_list& list);
// {"node","store","position","webhooks":[..],"users":[..],"next_users_cursor","channels":[..],"next_channels_cursor"}
std::string presence_summary_json(std::string_view node, std::string_view store, std::uint64_t position,
                                  std::span<const webhook_summary> webhooks, const presence_list& users,
                                  const presence_list& channels);

}  // namespace herald::protocol
