// soak_pool: soak_bench's subscribers, spread over C channels, in one thread with one epoll set:
// non-blocking connects (a bounded window in flight), the SSE request or the RFC 6455 upgrade,
// then SSE lines or WebSocket frames parsed as they come (server pings answered with masked
// pongs). Every event carries its channel's sequence number "s"; each subscriber checks that it
// gets 0, 1, 2, ... of its own channel, and counts skipped sequence numbers (gaps), repeated ones
// (duplicates) and, after the drain, the ones that never came. Not thread-safe: one thread calls
// everything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/server_process.hpp"
#include "bench/soak_options.hpp"

namespace herald::bench {

struct soak_stats {
    std::size_t ready = 0, failed = 0, in_flight = 0;
    std::map<std::string, std::size_t> failure_reasons;  // connect failures and streams that ended
    std::size_t deliveries = 0, deliveries_sse = 0, deliveries_ws = 0;
    std::size_t gaps = 0;        // sequence numbers skipped inside a stream
    std::size_t duplicates = 0;  // a sequence number at or below the last one seen
    std::size_t wrong_channel = 0, unparsed = 0, early_data = 0;
    std::size_t closed_while_live = 0, closed_on_stop = 0;
    std::map<std::string, std::size_t> control_events;  // SSE `event:` names, WebSocket ops other than event
    std::map<std::string, std::size_t> ws_close_codes;
    std::size_t ws_pings = 0, ws_pongs_sent = 0, sse_comments = 0;
    std::string control_sample;
    // Latency histogram, payload send time -> read(), 100 µs buckets up to 10 s, then overflow.
    static constexpr std::size_t latency_buckets = 100001;
    std::vector<std::uint64_t> latency_hist = std::vector<std::uint64_t>(latency_buckets, 0);
    std::int64_t max_latency_ns = 0;
    double latency_ms(double p) const;  // p in [0, 1]
};

// What the per-subscriber check found once publishing and the drain are over.
struct soak_verdict {
    std::size_t lost_at_end = 0;  // events published on the channel after the subscriber's last one
    std::size_t subscribers_with_loss = 0, subscribers_with_duplicates = 0;
    std::size_t live_sse = 0, live_ws = 0;
    std::vector<std::string> samples;  // a few subscribers with problems, described
};

class soak_pool {
public:
    soak_pool(const soak_options& o, int port);
    ~soak_pool();
    soak_pool(const soak_pool&) = delete;
    soak_pool& operator=(const soak_pool&) = delete;

    soak_stats stats;
    bool stopping = false;  // herald was asked to stop: closed streams are expected

    // Opens all subscribers, at most connect_window at once; returns when each is live or failed
    // (or the server died, or the run expired).
    void connect_all(server_process& srv);
    std::size_t live() const { return stats.ready - stats.closed_while_live; }
    // Live subscribers per channel (index = channel number).
    std::vector<std::size_t> live_per_channel() const;
    // Expected deliveries: for each subscriber live when publishing started (marked with
    // mark_start), the events published on its channel.
    void mark_start();
    std::size_t expected(const std::vector<std::uint32_t>& published) const;
    // One epoll_wait and the handling of what it returned.
    void poll(int timeout_ms);
    soak_verdict verdict(const std::vector<std::uint32_t>& published) const;
    void close_all();

    std::size_t channel_of(std::size_t i) const { return i % o_.channels; }
    bool ws_at(std::size_t i) const { return (i / o_.channels) % 2 == 1; }

private:
    enum class state : std::uint8_t { idle, connecting, awaiting_head, awaiting_start, live, failed, closed };

    struct subscriber {
        int fd = -1;
        state st = state::idle;
        bool ws = false;
        bool named_event = false;  // SSE: inside an `event:` block, not a delivery
        bool counted = false;      // live when publishing started
        std::int32_t last_seq = -1;
        std::uint32_t received = 0, gaps = 0, duplicates = 0;
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
    bool on_frame(std::size_t i, std::uint8_t opcode, bool fin, std::string_view payload, std::int64_t now);
    void on_data(std::size_t i, std::string_view data, std::int64_t now);
    void become_live(std::size_t i);
    void control(std::string name, std::string_view sample);

    const soak_options& o_;
    int port_;
    int ep_ = -1;
    std::vector<subscriber> subs_;
    std::vector<std::string> sse_requests_;  // per channel
    char buf_[256 * 1024];
};

}  // namespace herald::bench
