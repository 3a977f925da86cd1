// The cluster-wide presence state: how many streams each user has open and how many subscribers
// each channel has, summed over every node, and the transitions the app is told about.
// Contract:
// - A node reports its own counts with apply(): a key's count on this node (0: the node has none
//   any more). The store keeps one count per (node, key) and their sum per key, atomically.
// - A key whose sum goes from 0 to above 0 is a transition to online/occupied; from above 0 to 0,
//   offline/vacated. Each transition gets the next `position` (one sequence per store, over users
//   and channels), and apply() answers with the transitions it caused, in position order. Sums that
//   change without crossing 0 cause none. So whichever nodes a user's streams move between, the
//   app hears one online when the first opens and one offline when the last is gone.
// - Debounce is not the store's: nodes report a count of 0 only once it stayed 0 for the window.
// - Nodes that stop heartbeating (crash) lose their counts at the next sweep() of any node, with
//   the transitions that causes; retire() (graceful stop) keeps a node's counts for `linger_ms`
//   more, so users reconnecting to another node in that time never go offline.
// - page() lists the keys with a sum above 0 by name (byte order) after `after`, with the position
//   of the newest transition at the time of reading: an app that reads every page and then applies
//   the transitions with a higher position, in position order, holds the exact state.
// - Callbacks may run on any thread (inline for the memory store); they must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/error.hpp"

namespace herald::presence {

enum class subject { user, channel };

struct node_count {
    subject kind = subject::user;
    std::string name;        // the user id (a token's sub) or the channel name
    std::uint64_t count = 0;  // this node's streams of the user / subscribers of the channel
};

enum class change_kind { user_online, user_offline, channel_occupied, channel_vacated };

struct presence_change {
    change_kind kind = change_kind::user_online;
    std::string name;
    std::uint64_t position = 0;  // 1, 2, 3, ... per store
};

struct presence_entry {
    std::string name;
    std::uint64_t count = 0;  // summed over nodes
};

struct presence_page {
    std::uint64_t position = 0;  // the newest transition's position when the page was read
    std::vector<presence_entry> entries;
    bool more = false;  // entries after the last one exist
};

class presence_store {
public:
    using changes_callback = std::function<void(model::result<std::vector<presence_change>>)>;
    using page_callback = std::function<void(model::result<presence_page>)>;
    using totals_callback = std::function<void(model::result<std::vector<std::uint64_t>>)>;
    using done_callback = std::function<void(model::result<bool>)>;

    virtual ~presence_store() = default;
    // Sets this node's counts; answers with the transitions they caused.
    virtual void apply(std::vector<node_count> counts, changes_callback done) = 0;
    // This node is alive for the next ttl_ms (called every ttl/3 or so).
    virtual void heartbeat(std::int64_t ttl_ms, done_callback done) = 0;
    // Removes the counts of nodes whose heartbeat lapsed; answers with the transitions caused.
    virtual void sweep(changes_callback done) = 0;
    // Keys of `kind` with a sum above 0 and a name after `after`: the first `limit`, by name.
    virtual void page(subject kind, const std::string& after, std::size_t limit, page_callback done) = 0;
    // The sums of `names` (0 for an absent one), in the same order.
    virtual void totals(subject kind, std::vector<std::string> names, totals_callback done) = 0;
    // Graceful stop: this node's counts stay for linger_ms, then any node's sweep removes them.
    virtual void retire(std::int64_t linger_ms, done_callback done) = 0;
    // This node's id (unique per process run).
    virtual const std::string& node_id() const = 0;
};

// A node id: 16 random lowercase hex digits, new for every process run.
std::string random_node_id();
std::string_view change_name(change_kind k);  // "user.online", "user.offline", ...
bool is_user_change(change_kind k);
// The transition of a `kind` key whose sum went from `before` to `after`, if any.
std::optional<change_kind> transition(subject kind, std::uint64_t before, std::uint64_t after);

}  // namespace herald::presence
