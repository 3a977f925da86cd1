// server_process: the herald under test, as a child process: started with `herald serve` on
// the given loopback ports (stdout/stderr to the server log), watched with waitpid, and read
// from /proc for CPU time and RSS; plus parsers for its /metrics text and its log, which the
// report includes so a surprising figure can be explained from the same run.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>

#include "bench/bench_options.hpp"

namespace herald::bench {

struct server_process {
    pid_t pid = -1;
    bool exited = false;
    int status = 0;

    bool alive();                  // reaps the child when it has exited
    std::string describe() const;  // "running", "exit N" or "signal NAME"
};

// Forks and execs `herald serve`; raises --max-connections when max_conns is over its default.
server_process spawn_herald(const options& o, int public_port, int internal_port, std::size_t max_conns);

long read_rss_kib(pid_t pid);   // VmRSS, -1 when unknown
double read_cpu_us(pid_t pid);  // utime + stime, -1 when unknown

// Prometheus text to {"name_without_herald_prefix": value}.
nlohmann::ordered_json parse_metrics(const std::string& text);
// Line, warning and error counts of the server log, with up to 5 sample lines.
nlohmann::ordered_json server_log_summary(const std::string& path);

}  // namespace herald::bench
