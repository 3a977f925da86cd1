// Hub: per-shard subscriber lists (lock-free on their thread) plus locked per-channel counts,
// and the conflation windows of conflated channels (with the counts, under their lock).
#include "lib/channels/hub.hpp"

#include "lib/model/channel.hpp"

#include <algorithm>
#include <utility>

namespace herald::channels {

hub::hub(shard_executor& executor, hub_options options)
    : executor_(executor),
      options_(std::move(options)),
      conflation_configured_(static_cast<bool>(options_.conflate_ms_for)),
      shards_(executor.shard_count()) {
    for (std::size_t i = 0; i < shards_.size(); ++i) inboxes_.push_back(std::make_unique<inbox>());
}

void hub::add(std::size_t shard, const std::string& channel, subscriber* s) {
    // Count first: a broadcast that sees the count posts to this shard, and the post runs after us.
    {
        std::lock_guard lock(counts_mutex_);
        auto& c = counts_[channel];
        if (c.per_shard.empty()) c.per_shard.resize(shards_.size());
        ++c.total;
        ++c.per_shard[shard];
    }
    shards_[shard][channel].push_back(s);
    subscriptions_.fetch_add(1, std::memory_order_relaxed);
}

void hub::remove(std::size_t shard, const std::string& channel, subscriber* s) {
    auto& local = shards_[shard];
    auto it = local.find(channel);
    if (it == local.end()) return;
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), s);
    if (pos == list.end()) return;
    *pos = list.back();
    list.pop_back();
    if (list.empty()) local.erase(it);
    subscriptions_.fetch_sub(1, std::memory_order_relaxed);
    std::lock_guard lock(counts_mutex_);
    auto c = counts_.find(channel);
    if (c == counts_.end()) return;
    --c->second.per_shard[shard];
    if (--c->second.total == 0) counts_.erase(c);
}

std::size_t hub::broadcast(const model::event_ptr& ev) {
    std::int64_t window_ms = 0;
    if (conflation_configured_.load(std::memory_order_relaxed) && options_.conflate_ms_for)
        window_ms = options_.conflate_ms_for(ev->channel);
    std::size_t total = 0;
    std::vector<std::size_t> targets;
    {
        std::unique_lock lock(counts_mutex_);
        auto it = counts_.find(ev->channel);
        if (it == counts_.end()) return 0;
        total = it->second.total;
        if (window_ms > 0 || it->second.conflation) {
            const auto discarded = broadcast_conflated_locked(ev->channel, it->second, ev, window_ms);
            lock.unlock();
            if (discarded > 0 && options_.on_conflated) options_.on_conflated(discarded);
            return total;
        }
        for (std::size_t i = 0; i < it->second.per_shard.size(); ++i)
            if (it->second.per_shard[i] > 0) targets.push_back(i);
    }
    auto encoded = std::make_shared<const encoded_event>(ev);
    for (auto shard : targets) {
        auto& in = *inboxes_[shard];
        bool post = false;
        {
            std::lock_guard lock(in.mutex);
            in.queued.push_back(encoded);
            post = !std::exchange(in.scheduled, true);
        }
        if (post) executor_.post(shard, [this, shard] { deliver_inbox(shard); });
    }
    return total;
}

void hub::enqueue_locked(const counts& c, const encoded_event_ptr& encoded) {
    for (std::size_t shard = 0; shard < c.per_shard.size(); ++shard) {
        if (c.per_shard[shard] == 0) continue;
        auto& in = *inboxes_[shard];
        bool post = false;
        {
            std::lock_guard lock(in.mutex);
            in.queued.push_back(encoded);
            post = !std::exchange(in.scheduled, true);
        }
        if (post) executor_.post(shard, [this, shard] { deliver_inbox(shard); });
    }
}

std::uint64_t hub::broadcast_conflated_locked(const std::string& channel, counts& c, const model::event_ptr& ev,
                                              std::int64_t window_ms) {
    if (window_ms <= 0) {
        // No longer conflated: what is pending goes first, in order, then this event.
        for (const auto& pending : c.conflation->window.take_all())
            enqueue_locked(c, std::make_shared<const encoded_event>(pending));
        c.conflation.reset();  // its timer finds no state and does nothing
        enqueue_locked(c, std::make_shared<const encoded_event>(ev));
        return 0;
    }
    if (!c.conflation) {
        c.conflation = std::make_unique<conflation_state>();
        c.conflation->generation = ++next_generation_;
    }
    auto& state = *c.conflation;
    state.window_ms = window_ms;
    const auto r = state.window.offer(ev);
    if (r.what == conflation_window::arrival::deliver_now) {
        enqueue_locked(c, std::make_shared<const encoded_event>(ev));
        schedule_window_end_locked(channel, state.generation, window_ms);
    }
    return r.discarded;
}

