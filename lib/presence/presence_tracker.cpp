// This node's counts and their debounced reports: see presence_tracker.hpp.
#include "lib/presence/presence_tracker.hpp"

namespace herald::presence {

std::string presence_tracker::key_of(subject kind, const std::string& name) {
    std::string k(1, kind == subject::user ? 'u' : 'c');
    k += name;
    return k;
}

void presence_tracker::mark(const std::string& key, entry& e) {
    if (e.dirty) return;
    e.dirty = true;
    dirty_.push_back(key);
}

void presence_tracker::add(subject kind, const std::string& name, std::int64_t) {
    auto key = key_of(kind, name);
    auto& e = entries_[key];
    ++e.count;
    mark(key, e);
}

void presence_tracker::remove(subject kind, const std::string& name, std::int64_t now_ms) {
    auto key = key_of(kind, name);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.count == 0) return;
    auto& e = it->second;
    if (--e.count == 0) e.zero_since = now_ms;
    mark(key, e);
}

std::vector<node_count> presence_tracker::take_due(std::int64_t now_ms, std::size_t max) {
    std::vector<node_count> due;
    std::vector<std::string> still;
    for (auto& key : dirty_) {
        if (due.size() >= max) {
            still.push_back(std::move(key));
            continue;
        }
        auto it = entries_.find(key);
        if (it == entries_.end()) continue;
        auto& e = it->second;
        if (e.in_flight || (e.count == 0 && e.reported > 0 && now_ms - e.zero_since < debounce_ms_)) {
            still.push_back(std::move(key));
            continue;
        }
        e.dirty = false;
        if (e.count == e.reported) {
            if (e.count == 0) entries_.erase(it);
            continue;
        }
        e.in_flight = true;
        const subject kind = it->first[0] == 'u' ? subject::user : subject::channel;
        due.push_back({kind, it->first.substr(1), e.count});
    }
    dirty_ = std::move(still);
    return due;
}

void presence_tracker::settle(const node_count& sent, bool ok) {
    auto key = key_of(sent.kind, sent.name);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    auto& e = it->second;
    e.in_flight = false;
    if (ok) e.reported = sent.count;
    if (e.count != e.reported) {
        mark(key, e);
    } else if (e.count == 0 && !e.dirty) {
        entries_.erase(it);
    }
}

void presence_tracker::confirmed(const std::vector<node_count>& sent) {
    for (const auto& s : sent) settle(s, true);
}

void presence_tracker::failed(const std::vector<node_count>& sent) {
    for (const auto& s : sent) settle(s, false);
}

void presence_tracker::report_all() {
    // What the store holds is unknown now: every count, zeros included, differs from it.
    for (auto& [key, e] : entries_) {
        e.reported = unknown;
        mark(key, e);
    }
}

std::uint64_t presence_tracker::count(subject kind, const std::string& name) const {
    auto it = entries_.find(key_of(kind, name));
    return it == entries_.end() ? 0 : it->second.count;
}

std::vector<std::string> presence_tracker::present(subject kind) const {
    const char tag = kind == subject::user ? 'u' : 'c';
    std::vector<std::string> out;
    for (const auto& [key, e] : entries_)
        if (key[0] == tag && e.count > 0) out.push_back(key.substr(1));
    return out;
}

}  // namespace herald::presence
