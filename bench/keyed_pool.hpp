// keyed_pool: keyed_bench's SSE subscribers, each on one channel, in one thread with one epoll
// set: non-blocking connects (a bounded window in flight), then SSE lines parsed as they come.
// Keyed events always arrive in herald's JSON envelope; each one's "published_at" (ms since the
// Unix epoch), "key", "offset" and "data" are read. A fraction of the subscribers read slowly:
// a small SO_RCVBUF and paced reads of a few KB per second, outside the epoll set once live. A
// stream that ends while the run goes on reconnects with its Last-Event-ID, as EventSource does.
// Not thread-safe: one thread calls everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/keyed_options.hpp"
#include "bench/server_process.hpp"

namespace herald::bench {

std::int64_t wall_us();  // CLOCK_REALTIME, µs since the Unix epoch

// Latencies in 100 µs buckets up to 60 s (then the last bucket), with the exact maximum.
struct latency_hist {
    std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(600001, 0);
    std::uint64_t count = 0;
    std::int64_t max_us = 0;
    void add(std::int64_t us);
    double ms(double p) const;  // p in [0, 1]; 0 when empty
};

struct keyed_stats {
    std::size_t ready = 0, failed = 0, in_flight = 0;
    std::map<std::string, std::size_t> failure_reasons;
    std::size_t deliveries_fast = 0, deliveries_slow = 0;
    std::uint64_t bytes_fast = 0, bytes_slow = 0;
    std::size_t eof_fast = 0, eof_slow = 0;  // streams that ended while the run went on
    std::size_t reconnects = 0, closed_on_stop = 0;
    std::size_t unparsed = 0, offset_regressions = 0;
    std::map<std::string, std::size_t> control_events;  // SSE `event:` names
    latency_hist fast_published;  // fast readers: read() wall time - published_at
    latency_hist fast_sent;       // fast readers: read() - the payload's send time "t" (ticker)
    latency_hist slow_age;        // slow readers: read() wall time - published_at, per event
};

class keyed_pool {
public:
    // Subscriber i reads channels[i % channels.size()]; slow_count of them, spread evenly, read slowly.
    keyed_pool(const keyed_options& o, int port, std::vector<std::string> channels, std::size_t subscribers,
               std::size_t slow_count, std::size_t keys);
    ~keyed_pool();
    keyed_pool(const keyed_pool&) = delete;
    keyed_pool& operator=(const keyed_pool&) = delete;

    keyed_stats stats;
    bool stopping = false;  // herald was asked to stop: closed streams are expected, no reconnect

    void connect_all(server_process& srv);
    std::size_t live() const;
    // One epoll_wait, its handling, and the slow readers' paced reads when due.
    void poll(int timeout_ms);
    void close_all();
    // At shutdown: the slow readers go away (closed_on_stop), so herald's drain does not wait on them.
    void close_slow();

    std::size_t size() const { return subs_.size(); }
    std::size_t channel_of(std::size_t i) const { return i % channels_.size(); }
    bool slow(std::size_t i) const { return subs_[i].slow; }
    bool is_live(std::size_t i) const { return subs_[i].st == state::live; }
    // Counter: the newest value seen ("data" of the highest offset), -1 before any.
    std::int64_t value(std::size_t i) const { return subs_[i].value; }
    // Slow readers: for each key, now - published_at of the value held (µs); keys never received
    // are counted in `missing`.
    std::vector<std::uint32_t> held_ages_us(std::int64_t now_wall_us, std::size_t& missing) const;

private:
    enum class state : std::uint8_t { idle, connecting, awaiting_head, awaiting_start, live, failed, closed };

    struct subscriber {
        int fd = -1;
        state st = state::idle;
        bool slow = false;
        bool named_event = false;  // inside an `event:` block (herald.disconnect, herald.reset)
        bool paced = false;        // slow: in slow_live_
        std::int64_t started_ns = 0;
        std::int64_t last_offset = 0;
        std::int64_t value = -1;
        double budget = 0;  // slow: bytes it may read now
        std::string last_id, partial;
        std::vector<std::int64_t> held_ms;  // slow: published_at of the value held per key (0: none)
    };

    void start(std::size_t i);
    void fail(std::size_t i, const std::string& why);
    void ended(std::size_t i, const std::string& why);  // EOF or error: reconnect if live
    void on_event(std::uint32_t i, std::uint32_t events);
    void read_some(std::size_t i, std::size_t max);
    void feed(std::size_t i, const char* p, std::size_t n, std::int64_t now, std::int64_t wall);
    void on_line(std::size_t i, std::string_view line, std::int64_t now, std::int64_t wall);
    void on_data(std::size_t i, std::string_view data, std::int64_t now, std::int64_t wall);
    void become_live(std::size_t i);
    void pace(std::int64_t now);

    const keyed_options& o_;
    int port_;
    int ep_ = -1;
    std::vector<std::string> channels_;
    std::vector<subscriber> subs_;
    std::vector<std::size_t> slow_live_;
    std::int64_t last_pace_ns_ = 0;
    char buf_[256 * 1024];
};

}  // namespace herald::bench
