// Runs work on a given shard (one I/O thread per shard in the server; inline or a test loop in tests).
// Contract: post() may be called from any thread and never blocks; work posted to one shard runs
// in the order posted, one item at a time.
#pragma once

#include <cstddef>
#include <functional>

namespace herald::channels {

class shard_executor {
public:
    virtual ~shard_executor() = default;
    virtual std::size_t shard_count() const = 0;
    virtual void post(std::size_t shard, std::function<void()> work) = 0;
};

}  // namespace herald::channels