void hub::schedule_window_end_locked(const std::string& channel, std::uint64_t generation, std::int64_t window_ms) {
    // The channel's own shard, so windows of many channels spread over the threads.
    const auto shard = std::hash<std::string>{}(channel) % shards_.size();
    executor_.post_after(shard, window_ms, [this, channel, generation] { end_window(channel, generation); });
}

void hub::end_window(const std::string& channel, std::uint64_t generation) {
    std::lock_guard lock(counts_mutex_);
    auto it = counts_.find(channel);
    if (it == counts_.end()) return;  // the last subscriber left: the state went with the count
    auto& c = it->second;
    if (!c.conflation || c.conflation->generation != generation) return;  // a later state has its own timer
    auto due = c.conflation->window.end_window();
    if (due.empty()) {
        c.conflation.reset();  // quiet for a whole window: the next event is a leading edge
        return;
    }
    for (const auto& ev : due) enqueue_locked(c, std::make_shared<const encoded_event>(ev));
    schedule_window_end_locked(channel, generation, c.conflation->window_ms);
}

std::size_t hub::conflation_pending(const std::string& channel) const {
    std::lock_guard lock(counts_mutex_);
    auto it = counts_.find(channel);
    return it == counts_.end() || !it->second.conflation ? 0 : it->second.conflation->window.pending();
}

void hub::deliver_inbox(std::size_t shard) {
    auto& in = *inboxes_[shard];
    {
        std::lock_guard lock(in.mutex);
        in.delivering.swap(in.queued);
        in.scheduled = false;
    }
    for (const auto& ev : in.delivering) deliver_on_shard(shard, ev);
    in.delivering.clear();
}

void hub::deliver_on_shard(std::size_t shard, const encoded_event_ptr& ev) {
    auto& local = shards_[shard];
    auto it = local.find(ev->event().channel);
    if (it == local.end()) return;
    for (subscriber* s : it->second) s->deliver(ev);
}

std::size_t hub::notify(const notice_ptr& n) {
    std::lock_guard lock(counts_mutex_);
    auto it = counts_.find(n->channel);
    if (it == counts_.end()) return 0;
    for (std::size_t shard = 0; shard < it->second.per_shard.size(); ++shard) {
        if (it->second.per_shard[shard] == 0) continue;
        executor_.post(shard, [this, n, shard] {
            auto& local = shards_[shard];
            auto found = local.find(n->channel);
            if (found == local.end()) return;
            for (subscriber* s : found->second) s->notify(n);
        });
    }
    return it->second.total;
}

std::size_t hub::subscribers(const std::string& channel) const {
    std::lock_guard lock(counts_mutex_);
    auto it = counts_.find(channel);
    return it == counts_.end() ? 0 : it->second.total;
}

std::vector<std::pair<std::string, std::size_t>> hub::channels(const std::string& prefix, const std::string& after,
                                                               std::size_t limit) const {
    std::vector<std::pair<std::string, std::size_t>> page;
    if (limit == 0) return page;
    auto by_name = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::lock_guard lock(counts_mutex_);
    for (const auto& [name, c] : counts_) {
        if (name.compare(0, prefix.size(), prefix) != 0 || name <= after) continue;
        if (page.size() == limit) {
            if (name >= page.front().first) continue;
            std::pop_heap(page.begin(), page.end(), by_name);
            page.pop_back();
        }
        page.emplace_back(name, c.total);
        std::push_heap(page.begin(), page.end(), by_name);
    }
    std::sort_heap(page.begin(), page.end(), by_name);
    return page;
}

std::vector<std::pair<std::string, std::size_t>> hub::busiest(std::size_t n) const {
    std::vector<std::pair<std::string, std::size_t>> top;
    if (n == 0) return top;
    // "a before b" when a has more subscribers (or as many and a smaller name): a min-heap of n.
    auto before = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
    std::lock_guard lock(counts_mutex_);
    for (const auto& [name, c] : counts_) {
        if (model::is_user_channel(name)) continue;  // a user's channel names the user
        std::pair<std::string, std::size_t> entry{name, c.total};
        if (top.size() == n) {
            if (!before(entry, top.front())) continue;
            std::pop_heap(top.begin(), top.end(), before);
            top.pop_back();
        }
        top.push_back(std::move(entry));
        std::push_heap(top.begin(), top.end(), before);
    }
    std::sort_heap(top.begin(), top.end(), before);
    return top;
}

const std::vector<subscriber*>& hub::local_subscribers(std::size_t shard, const std::string& channel) const {
    static const std::vector<subscriber*> none;
    const auto& local = shards_[shard];
    auto it = local.find(channel);
    return it == local.end() ? none : it->second;
}

std::size_t hub::channel_count() const {
    std::lock_guard lock(counts_mutex_);
    return counts_.size();
}

}  // namespace herald::channels
