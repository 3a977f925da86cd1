// subscriber_pool: the benchmark's N subscribers on one channel, in one thread with one epoll
// set: non-blocking connects (a bounded window in flight), the SSE request or the RFC 6455
// upgrade per subscriber, then SSE lines or WebSocket frames parsed as they come (server pings
// answered with masked pongs). Each event's "i" and "t" give order and latency, counted
// identically for both transports. Not thread-safe: one thread calls everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/server_process.hpp"

namespace herald::bench {

struct run_stats {
    std::size_t ready = 0, failed = 0, in_flight = 0;
    std::map<std::string, std::size_t> failure_reasons;
    std::size_t deliveries = 0, duplicates = 0, out_of_order = 0, unparsed = 0, early_data = 0, control_events = 0;
    std::size_t deliveries_sse = 0, deliveries_ws = 0;
    std::size_t closed_while_live = 0, closed_on_stop = 0, disconnect_events = 0;
    std::size_t closed_by_client = 0;  // live streams the bench itself closed (close_one)
    std::size_t ws_pings = 0, ws_pongs_sent = 0, ws_other_messages = 0;
    std::map<std::string, std::size_t> ws_close_codes;
    std::string ws_other_sample;
    std::int64_t last_delivery_ns = 0;
    std::vector<std::uint32_t> latencies_us;
    std::vector<std::uint32_t> event_count;
    std::vector<std::int64_t> event_max_ns;
};

class subscriber_pool {
public:
    // `capacity` slots (at least o.subscribers); connect_all opens the first o.subscribers, the
    // others are for open_one.
    subscriber_pool(const options& o, int port, std::size_t capacity = 0);
    ~subscriber_pool();
    subscriber_pool(const subscriber_pool&) = delete;
    subscriber_pool& operator=(const subscriber_pool&) = delete;

    run_stats stats;
    bool stopping = false;  // herald was asked to stop: closed streams are expected

    // Opens all subscribers, at most connect_window at once; returns when each is live or failed
    // (or the server died, or the run expired).
    void connect_all(server_process& srv);
    std::size_t live() const { return stats.ready - stats.closed_while_live - stats.closed_by_client; }
    std::size_t capacity() const { return subs_.size(); }
    bool is_live(std::size_t i) const { return subs_[i].st == state::live; }
    bool is_idle(std::size_t i) const { return subs_[i].fd < 0 && subs_[i].st != state::connecting; }
    // Churn: closes live subscriber i from the client side (counted in closed_by_client) or starts
    // a fresh connection in an idle slot i (any earlier subscriber's state forgotten).
    void close_one(std::size_t i);
    void open_one(std::size_t i);
    // SSE: the data lines of events named `watched_event` go to on_watched (herald.disconnect and
    // herald.reset stay counted in control_events as before).
    std::string watched_event;
    std::function<void(std::size_t i, std::string_view data, std::int64_t now)> on_watched;
    // Called when subscriber i's stream starts (its `id:` line or the WebSocket `subscribed`).
    std::function<void(std::size_t i, std::int64_t now)> on_live;
    // One epoll_wait and the handling of what it returned.
    void poll(int timeout_ms);
    void close_all();

private:
    enum class state : std::uint8_t { idle, connecting, awaiting_head, awaiting_start, live, failed, closed };

    struct subscriber {
        int fd = -1;
        state st = state::idle;
        bool ws = false;
        bool named_event = false;  // SSE: inside an `event:` block (herald.reset/disconnect), not a delivery
        bool watched = false;      // SSE: inside a block named watched_event
        std::int32_t last_index = -1;
        std::uint32_t received = 0;
        std::int64_t started_ns = 0;
        std::string partial;  // head bytes, then an incomplete SSE line or WebSocket frame
        std::string ws_key;   // until the 101 is checked
    };

    void start(std::size_t i);
    void fail(std::size_t i, const std::string& why);
    void on_event(std::uint32_t i, std::uint32_t events);
    void send_request(std::size_t i);
    void feed(std::size_t i, const char* p, std::size_t n, std::int64_t now);
    void feed_lines(std::size_t i, const char* p, std::size_t n, std::int64_t now);
    void feed_frames(std::size_t i, const char* p, std::size_t n, std::int64_t now);
    void on_line(std::size_t i, std::string_view line, std::int64_t now);
    // False when the subscriber was failed (its buffers are gone).
    bool on_frame(std::size_t i, std::uint8_t opcode, bool fin, std::string_view payload, std::int64_t now);
    void on_data(std::size_t i, std::string_view data, std::int64_t now);
    void become_live(std::size_t i);

    const options& o_;
    int port_;
    int ep_ = -1;
    std::vector<subscriber> subs_;
    std::string sse_request_;
    std::string ws_target_;
    char buf_[256 * 1024];
};

}  // namespace herald::bench
