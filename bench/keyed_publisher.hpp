// keyed_publisher: keyed_bench's event source, one thread with one keep-alive connection to the
// internal listener, POST /v1/publish {"events":[...]} batches at a steady pace. Ticker: every
// key of one channel updated round-robin, each data {"p":PRICE,"t":SEND_NS} (CLOCK_MONOTONIC).
// Counter: {"key":"n","incr":1} to channels drawn at random; the increments each channel
// acknowledged are counted, for the subscribers' final values to be checked against.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/keyed_options.hpp"

namespace herald::bench {

struct keyed_publish_result {
    std::size_t requests = 0, published = 0, errors = 0;
    std::size_t unknown = 0;  // items of requests without a reply: their fate is unknown
    std::map<std::string, std::size_t> error_samples;
    std::int64_t first_send_ns = 0, last_reply_ns = 0;
    std::vector<std::uint32_t> rtt_us;
    std::vector<std::uint64_t> acked;  // counter: increments acknowledged per channel
};

// Publishes for o.duration_s (stops early when the run expires), then sets `done`.
void run_keyed_publisher(const keyed_options& o, int port, keyed_publish_result& res, std::atomic<bool>& done);

}  // namespace herald::bench
