// Broker conformance helpers: a factory per broker kind (memory; Redis on a test redis-server with a
// fresh key prefix per broker), a recording handler that waits for deliveries, and blocking
// wrappers over the callback API that work whether a broker calls back inline or on its own thread.
// Keyed channels: limits::keyed_prefix makes the channels it starts keyed (by a limits_for policy),
// and set/incr/remove build the keyed publishes.
// Call the blocking wrappers from the test thread only, never from a broker callback.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/broker/broker.hpp"
#include "lib/broker/memory_broker.hpp"
#include "lib/broker/redis_broker.hpp"
#include "tests/support/redis_server.hpp"

namespace herald::broker::conformance {

using namespace std::chrono_literals;

struct limits {
    std::size_t history_size = 100;
    std::int64_t history_ttl_ms = 10 * 60 * 1000;
    std::int64_t idempotency_window_ms = 5 * 60 * 1000;
    std::size_t history_max_bytes = 1 << 20;
    std::string keyed_prefix;  // non-empty: channels starting with it are keyed, with max_keys
    std::size_t max_keys = 0;
};

// The limits_for policy `l` asks for: keyed channels by prefix, the history limits for all; none
// when no channel is keyed.
inline channel_limits_fn limits_for(const limits& l) {
    if (l.keyed_prefix.empty()) return nullptr;
    return [l](const std::string& channel) {
        channel_limits c{l.history_size, l.history_ttl_ms, l.history_max_bytes};
        c.keyed = channel.rfind(l.keyed_prefix, 0) == 0;
        c.max_keys = c.keyed ? l.max_keys : 0;
        return c;
    };
}

class recording_handler final : public broker_handler {
public:
    void on_event(const model::event_ptr& ev) override {
        std::lock_guard lock(mutex_);
        auto& last = last_[ev->channel];
        if (ev->offset != last + 1) ++gaps_;
        last = ev->offset;
        events_.push_back(ev);
        cv_.notify_all();
    }
    std::vector<model::event_ptr> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t gaps() const {
        std::lock_guard lock(mutex_);
        return gaps_;
    }
    // Waits until at least n events arrived; the events then.
    std::vector<model::event_ptr> wait_for(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
        return events_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<model::event_ptr> events_;
    std::map<std::string, std::uint64_t> last_;
    std::size_t gaps_ = 0;  // an event whose offset did not follow the channel's previous one
};

template <typename T>
model::result<T> await(std::future<model::result<T>> f, const char* what) {
    if (f.wait_for(10s) != std::future_status::ready) {
        ADD_FAILURE() << what << " did not call back within 10 s";
        return model::errors::internal(std::string(what) + ": no callback");
    }
    return f.get();
}

inline model::result<model::publish_result> publish(broker& b, model::publish_request req) {
    auto p = std::make_shared<std::promise<model::result<model::publish_result>>>();
    auto f = p->get_future();
    b.publish(std::move(req), [p](model::result<model::publish_result> r) { p->set_value(std::move(r)); });
    return await(std::move(f), "publish");
}

inline model::result<channel_history> read_result(broker& b, const std::string& channel,
                                                  std::optional<std::uint64_t> after, std::size_t limit = 1000) {
    auto p = std::make_shared<std::promise<model::result<channel_history>>>();
    auto f = p->get_future();
    b.read(channel, after, limit, [p](model::result<channel_history> r) { p->set_value(std::move(r)); });
    return await(std::move(f), "read");
}

inline channel_history read(broker& b, const std::string& channel, std::optional<std::uint64_t> after,
                            std::size_t limit = 1000) {
    auto r = read_result(b, channel, after, limit);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return r.ok() ? r.value() : channel_history{};
}

inline model::result<channel_history> read_latest_result(broker& b, const std::string& channel) {
    auto p = std::make_shared<std::promise<model::result<channel_history>>>();
    auto f = p->get_future();
    b.read_latest(channel, [p](model::result<channel_history> r) { p->set_value(std::move(r)); });
    return await(std::move(f), "read_latest");
}

inline channel_history read_latest(broker& b, const std::string& channel) {
    auto r = read_latest_result(b, channel);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return r.ok() ? r.value() : channel_history{};
}

inline model::result<std::optional<channel_info>> info_result(broker& b, const std::string& channel) {
    auto p = std::make_shared<std::promise<model::result<std::optional<channel_info>>>>();
    auto f = p->get_future();
    b.info(channel, [p](model::result<std::optional<channel_info>> r) { p->set_value(std::move(r)); });
    return await(std::move(f), "info");
}

inline model::result<std::vector<channel_info>> list_result(broker& b, const std::string& prefix,
                                                            const std::string& after, std::size_t limit) {
    auto p = std::make_shared<std::promise<model::result<std::vector<channel_info>>>>();
    auto f = p->get_future();
    b.list_channels(prefix, after, limit, [p](model::result<std::vector<channel_info>> r) { p->set_value(std::move(r)); });
    return await(std::move(f), "list_channels");
}

inline model::publish_request request(std::string channel, std::string data = "x", std::string key = "") {
    model::publish_request r;
    r.channel = std::move(channel);
    r.data = std::move(data);
    r.kind = model::data_kind::text;
    r.idempotency_key = std::move(key);
    return r;
}

// A keyed publish: `key` of `channel` set to the JSON `data`.
inline model::publish_request set_key(std::string channel, std::string key, std::string data,
                                  model::data_kind kind = model::data_kind::json) {
    model::publish_request r;
    r.channel = std::move(channel);
    r.key = std::move(key);
    r.data = std::move(data);
    r.kind = kind;
    r.op = model::key_op::set;
    return r;
}

inline model::publish_request incr_key(std::string channel, std::string key, std::int64_t by) {
    model::publish_request r;
    r.channel = std::move(channel);
    r.key = std::move(key);
    r.op = model::key_op::incr;
    r.incr = by;
    return r;
}

inline model::publish_request remove_key(std::string channel, std::string key) {
    model::publish_request r;
    r.channel = std::move(channel);
    r.key = std::move(key);
    r.op = model::key_op::remove;
    return r;
}

inline std::vector<std::uint64_t> offsets(const std::vector<model::event_ptr>& evs) {
    std::vector<std::uint64_t> out;
    for (const auto& e : evs) out.push_back(e->offset);
    return out;
}

// One shared redis-server for the whole test binary, started on first use.
inline test::redis_server* shared_redis() {
    static std::unique_ptr<test::redis_server> server = [] {
        if (!test::redis_server::available()) return std::unique_ptr<test::redis_server>();
        auto s = std::make_unique<test::redis_server>();
        if (!s->start()) return std::unique_ptr<test::redis_server>();
        return s;
    }();
    return server.get();
}

// A key prefix no other broker of this process uses (test isolation on one Redis).
inline std::string fresh_prefix() {
    static std::atomic<int> n{0};
    return "t" + std::to_string(::getpid()) + "." + std::to_string(++n) + ":";
}

class broker_factory {
public:
    virtual ~broker_factory() = default;
    // Why this kind cannot run here (GTEST_SKIP with it), or nullopt.
    virtual std::optional<std::string> unavailable() = 0;
    virtual std::unique_ptr<broker> make(const util::clock& clock, const limits& l) = 0;
};

class memory_factory final : public broker_factory {
public:
    std::optional<std::string> unavailable() override { return std::nullopt; }
    std::unique_ptr<broker> make(const util::clock& clock, const limits& l) override {
        memory_broker_options o;
        o.history_size = l.history_size;
        o.history_ttl_ms = l.history_ttl_ms;
        o.idempotency_window_ms = l.idempotency_window_ms;
        o.history_max_bytes = l.history_max_bytes;
        o.limits_for = limits_for(l);
        return std::make_unique<memory_broker>(clock, o);
    }
};

class redis_factory final : public broker_factory {
public:
    std::optional<std::string> unavailable() override {
        if (!test::redis_server::available()) return test::redis_server::skip_reason();
        if (!shared_redis()) return std::string("redis-server is installed but did not start");
        return std::nullopt;
    }
    std::unique_ptr<broker> make(const util::clock& clock, const limits& l) override {
        redis_broker_options o;
        o.history_size = l.history_size;
        o.history_ttl_ms = l.history_ttl_ms;
        o.idempotency_window_ms = l.idempotency_window_ms;
        o.history_max_bytes = l.history_max_bytes;
        o.limits_for = limits_for(l);
        o.key_prefix = fresh_prefix();
        auto b = redis_broker::open(shared_redis()->url(), clock, o);
        if (!b) {
            ADD_FAILURE() << b.err().message;
            return nullptr;
        }
        return std::move(b.value());
    }
};

inline std::unique_ptr<broker_factory> factory_for(const std::string& kind) {
    if (kind == "redis") return std::make_unique<redis_factory>();
    return std::make_unique<memory_factory>();
}

}  // namespace herald::broker::conformance
