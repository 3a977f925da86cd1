// Channel paging: a merge of two sorted lists, cut at the limit.
#include "lib/node/channel_page.hpp"

namespace herald::node {

channel_page merge_channel_page(std::vector<broker::channel_info> held,
                                const std::vector<std::pair<std::string, std::size_t>>& local, std::size_t limit) {
    channel_page pg;
    std::size_t i = 0, j = 0;
    while (i < held.size() || j < local.size()) {
        if (pg.infos.size() == limit) {
            pg.more = true;
            break;
        }
        const bool take_held = j == local.size() || (i < held.size() && held[i].channel <= local[j].first);
        const bool take_local = i == held.size() || (j < local.size() && local[j].first <= held[i].channel);
        if (take_held) {
            pg.infos.push_back(std::move(held[i++]));
        } else {
            broker::channel_info info;
            info.channel = local[j].first;
            pg.unknown.push_back(pg.infos.size());
            pg.infos.push_back(std::move(info));
        }
        pg.subscribers.push_back(take_local ? local[j++].second : 0);
    }
    return pg;
}

}  // namespace herald::node
