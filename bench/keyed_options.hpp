// keyed_options: keyed_bench's command line: the two scenarios (ticker, counter), their shape with
// the defaults of issue 13, the --help text (which also documents every output field) and the
// parser, which exits with status 2 and a hint on a usage error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#ifndef HERALD_DEFAULT_BINARY
#define HERALD_DEFAULT_BINARY "herald"
#endif

namespace herald::bench {

struct keyed_options {
    std::string herald = HERALD_DEFAULT_BINARY;
    std::string scenario = "ticker";  // ticker | counter
    bool conflate = true;             // ticker: the channel's policy conflates (and keeps slow readers)
    std::string conflate_window = "100ms";
    double duration_s = 20;           // of publishing
    std::size_t subscribers = 0;      // 0: 5000 (ticker) or one per channel (counter)
    // Ticker: keys x updates per key per second on one channel, published in batches.
    std::size_t keys = 500;
    double updates_per_key = 20;
    double batches_per_s = 50;
    double slow_fraction = 0.1;       // of the subscribers, read slowly
    double slow_bytes_per_s = 4096;   // what one slow reader reads per second
    int slow_rcvbuf = 4096;           // SO_RCVBUF of a slow reader's socket
    // Counter: C channels user:0..C-1, one key each, increments per second spread at random.
    std::size_t channels = 10000;
    double incr_rate = 2000;
    unsigned threads = 2;
    std::size_t connect_window = 500;
    double connect_timeout_s = 10;
    double drain_s = 3;               // after the last publish, keep reading this long
    double time_limit_s = 0;          // 0: duration + 120 s
    std::string log_level = "warn";
    std::string server_log;
    std::vector<std::string> server_args;
};

keyed_options parse_keyed_args(int argc, char** argv);

}  // namespace herald::bench
