// Memory broker: per-channel lock held across assign → append → on_event so order is kept.
#include "lib/broker/memory_broker.hpp"

#include <algorithm>
#include <random>

namespace herald::broker {

struct memory_broker::channel_state {
    channel_state(std::size_t n, std::int64_t age) : history(n, age) {}
    std::mutex mutex;
    history::history_ring history;
    std::uint64_t last_offset = 0;
    std::int64_t last_published_at = 0;
    struct remembered {
        model::publish_result result;
        std::int64_t expires_at;
    };
    std::unordered_map<std::string, remembered> keys;
    std::deque<std::string> key_order;
};

namespace {
std::string random_epoch() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::mt19937_64 gen(rd());
    std::uniform_int_distribution<int> pick(0, 35);
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(alphabet[pick(gen)]);
    return out;
}
}  // namespace

memory_broker::memory_broker(const util::clock& clock, memory_broker_options opts)
    : clock_(clock), opts_(opts), epoch_(random_epoch()) {}

memory_broker::~memory_broker() = default;

memory_broker::channel_state* memory_broker::find(const std::string& channel) const {
    std::shared_lock lock(map_mutex_);
    auto it = channels_.find(channel);
    return it == channels_.end() ? nullptr : it->second.get();
}

memory_broker::channel_state* memory_broker::find_or_create(const std::string& channel) {
    {
        std::shared_lock lock(map_mutex_);
        if (auto it = channels_.find(channel); it != channels_.end()) return it->second.get();
    }
    std::unique_lock lock(map_mutex_);
    auto it = channels_.find(channel);
    if (it != channels_.end()) return it->second.get();
    if (channels_.size() >= opts_.max_channels) return nullptr;
    auto state = std::make_unique<channel_state>(opts_.history_size, opts_.history_ttl_ms);
    auto* raw = state.get();
    channels_.emplace(channel, std::move(state));
    return raw;
}

void memory_broker::publish(model::publish_request req, publish_callback done) {
    channel_state* ch = find_or_create(req.channel);
    if (!ch) {
        done(model::errors::unavailable("channel limit of " + std::to_string(opts_.max_channels) + " reached",
                                        "raise broker.max_channels or publish to fewer distinct channels"));
        return;
    }
    const auto now = clock_.now_ms();
    model::publish_result result;
    {
        std::lock_guard lock(ch->mutex);
        if (!req.idempotency_key.empty()) {
            auto it = ch->keys.find(req.idempotency_key);
            if (it != ch->keys.end() && it->second.expires_at > now) {
                auto r = it->second.result;
                r.duplicate = true;
                done(std::move(r));
                return;
            }
        }
        auto ev = std::make_shared<model::event>();
        ev->channel = req.channel;
        ev->offset = ++ch->last_offset;
        ev->epoch = epoch_;
        ev->name = std::move(req.name);
        ev->data = std::move(req.data);
        ev->kind = req.kind;
        ev->published_at = now;
        ch->last_published_at = now;
        ch->history.evict_expired(now);
        ch->history.append(ev);
        result.channel = ev->channel;
        result.offset = ev->offset;
        result.epoch = epoch_;
        if (!req.idempotency_key.empty()) {
            while (!ch->key_order.empty() &&
                   (ch->key_order.size() >= opts_.idempotency_keys_per_channel ||
                    ch->keys[ch->key_order.front()].expires_at <= now)) {
                ch->keys.erase(ch->key_order.front());
                ch->key_order.pop_front();
            }
            ch->keys[req.idempotency_key] = {result, now + opts_.idempotency_window_ms};
            ch->key_order.push_back(req.idempotency_key);
        }
        if (handler_) handler_->on_event(ev);
    }
    done(std::move(result));
}

void memory_broker::read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                         read_callback done) {
    channel_history h;
    h.channel = channel;
    h.epoch = epoch_;
    channel_state* ch = find(channel);  // reading never creates a channel: subscribers cannot use up the cap
    if (!ch) {
        h.last_offset = 0;
        h.first_available = 1;
        done(std::move(h));
        return;
    }
    {
        std::lock_guard lock(ch->mutex);
        ch->history.evict_expired(clock_.now_ms());
        h.last_offset = ch->last_offset;
        h.first_available = ch->history.empty() ? ch->last_offset + 1 : ch->history.first_offset();
        if (after) h.events = ch->history.since(*after, limit);
    }
    done(std::move(h));
}

channel_info memory_broker::describe(const std::string& name, channel_state& ch) const {
    channel_info info;
    info.channel = name;
    info.epoch = epoch_;
    std::lock_guard lock(ch.mutex);
    ch.history.evict_expired(clock_.now_ms());
    info.last_offset = ch.last_offset;
    info.first_available = ch.history.empty() ? ch.last_offset + 1 : ch.history.first_offset();
    info.history_size = ch.history.size();
    info.publishes = ch.last_offset;  // one offset per event since this broker (and its epoch) started
    info.last_published_at = ch.last_published_at;
    return info;
}

void memory_broker::info(const std::string& channel, info_callback done) {
    channel_state* ch = find(channel);
    if (!ch) {
        done(std::optional<channel_info>());
        return;
    }
    done(std::optional<channel_info>(describe(channel, *ch)));
}

void memory_broker::list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                                  list_callback done) {
    // An unordered map: one pass keeps the `limit` smallest names after the cursor (a max-heap).
    std::vector<std::pair<std::string, channel_state*>> page;
    if (limit > 0) {
        auto by_name = [](const auto& a, const auto& b) { return a.first < b.first; };
        std::shared_lock lock(map_mutex_);
        for (const auto& [name, ch] : channels_) {
            if (name.compare(0, prefix.size(), prefix) != 0 || name <= after) continue;
            if (page.size() == limit) {
                if (name >= page.front().first) continue;
                std::pop_heap(page.begin(), page.end(), by_name);
                page.pop_back();
            }
            page.emplace_back(name, ch.get());
            std::push_heap(page.begin(), page.end(), by_name);
        }
        std::sort_heap(page.begin(), page.end(), by_name);
    }
    // Channel states are never freed while the broker lives, so they can be read after the map lock.
    std::vector<channel_info> out;
    out.reserve(page.size());
    for (auto& [name, ch] : page) out.push_back(describe(name, *ch));
    done(std::move(out));
}

broker_stats memory_broker::stats() const {
    broker_stats s;
    std::shared_lock lock(map_mutex_);
    s.channels = channels_.size();
    for (const auto& [name, ch] : channels_) {
        std::lock_guard l(ch->mutex);
        s.history_events += ch->history.size();
    }
    return s;
}

}  // namespace herald::broker
