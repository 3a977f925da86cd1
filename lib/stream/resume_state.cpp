// Resume state: channel bookkeeping, plan application, hold/dedupe/reset, paced replay.
#include "lib/stream/resume_state.hpp"

#include <algorithm>

namespace herald::stream {

std::size_t event_cost(const model::event& ev) {
    return ev.data.size() + ev.name.size() + ev.channel.size() + ev.key.size() + 96;
}

std::uint64_t resume_state::open(std::string channel, bool automatic) {
    channel_state c;
    c.channel = std::move(channel);
    c.generation = next_generation_++;
    c.automatic = automatic;
    c.pending = std::make_unique<catch_up>();
    channels_.push_back(std::move(c));
    return channels_.back().generation;
}

bool resume_state::close(std::string_view channel) {
    auto it = std::find_if(channels_.begin(), channels_.end(), [&](const channel_state& c) { return c.channel == channel; });
    if (it == channels_.end()) return false;
    if (it->pending && it->pending->planned) --replaying_;
    channels_.erase(it);
    return true;
}

channel_state* resume_state::find(std::string_view channel) {
    for (auto& c : channels_)
        if (c.channel == channel) return &c;
    return nullptr;
}

bool resume_state::apply(std::string_view channel, std::uint64_t generation, node::channel_resume plan) {
    auto* c = find(channel);
    if (!c || c->generation != generation || !c->pending || c->pending->planned) return false;
    auto& p = *c->pending;
    c->epoch = std::move(plan.epoch);
    c->offset = plan.replay.empty() ? plan.resume_offset : plan.replay.front()->offset - 1;
    p.planned = true;
    p.resume_offset = plan.resume_offset;
    p.replay = std::move(plan.replay);
    ++replaying_;
    return true;
}

arrival resume_state::on_live(const channels::encoded_event_ptr& ev) {
    auto* c = channels_.size() == 1 ? &channels_.front() : find(ev->event().channel);
    if (!c || c->channel != ev->event().channel) return {};
    if (c->live()) return {arrival::live, c};
    auto& p = *c->pending;
    p.held_bytes += event_cost(ev->event());
    if (p.held.size() >= max_held_events || p.held_bytes > held_bytes_cap_) {
        p.held.clear();
        p.held.shrink_to_fit();
        p.held_bytes = 0;
        return {arrival::overflow, c};
    }
    p.held.push_back(ev);
    return {arrival::held, c};
}

live_step resume_state::check_live(const channel_state& c, const model::event& ev) {
    if (ev.epoch != c.epoch) return live_step::reset;
    return ev.offset <= c.offset ? live_step::skip : live_step::deliver;
}

void resume_state::move_to_epoch(channel_state& c, const model::event& ev) {
    c.epoch = ev.epoch;
    c.offset = ev.offset - 1;
}

replay_step resume_state::next_replay(std::size_t queued_bytes, bool outbox_idle, std::size_t outbox_max) {
    if (replaying_ == 0) return {};
    for (auto& c : channels_) {
        if (!c.pending || !c.pending->planned) continue;
        auto& p = *c.pending;
        if (p.next < p.replay.size()) {
            const auto& ev = p.replay[p.next];
            if (!outbox_idle && queued_bytes + event_cost(*ev) > outbox_max / 2) return {replay_step::wait, nullptr, nullptr, {}};
            ++p.next;
            c.offset = ev->offset;
            return {replay_step::send, &c, ev, {}};
        }
        c.offset = p.resume_offset;
        replay_step done{replay_step::caught_up, &c, nullptr, std::move(p.held)};
        c.pending.reset();
        --replaying_;
        return done;
    }
    return {};
}

}  // namespace herald::stream
