// Memory broker: per-channel lock held across assign → append → on_event so order is kept.
// Channel states are shared_ptrs: sweep() may drop one from the map while a publisher holds it;
// the publisher sees `dropped` under the channel lock and starts over with a fresh state.
#include "lib/broker/memory_broker.hpp"

#include <algorithm>
#include <random>

namespace herald::broker {

struct memory_broker::channel_state {
    channel_state(std::string e, const memory_broker_options& o)
        : epoch(std::move(e)), history(o.history_size, o.history_ttl_ms, o.history_max_bytes) {}
    std::mutex mutex;
    const std::string epoch;  // the broker's epoch when the channel was created
    history::history_ring history;
    history::key_state keyed;  // a keyed channel's latest event per key
    std::uint64_t last_offset = 0;
    std::int64_t last_published_at = 0;
    bool dropped = false;  // no longer in the map (sweep): publishers start over
    struct remembered {
        model::publish_result result;
        std::int64_t expires_at;
    };
    std::unordered_map<std::string, remembered> keys;
    std::deque<std::pair<std::string, std::int64_t>> key_order;  // (key, expires_at), oldest first
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
    : clock_(clock), opts_(opts), epoch_(random_epoch()), epoch_since_(clock.now_ms()) {
    if (opts_.sweep_interval_ms > 0) sweeper_thread_ = std::thread([this] { sweeper(); });
}

memory_broker::~memory_broker() {
    {
        std::lock_guard lock(sweeper_mutex_);
        stopping_ = true;
    }
    sweeper_cv_.notify_all();
    if (sweeper_thread_.joinable()) sweeper_thread_.join();
}

void memory_broker::sweeper() {
    std::unique_lock lock(sweeper_mutex_);
    while (!stopping_) {
        if (sweeper_cv_.wait_for(lock, std::chrono::milliseconds(opts_.sweep_interval_ms), [this] { return stopping_; }))
            break;
        lock.unlock();
        sweep();
        lock.lock();
    }
}

std::int64_t memory_broker::idle_after_ms() const {
    if (opts_.history_ttl_ms <= 0) return 0;
    return std::max(opts_.history_ttl_ms, opts_.idempotency_window_ms);
}

std::string memory_broker::epoch_at(std::int64_t now) const {
    std::lock_guard lock(epoch_mutex_);
    const auto idle = idle_after_ms();
    if (idle > 0 && now - epoch_since_ >= idle) {
        epoch_ = random_epoch();
        epoch_since_ = now;
    }
    return epoch_;
}

std::string memory_broker::epoch() const { return epoch_at(clock_.now_ms()); }

memory_broker::state_ptr memory_broker::find(const std::string& channel) const {
    std::shared_lock lock(map_mutex_);
    auto it = channels_.find(channel);
    return it == channels_.end() ? nullptr : it->second;
}

memory_broker::state_ptr memory_broker::find_or_create(const std::string& channel) {
    {
        std::shared_lock lock(map_mutex_);
        if (auto it = channels_.find(channel); it != channels_.end()) return it->second;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        {
            std::unique_lock lock(map_mutex_);
            auto it = channels_.find(channel);
            if (it != channels_.end()) return it->second;
            if (channels_.size() < opts_.max_channels) {
                // The time is read after any drop of this channel (under this lock), so a channel
                // created again after a drop always finds the epoch rotated.
                auto state = std::make_shared<channel_state>(epoch_at(clock_.now_ms()), opts_);
                channels_.emplace(channel, state);
                return state;
            }
        }
        // At the cap: idle channels may be waiting for the next sweep. Sweep now, at most once a
        // second, so a full broker cannot be made to scan every channel on each publish.
        const auto now = clock_.now_ms();
        auto last = last_cap_sweep_.load();
        if (attempt > 0 || now - last < 1000 || !last_cap_sweep_.compare_exchange_strong(last, now)) break;
        if (sweep() == 0) break;
    }
    return nullptr;
}

bool memory_broker::idle(const std::string& name, channel_state& ch, std::int64_t now) const {
    const auto after = idle_after_ms();
    return after > 0 && ch.history.empty() && ch.keys.empty() && ch.keyed.live_keys() == 0 &&
           now - ch.last_published_at >= after &&
           !(opts_.in_use && opts_.in_use(name));
}

void memory_broker::forget_keys(channel_state& ch, std::int64_t now, bool make_room) const {
    while (!ch.key_order.empty() && (ch.key_order.front().second <= now ||
                                     (make_room && ch.key_order.size() >= opts_.idempotency_keys_per_channel))) {
        auto& [key, expires_at] = ch.key_order.front();
        auto it = ch.keys.find(key);
        if (it != ch.keys.end() && it->second.expires_at == expires_at) ch.keys.erase(it);
        ch.key_order.pop_front();
    }
}

std::size_t memory_broker::sweep() {
    const auto now = clock_.now_ms();
    std::vector<std::string> idle_names;
    {
        std::shared_lock lock(map_mutex_);
        for (auto& [name, ch] : channels_) {
            std::lock_guard l(ch->mutex);
            forget_keys(*ch, now, false);
            ch->history.evict_expired(now);
            if (idle(name, *ch, now)) idle_names.push_back(name);
        }
    }
    std::size_t dropped = 0;
    if (idle_names.empty()) return dropped;
    std::unique_lock lock(map_mutex_);
    for (const auto& name : idle_names) {
        auto it = channels_.find(name);
        if (it == channels_.end()) continue;
        auto keep = it->second;
        {
            std::lock_guard l(keep->mutex);
            if (!idle(name, *keep, now)) continue;  // published to (or subscribed) since the first pass
            keep->dropped = true;
        }
        channels_.erase(it);
        ++dropped;
    }
    return dropped;
}

void memory_broker::publish(model::publish_request&& req, publish_callback done) {
    model::publish_result result;
    const auto limits = limits_of(req.channel);
    for (;;) {
        state_ptr ch = find_or_create(req.channel);
        if (!ch) {
            done(model::errors::unavailable(
                "channel limit of " + std::to_string(opts_.max_channels) + " reached: cannot create channel '" +
                    req.channel + "'",
                "raise history.max_channels (--max-broker-channels) or publish to fewer distinct channels; a channel "
                "with no publish for max(history.ttl, history.idempotency_window) is forgotten"));
            return;
        }
        std::lock_guard lock(ch->mutex);
        if (ch->dropped) continue;  // swept away meanwhile: create it again
        const auto now = clock_.now_ms();  // under the channel lock: times grow per channel
        if (!req.idempotency_key.empty()) {
            auto it = ch->keys.find(req.idempotency_key);
            if (it != ch->keys.end() && it->second.expires_at > now) {
                auto r = it->second.result;
                r.duplicate = true;
                done(std::move(r));
                return;
            }
        }
        std::optional<history::key_change> change;
        if (!req.key.empty()) {
            auto c = ch->keyed.prepare(req, limits.max_keys);
            if (!c) {
                done(c.err());
                return;
            }
            change = std::move(*c);
            result.value = change->value;
        }
        auto ev = std::make_shared<model::event>();
        ev->channel = std::move(req.channel);  // not read again: the result copies it from the event
        ev->offset = ++ch->last_offset;
        ev->epoch = ch->epoch;
        ev->name = std::move(req.name);
        ev->data = change ? std::move(change->data) : std::move(req.data);
        ev->kind = change ? change->kind : req.kind;
        ev->published_at = now;
        ev->key = std::move(req.key);
        ev->deleted = req.op == model::key_op::remove && change;
        if (change) ch->keyed.apply(ev, limits.max_keys);
        ch->last_published_at = now;
        ch->history.set_limits(limits.size, limits.ttl_ms, limits.max_bytes);
        ch->history.evict_expired(now);
        ch->history.append(ev);
        result.channel = ev->channel;
        result.offset = ev->offset;
        result.epoch = ch->epoch;
        if (!req.idempotency_key.empty()) {
            forget_keys(*ch, now, true);
            const auto expires_at = now + opts_.idempotency_window_ms;
            ch->keys[req.idempotency_key] = {result, expires_at};
            ch->key_order.emplace_back(req.idempotency_key, expires_at);
        }
        if (handler_) handler_->on_event(ev);
        break;
    }
    done(std::move(result));
}

channel_history memory_broker::position(const std::string& channel, const std::function<void(channel_state&, channel_history&)>& more) {
    channel_history h;
    h.channel = channel;
    const auto now = clock_.now_ms();
    state_ptr ch = find(channel);  // reading never creates a channel: subscribers cannot use up the cap
    if (!ch) {
        h.epoch = epoch_at(now);
        h.first_available = 1;
        return h;
    }
    std::lock_guard lock(ch->mutex);
    ch->history.evict_expired(now);
    h.epoch = ch->epoch;
    h.last_offset = ch->last_offset;
    h.first_available = ch->history.empty() ? ch->last_offset + 1 : ch->history.first_offset();
    more(*ch, h);
    return h;
}

void memory_broker::read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                         read_callback done) {
    done(position(channel, [&](channel_state& ch, channel_history& h) {
        if (after) h.events = ch.history.since(*after, limit);
    }));
}

channel_limits memory_broker::limits_of(const std::string& channel) const {
    return opts_.limits_for ? opts_.limits_for(channel)
                            : channel_limits{opts_.history_size, opts_.history_ttl_ms, opts_.history_max_bytes};
}

void memory_broker::read_latest(const std::string& channel, read_callback done) {
    const bool keyed = limits_of(channel).keyed;
    auto h = position(channel, [&](channel_state& ch, channel_history& h) {
        if (keyed) {
            h.events = ch.keyed.all();
            h.first_available = ch.keyed.floor();
        } else if (ch.last_offset > 0) {
            h.events = ch.history.since(ch.last_offset - 1, 1);
        }
    });
    h.keyed = keyed;
    done(std::move(h));
}

channel_info memory_broker::describe(const std::string& name, channel_state& ch) const {
    channel_info info;
    info.channel = name;
    info.epoch = ch.epoch;
    std::lock_guard lock(ch.mutex);
    ch.history.evict_expired(clock_.now_ms());
    info.last_offset = ch.last_offset;
    info.first_available = ch.history.empty() ? ch.last_offset + 1 : ch.history.first_offset();
    info.history_size = ch.history.size();
    info.publishes = ch.last_offset;  // one offset per event since this channel (and its epoch) started
    info.last_published_at = ch.last_published_at;
    info.keys = ch.keyed.live_keys();
    return info;
}

void memory_broker::info(const std::string& channel, info_callback done) {
    state_ptr ch = find(channel);
    if (!ch) {
        done(std::optional<channel_info>());
        return;
    }
    done(std::optional<channel_info>(describe(channel, *ch)));
}

void memory_broker::list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                                  list_callback done) {
    // An unordered map: one pass keeps the `limit` smallest names after the cursor (a max-heap).
    std::vector<std::pair<std::string, state_ptr>> page;
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
            page.emplace_back(name, ch);
            std::push_heap(page.begin(), page.end(), by_name);
        }
        std::sort_heap(page.begin(), page.end(), by_name);
    }
    // The page holds its states, so they can be read after the map lock (even if swept meanwhile).
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
        s.idempotency_keys += ch->keys.size();
    }
    return s;
}

}  // namespace herald::broker
