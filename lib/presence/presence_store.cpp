// Node ids, names and the transition rule shared by every presence store.
#include "lib/presence/presence_store.hpp"

#include <random>

namespace herald::presence {

std::string random_node_id() {
    std::random_device rd;
    std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    for (auto v = gen(); id.size() < 16; v >>= 4) id.push_back(hex[v & 15]);
    return id;
}

std::string_view change_name(change_kind k) {
    switch (k) {
        case change_kind::user_online:
            return "user.online";
        case change_kind::user_offline:
            return "user.offline";
        case change_kind::channel_occupied:
            return "channel.occupied";
        case change_kind::channel_vacated:
            return "channel.vacated";
    }
    return "user.online";
}

bool is_user_change(change_kind k) { return k == change_kind::user_online || k == change_kind::user_offline; }

std::optional<change_kind> transition(subject kind, std::uint64_t before, std::uint64_t after) {
    if (before == 0 && after > 0) return kind == subject::user ? change_kind::user_online : change_kind::channel_occupied;
    if (before > 0 && after == 0) return kind == subject::user ? change_kind::user_offline : change_kind::channel_vacated;
    return std::nullopt;
}

}  // namespace herald::presence
