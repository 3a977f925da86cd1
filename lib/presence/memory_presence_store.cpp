// One node's presence store: see memory_presence_store.hpp.
#include "lib/presence/memory_presence_store.hpp"

namespace herald::presence {

memory_presence_store::memory_presence_store(std::string node_id) : node_id_(std::move(node_id)) {}

void memory_presence_store::apply(std::vector<node_count> counts, changes_callback done) {
    std::vector<presence_change> changes;
    for (auto& c : counts) {
        auto& m = sums(c.kind);
        auto it = m.find(c.name);
        const std::uint64_t before = it == m.end() ? 0 : it->second;
        if (const auto t = transition(c.kind, before, c.count)) changes.push_back({*t, c.name, ++position_});
        if (c.count == 0) {
            if (it != m.end()) m.erase(it);
        } else if (it != m.end()) {
            it->second = c.count;
        } else {
            m.emplace(std::move(c.name), c.count);
        }
    }
    done(std::move(changes));
}

void memory_presence_store::heartbeat(std::int64_t, done_callback done) { done(true); }

void memory_presence_store::sweep(changes_callback done) { done(std::vector<presence_change>{}); }

void memory_presence_store::page(subject kind, const std::string& after, std::size_t limit, page_callback done) {
    presence_page p;
    p.position = position_;
    const auto& m = sums(kind);
    for (auto it = m.upper_bound(after); it != m.end(); ++it) {
        if (p.entries.size() == limit) {
            p.more = true;
            break;
        }
        p.entries.push_back({it->first, it->second});
    }
    done(std::move(p));
}

void memory_presence_store::totals(subject kind, std::vector<std::string> names, totals_callback done) {
    std::vector<std::uint64_t> out;
    out.reserve(names.size());
    const auto& m = sums(kind);
    for (const auto& n : names) {
        auto it = m.find(n);
        out.push_back(it == m.end() ? 0 : it->second);
    }
    done(std::move(out));
}

void memory_presence_store::retire(std::int64_t, done_callback done) { done(true); }

}  // namespace herald::presence
