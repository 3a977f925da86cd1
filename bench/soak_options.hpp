// soak_options: soak_bench's command line: the options with their defaults, the --help text
// (which also documents every output field) and the parser, which exits with status 2 and a
// hint on a usage error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#ifndef HERALD_DEFAULT_BINARY
#define HERALD_DEFAULT_BINARY "herald"
#endif

namespace herald::bench {

struct soak_options {
    std::string herald = HERALD_DEFAULT_BINARY;
    std::size_t connections = 19000;  // subscribers: even-numbered blocks SSE, odd ones WebSocket
    std::size_t channels = 100;
    double rate = 50;                 // publishes per second, round-robin over the channels
    double duration_s = 600;          // of publishing
    double interval_s = 30;           // between progress lines
    double warmup_s = 360;            // RSS "after warm-up" is the first sample at or after this
    std::size_t payload_bytes = 100;
    unsigned threads = 2;
    std::size_t connect_window = 500;
    double connect_timeout_s = 10;
    double drain_idle_s = 5;
    double time_limit_s = 0;          // 0: duration + 300 s
    std::string log_level = "warn";
    std::string server_log;
    std::string channel_prefix = "soak-";
    std::vector<std::string> server_args;
};

soak_options parse_soak_args(int argc, char** argv);

}  // namespace herald::bench
