// Runs work on a given shard (one I/O thread per shard in the server; inline or a test loop in tests).
// Contract: post() and post_after() may be called from any thread and never block; work posted to
// one shard runs in the order posted, one item at a time. post_after() runs its work on the shard
// once `delay_ms` have passed (the Hub's conflation windows); work still waiting when the shard
// stops never runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace herald::channels {

class shard_executor {
public:
    virtual ~shard_executor() = default;
    virtual std::size_t shard_count() const = 0;
    virtual void post(std::size_t shard, std::function<void()> work) = 0;
    virtual void post_after(std::size_t shard, std::int64_t delay_ms, std::function<void()> work) = 0;
};

}  // namespace herald::channels
