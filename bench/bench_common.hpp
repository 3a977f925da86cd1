// bench_common: what every part of fanout_bench shares: the monotonic and CPU clocks, the
// run's deadline (time limit or Ctrl-C), blocking loopback sockets with a minimal HTTP/1.1
// client for /healthz, /metrics and publishing, and the small statistics used in the report.
// Single-threaded helpers except the deadline flags, which the publisher thread also reads.
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace herald::bench {

std::int64_t now_ns();         // CLOCK_MONOTONIC
std::int64_t thread_cpu_ns();  // CPU time of the calling thread
double self_cpu_us();          // utime + stime of this process

// The run ends when the time limit passes or on SIGINT/SIGTERM.
extern std::atomic<bool> g_interrupted;
extern std::atomic<std::int64_t> g_deadline_ns;
extern pid_t g_server_pid;     // killed if the run ends by an exception
extern pid_t g_publisher_pid;  // the second node of a --redis run, likewise
bool expired();
// A bench tool's main body: SIGPIPE ignored, SIGINT/SIGTERM set g_interrupted; an exception is
// printed as "<tool>: <what>", the processes above are killed, and the status is 1.
int run_tool(const char* tool, const std::function<int()>& body);

std::string errno_name(int e);
sockaddr_in loopback(int port);
// Two distinct free loopback ports (bound together so they differ; released before use).
std::pair<int, int> free_ports();
// A blocking TCP_NODELAY connection with send/receive timeouts; -1 on failure.
int connect_blocking(int port, double timeout_s);
bool send_all(int fd, std::string_view s);
// Reads one HTTP/1.1 response with Content-Length (herald always sends one). `carry` keeps
// bytes read past the response. Returns the status (0 on failure) and fills `body`.
int read_response(int fd, std::string& carry, std::string& body);
// One GET with Connection: close. Returns the status (0 on failure).
int http_get(int port, const std::string& path, std::string& body, double timeout_s = 5);

// p in [0, 1]; reorders v. 0 for an empty vector.
double percentile(std::vector<std::uint32_t>& v, double p);
double round3(double x);

}  // namespace herald::bench
