// One page of the channel list (GET /v1/channels): the union, by name, of the channels the
// broker holds and those this node has subscribers for. Pure, no I/O; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "lib/broker/broker.hpp"

namespace herald::node {

struct channel_page {
    std::vector<broker::channel_info> infos;  // sorted by name, at most the limit
    std::vector<std::size_t> subscribers;     // this node's subscribers of infos[i]
    // Indices into infos of channels with subscribers that the broker holds nothing for: only
    // their names are set, the caller fills in their starting position.
    std::vector<std::size_t> unknown;
    bool more = false;  // a next page follows (its cursor is the last name here)
};

// `held` from the broker and `local` (name, subscribers) from the hub, each sorted by name and
// each holding at least limit + 1 entries when there are that many, so the page is exact.
channel_page merge_channel_page(std::vector<broker::channel_info> held,
                                const std::vector<std::pair<std::string, std::size_t>>& local, std::size_t limit);

}  // namespace herald::node
