// Gap fill: per-channel order of the events arriving over Redis pub/sub, decisions only (rules in
// the header). Threading: none of its own; the Redis broker's thread calls it.
#include "lib/broker/gap_fill.hpp"

#include <utility>

namespace herald::broker {

gap_fill::gap_fill(gap_fill_limits limits) : limits_(limits) {}

bool gap_fill::advance(state& s, const model::event_ptr& ev, std::int64_t now_ms) {
    if (ev->epoch == s.epoch && ev->offset <= s.last) return false;
    s.epoch = ev->epoch;
    s.last = ev->offset;
    s.seen_at = now_ms;
    return true;
}

arrival gap_fill::on_event(const model::event_ptr& ev, std::int64_t now_ms) {
    auto it = channels_.find(ev->channel);
    if (it == channels_.end()) {
        if (channels_.size() >= limits_.max_channels) return {arrival_outcome::untracked, std::nullopt};
        it = channels_.emplace(ev->channel, state{}).first;
    }
    auto& s = it->second;
    if (s.filling) {
        if (s.held.size() >= limits_.max_held) return {arrival_outcome::held_full, std::nullopt};
        s.held.push_back(ev);
        return {arrival_outcome::held, std::nullopt};
    }
    // A gap in the epoch followed, or a new epoch whose first events did not arrive: fill.
    const bool same = ev->epoch == s.epoch;
    if (s.last == 0 || (same && ev->offset <= s.last + 1) || (!same && ev->offset == 1))
        return {advance(s, ev, now_ms) ? arrival_outcome::deliver : arrival_outcome::duplicate, std::nullopt};
    s.filling = true;
    s.held.push_back(ev);
    const auto after = same ? s.last : 0;
    return {arrival_outcome::fill, fill_read{ev->channel, after, static_cast<std::size_t>(ev->offset - after - 1)}};
}

std::vector<model::event_ptr> gap_fill::on_fill(const std::string& channel,
                                                const model::result<channel_history>& history, std::int64_t now_ms) {
    std::vector<model::event_ptr> out;
    auto it = channels_.find(channel);
    if (it == channels_.end() || !it->second.filling) return out;
    auto& s = it->second;
    const auto first = s.held.front();
    if (history.ok() && history->epoch == first->epoch)
        for (const auto& e : history->events)
            if (e->offset < first->offset && advance(s, e, now_ms)) out.push_back(e);
    s.filling = false;
    auto held = std::exchange(s.held, {});
    for (const auto& e : held)
        if (advance(s, e, now_ms)) out.push_back(e);
    return out;
}

void gap_fill::touch(const std::string& channel, std::int64_t now_ms) {
    if (auto it = channels_.find(channel); it != channels_.end()) it->second.seen_at = now_ms;
}

std::size_t gap_fill::forget_idle(std::int64_t now_ms, std::int64_t keep_ms) {
    return std::erase_if(channels_,
                         [&](const auto& kv) { return !kv.second.filling && now_ms - kv.second.seen_at >= keep_ms; });
}

std::optional<followed_channel> gap_fill::channel(const std::string& name) const {
    auto it = channels_.find(name);
    if (it == channels_.end()) return std::nullopt;
    const auto& s = it->second;
    return followed_channel{s.epoch, s.last, s.filling, s.held.size(), s.seen_at};
}

}  // namespace herald::broker
