// publisher: the benchmark's event source. One thread, one keep-alive connection to the
// internal listener, POST /v1/channels/NAME/events with a JSON body {"i":INDEX,"t":SEND_NS,
// "pad":"xx.."} of --payload-bytes, flat out or paced at --rate; subscribers compute latency
// from "t" (CLOCK_MONOTONIC, same box) and order from "i".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"

namespace herald::bench {

struct publisher_result {
    std::size_t published = 0, errors = 0;
    std::map<std::string, std::size_t> error_samples;
    std::int64_t first_send_ns = 0, last_reply_ns = 0;
    std::vector<std::uint32_t> rtt_us;
};

// Publishes o.events events (stops early when the run expires), then sets `done`.
void run_publisher(const options& o, int port, publisher_result& res, std::atomic<bool>& done);

}  // namespace herald::bench
