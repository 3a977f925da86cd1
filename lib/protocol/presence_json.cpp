// JSON of the presence API: see presence_json.hpp.
#include "lib/protocol/presence_json.hpp"

#include <nlohmann/json.hpp>

namespace herald::protocol {

using json = nlohmann::ordered_json;  // fields in the order the docs show them

namespace {
json items(bool users, const presence_list& list) {
    json out = json::array();
    for (const auto& [name, count] : list.entries)
        out.push_back(users ? json{{"user", name}, {"streams", count}} : json{{"channel", name}, {"subscribers", count}});
    return out;
}
json next_cursor(const presence_list& list) {
    return list.more && !list.entries.empty() ? json(list.entries.back().first) : json(nullptr);
}
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
}  // namespace

std::string presence_page_json(bool users, std::uint64_t position, const presence_list& list) {
    return dump(json{{"position", position}, {users ? "users" : "channels", items(users, list)}, {"next_cursor", next_cursor(list)}});
}

std::string presence_summary_json(std::string_view node, std::string_view store, std::uint64_t position,
                                  std::span<const webhook_summary> webhooks, const presence_list& users,
                                  const presence_list& channels) {
    json hooks = json::array();
    for (const auto& w : webhooks)
        hooks.push_back(json{{"url", w.url},
                             {"queue_depth", w.queue_depth},
                             {"last_delivered_position", w.last_delivered_position},
                             {"last_delivered_id", w.last_delivered_id.empty() ? json(nullptr) : json(w.last_delivered_id)}});
    return dump(json{{"node", node},
                     {"store", store},
                     {"position", position},
                     {"webhooks", std::move(hooks)},
                     {"users", items(true, users)},
                     {"next_users_cursor", next_cursor(users)},
                     {"channels", items(false, channels)},
                     {"next_channels_cursor", next_cursor(channels)}});
}

}  // namespace herald::protocol
