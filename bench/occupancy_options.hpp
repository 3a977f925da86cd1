// occupancy_options: occupancy_bench's command line: the churn shape with the defaults of issue 15
// (10,000 SSE subscribers on one channel, 50 out and 50+1 in every 100 ms for 20 s), the --help
// text (which also documents every output field) and the parser, which exits with status 2 and a
// hint on a usage error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#ifndef HERALD_DEFAULT_BINARY
#define HERALD_DEFAULT_BINARY "herald"
#endif

namespace herald::bench {

struct occupancy_options {
    std::string herald = HERALD_DEFAULT_BINARY;
    bool occupancy = true;           // the channel's policy has "occupancy": true
    double interval_ms = 1000;       // presence.occupancy_interval (--occupancy-interval)
    std::size_t subscribers = 10000;
    double duration_s = 20;          // of churn
    double step_ms = 100;            // one churn step every this long
    std::size_t churn = 50;          // K: closed and opened at every step
    std::size_t drift = 1;           // opened beyond K at every step, so the count keeps moving
    std::string channel = "live:bench";
    unsigned threads = 2;
    std::size_t connect_window = 500;
    double connect_timeout_s = 10;
    double settle_s = 3;             // after connecting, before the churn window
    double drain_s = 3;              // after the last step, keep reading this long
    double time_limit_s = 0;         // 0: duration + 180 s
    std::string log_level = "warn";
    std::string server_log;
    std::vector<std::string> server_args;
};

occupancy_options parse_occupancy_args(int argc, char** argv);

}  // namespace herald::bench
