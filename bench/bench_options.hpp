// bench_options: fanout_bench's command line: the options with their defaults, the --help
// text (which also documents every output field) and the parser, which exits with status 2
// and a hint on a usage error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#ifndef HERALD_DEFAULT_BINARY
#define HERALD_DEFAULT_BINARY "herald"
#endif

namespace herald::bench {

// How subscribers connect: all over SSE, all over WebSocket, or alternating (even SSE, odd WS).
enum class transport { sse, ws, mix };
const char* transport_name(transport t);

struct options {
    std::string herald = HERALD_DEFAULT_BINARY;
    transport kind = transport::sse;
    std::size_t subscribers = 10000;
    std::size_t events = 200;
    double rate = 0;
    unsigned threads = 2;
    std::size_t connect_window = 500;
    double time_limit_s = 120;
    double drain_idle_s = 5;
    double connect_timeout_s = 10;
    std::size_t payload_bytes = 100;
    std::size_t raw_sockets = 1000;
    std::size_t raw_writes = 8000;
    std::string log_level = "warn";
    std::string server_log;
    std::string channel = "bench";
    std::vector<std::string> server_args;
    // Two nodes on this Redis: the measured herald (subscribers) and a second one that takes the
    // publishes, so every event crosses Redis. Empty: one herald, in-memory broker.
    std::string redis;
};

options parse_args(int argc, char** argv);

}  // namespace herald::bench
