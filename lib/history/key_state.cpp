// Keyed channel state: checks of a publish against it, and the record of what was published.
#include "lib/history/key_state.hpp"

#include <algorithm>
#include <charconv>

namespace herald::history {

std::optional<std::int64_t> counter_value(std::string_view data, model::data_kind kind) {
    if (kind != model::data_kind::json || data.empty()) return std::nullopt;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), v);
    if (ec != std::errc() || end != data.data() + data.size()) return std::nullopt;
    if (v > model::max_counter || v < -model::max_counter) return std::nullopt;
    return v;
}

model::result<key_change> key_state::prepare(const model::publish_request& req, std::size_t max_keys) const {
    auto it = latest_.find(req.key);
    const model::event* current = it == latest_.end() || it->second->deleted ? nullptr : it->second.get();
    key_change out;
    switch (req.op) {
        case model::key_op::remove:
            if (!current) return model::errors::key_not_found(req.channel, req.key);
            out.kind = model::data_kind::json;
            return out;
        case model::key_op::incr: {
            std::int64_t before = 0;
            if (current) {
                auto v = counter_value(current->data, current->kind);
                if (!v) return model::errors::not_a_counter(req.channel, req.key, "holds a value that is not an integer");
                before = *v;
            }
            const auto sum = before + req.incr;  // both within ±2^53: no overflow in 64 bits
            if (sum > model::max_counter || sum < -model::max_counter)
                return model::errors::not_a_counter(req.channel, req.key,
                                                    "would pass the counter range of ±9007199254740991");
            out.value = sum;
            out.data = std::to_string(sum);
            break;
        }
        case model::key_op::set:
            out.data = req.data;
            out.kind = req.kind;
            break;
    }
    if (!current && live_ >= max_keys) return model::errors::too_many_keys(req.channel, max_keys);
    return out;
}

void key_state::apply(const model::event_ptr& ev, std::size_t max_keys) {
    auto& slot = latest_[ev->key];
    const bool was_live = slot && !slot->deleted;
    if (slot && slot->deleted) deletions_.erase(slot->offset);
    slot = ev;
    if (ev->deleted) {
        if (was_live) --live_;
        deletions_.emplace(ev->offset, ev->key);
    } else if (!was_live) {
        ++live_;
    }
    while (deletions_.size() > std::max<std::size_t>(max_keys, 1)) {
        auto oldest = deletions_.begin();
        floor_ = std::max(floor_, oldest->first + 1);
        latest_.erase(oldest->second);
        deletions_.erase(oldest);
    }
}

std::vector<model::event_ptr> key_state::all() const {
    std::vector<model::event_ptr> out;
    out.reserve(latest_.size());
    for (const auto& [key, ev] : latest_) out.push_back(ev);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->offset < b->offset; });
    return out;
}

}  // namespace herald::history
