// publish_bench_options: publish_bench's command line: the options with their defaults, the
// --help text (which also documents every output field) and the parser, which exits with
// status 2 and a hint on a usage error.
#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

#ifndef HERALD_DEFAULT_BINARY
#define HERALD_DEFAULT_BINARY "herald"
#endif

namespace herald::bench {

// Which publish request herald gets: the raw body route (the same request shape as Nchan's
// publisher location) or the JSON one.
enum class publish_api { raw, json };

struct publish_options {
    std::string herald = HERALD_DEFAULT_BINARY;
    // External server: POST to this URL (http://HOST:PORT/PATH) instead of starting herald.
    std::string url;
    std::vector<pid_t> server_pids;  // external server: whose /proc CPU is the server's
    publish_api api = publish_api::raw;
    std::size_t connections = 32;
    std::size_t channels = 1;  // connection i publishes to channel i mod C
    std::string channel = "bench";
    double duration_s = 10;
    std::size_t count = 0;  // > 0: stop after this many publishes instead of after duration_s
    double warmup_s = 1;
    std::size_t payload_bytes = 100;
    unsigned threads = 2;
    double time_limit_s = 300;
    std::string log_level = "warn";
    std::string server_log;
    std::vector<std::string> server_args;
    std::string label;
};

publish_options parse_publish_args(int argc, char** argv);

}  // namespace herald::bench
