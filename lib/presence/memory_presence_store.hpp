// The presence store of one node (the memory broker): the node's counts are the sums. Every call
// answers inline, on the caller's thread; heartbeat, sweep and retire have nothing to do (there is
// no other node). Not thread-safe: the presence service calls it from its one thread.
#pragma once

#include <map>

#include "lib/presence/presence_store.hpp"

namespace herald::presence {

class memory_presence_store final : public presence_store {
public:
    explicit memory_presence_store(std::string node_id);

    void apply(std::vector<node_count> counts, changes_callback done) override;
    void heartbeat(std::int64_t ttl_ms, done_callback done) override;
    void sweep(changes_callback done) override;
    void page(subject kind, const std::string& after, std::size_t limit, page_callback done) override;
    void totals(subject kind, std::vector<std::string> names, totals_callback done) override;
    void retire(std::int64_t linger_ms, done_callback done) override;
    const std::string& node_id() const override { return node_id_; }

private:
    std::map<std::string, std::uint64_t>& sums(subject kind) { return kind == subject::user ? users_ : channels_; }

    std::string node_id_;
    std::map<std::string, std::uint64_t> users_, channels_;  // sums above 0 only, by name
    std::uint64_t position_ = 0;
};

}  // namespace herald::presence
