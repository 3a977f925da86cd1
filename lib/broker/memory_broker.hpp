// Single-node broker: history rings and idempotency keys in memory, handler called inline.
// Thread-safe: a map lock to find a channel, then that channel's own lock for the publish step.
// The epoch is drawn at random when the broker starts, so a restart is visible to resuming clients.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "lib/broker/broker.hpp"
#include "lib/history/history_ring.hpp"
#include "lib/util/clock.hpp"

namespace herald::broker {

struct memory_broker_options {
    std::size_t history_size = 100;
    std::int64_t history_ttl_ms = 10 * 60 * 1000;
    std::int64_t idempotency_window_ms = 5 * 60 * 1000;
    std::size_t idempotency_keys_per_channel = 1000;
    std::size_t max_channels = 100000;
};

class memory_broker final : public broker {
public:
    memory_broker(const util::clock& clock, memory_broker_options opts);
    ~memory_broker() override;

    void set_handler(broker_handler* handler) override { handler_ = handler; }
    void publish(model::publish_request req, publish_callback done) override;
    void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
              read_callback done) override;
    void info(const std::string& channel, info_callback done) override;
    void list_channels(const std::string& prefix, const std::string& after, std::size_t limit,
                       list_callback done) override;
    broker_stats stats() const override;
    std::string kind() const override { return "memory"; }
    const std::string& epoch() const { return epoch_; }

private:
    struct channel_state;
    channel_state* find(const std::string& channel) const;
    channel_state* find_or_create(const std::string& channel);
    channel_info describe(const std::string& name, channel_state& ch) const;  // takes ch's lock

    const util::clock& clock_;
    memory_broker_options opts_;
    std::string epoch_;
    broker_handler* handler_ = nullptr;
    mutable std::shared_mutex map_mutex_;
    std::unordered_map<std::string, std::unique_ptr<channel_state>> channels_;
};

}  // namespace herald::broker
