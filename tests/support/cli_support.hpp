// Helpers for the tests that run the real `herald` binary (tests/integration/cli_*_test.cpp):
// output split into lines or JSON objects, waits on a child's output and on a stream joining the
// server, and a failure description with both streams. Test thread only.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {

inline constexpr auto quick = 10s;  // bound for a command that should finish at once

inline std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1)
        out.push_back(s.substr(start, nl - start));
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
}

inline std::vector<json> json_lines(const std::string& s) {
    std::vector<json> out;
    for (const auto& line : split_lines(s)) out.push_back(parse_json(line));
    return out;
}

inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t p = 0; (p = haystack.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
    return n;
}

// Polls until the child's stdout holds at least n complete lines.
inline bool wait_lines(process& p, std::size_t n, std::chrono::milliseconds timeout = 5s) {
    return eventually([&] { return count_of(p.out(), "\n") >= n; }, timeout);
}

// Polls until the server holds at least n channel subscriptions. A stream is counted as it joins
// the hub, a moment before it takes its starting position, so a tail that must see the next
// event starts with --since earliest on a fresh channel (history then covers any timing).
inline bool wait_subscribed(test_server& srv, double n = 1) {
    return srv.wait_metric("herald_subscriptions", [n](double v) { return v >= n; });
}

inline std::vector<std::string> datas(const sse_client& s) {
    std::vector<std::string> out;
    for (const auto& e : s.events()) out.push_back(e.data);
    return out;
}

// Ports out of serve's start-up hints ("publish: curl ... http://127.0.0.1:PORT/v1/publish",
// "subscribe: curl -N 'http://127.0.0.1:PORT/v1/sse..."); 0 when absent.
inline unsigned short internal_port_from_log(const std::string& log) {
    std::smatch m;
    if (!std::regex_search(log, m, std::regex("publish: curl .* http://127\\.0\\.0\\.1:(\\d+)/v1/publish"))) return 0;
    return static_cast<unsigned short>(std::stoul(m[1]));
}

inline unsigned short public_port_from_log(const std::string& log) {
    std::smatch m;
    if (!std::regex_search(log, m, std::regex("subscribe: curl -N 'http://127\\.0\\.0\\.1:(\\d+)/v1/sse"))) return 0;
    return static_cast<unsigned short>(std::stoul(m[1]));
}

inline std::string describe(const process_result& r) {
    return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) +
           (r.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" + r.out + "--- stderr:\n" + r.err;
}

}  // namespace herald::test
