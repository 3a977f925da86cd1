// fanout_bench: spawns the real `herald serve`, opens N subscribers (SSE, WebSocket or both) on
// one channel from a single-threaded epoll client, publishes M timestamped events over the
// internal API and prints one JSON line: deliveries/s, latency, server CPU per delivery, server
// RSS per idle connection, and the raw loopback write() floor measured in the same run (so
// figures compare as ratios). This file runs the phases and writes the report; see bench/README.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/bench_options.hpp"
#include "bench/publisher.hpp"
#include "bench/raw_write_floor.hpp"
#include "bench/server_process.hpp"
#include "bench/subscriber_pool.hpp"

namespace herald::bench {
namespace {

using ojson = nlohmann::ordered_json;

// Raises the soft open-file limit to the hard one; returns the soft limit now in force.
rlim_t raise_open_files() {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

int run(const options& o) {
    g_deadline_ns = now_ns() + std::int64_t(o.time_limit_s * 1e9);
    ojson out;
    bool ok = true;
    std::vector<std::string> problems;

    // File descriptors: the subscribers live in this process; herald has its own limit
    // (it inherits this raised one).
    rlim_t open_files = raise_open_files();
    if (o.subscribers + 64 > open_files) {
        std::cerr << "fanout_bench: " << o.subscribers << " subscribers need more open files than the limit of "
                  << open_files << " (keep it at most " << (open_files > 64 ? open_files - 64 : 0) << ")\n";
        return 2;
    }
    if (access(o.herald.c_str(), X_OK) != 0) {
        std::cerr << "fanout_bench: herald binary '" << o.herald << "' is not executable (use --herald PATH)\n";
        return 2;
    }

    // The floor first, before herald runs, so nothing competes with it.
    std::size_t raw_sockets = std::min<std::size_t>(o.raw_sockets, (open_files - 64) / 2);
    double raw_us = raw_write_floor(raw_sockets, o.raw_writes);

    auto [public_port, internal_port] = free_ports();
    options node_opts = o;
    if (!o.redis.empty()) {
        node_opts.server_args.push_back("--broker");
        node_opts.server_args.push_back(o.redis);
    }
    auto srv = spawn_herald(node_opts, public_port, internal_port, o.subscribers + 64);
    // With --redis, a second node takes the publishes (its log beside the first one's).
    server_process pub_node;
    int publish_port = internal_port;
    if (!o.redis.empty()) {
        auto [pub_public, pub_internal] = free_ports();
        options second = node_opts;
        second.server_log = o.server_log + ".publisher";
        const pid_t measured = g_server_pid;
        pub_node = spawn_herald(second, pub_public, pub_internal, 256);
        g_publisher_pid = pub_node.pid;
        g_server_pid = measured;
        publish_port = pub_internal;
    }
    auto stop_publisher_node = [&] {
        if (pub_node.pid > 0 && pub_node.alive()) {
            kill(pub_node.pid, SIGKILL);
            waitpid(pub_node.pid, nullptr, 0);
            pub_node.exited = true;
        }
    };

    // Wait for /readyz on the internal listener(s): ready also means the broker answers.
    bool up = false;
    for (std::int64_t until = now_ns() + 10'000'000'000; now_ns() < until && !expired();) {
        std::string body;
        if (http_get(internal_port, "/readyz", body, 1) == 200 &&
            (publish_port == internal_port || http_get(publish_port, "/readyz", body, 1) == 200)) {
            up = true;
            break;
        }
        if (!srv.alive()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!up) {
        std::cerr << "fanout_bench: herald did not come up ready (" << srv.describe() << "); log: " << o.server_log
                  << (o.redis.empty() ? "" : " (is Redis running at " + o.redis + "?)") << "\n";
        if (srv.alive()) {
            kill(srv.pid, SIGKILL);
            waitpid(srv.pid, nullptr, 0);
        }
        stop_publisher_node();
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    long rss_start = read_rss_kib(srv.pid);

    // Connect phase.
    subscriber_pool cl(o, public_port);
    double cpu_c0 = read_cpu_us(srv.pid);
    std::int64_t c0 = now_ns();
    cl.connect_all(srv);
    std::int64_t c1 = now_ns();
    double cpu_c1 = read_cpu_us(srv.pid);
    // Let herald settle (history reads, flushes), still reading what arrives.
    for (std::int64_t until = now_ns() + 500'000'000; now_ns() < until && !expired();) cl.poll(10);
    long rss_connected = read_rss_kib(srv.pid);
    std::size_t connected = cl.stats.ready;
    if (cl.stats.failed) problems.push_back(std::to_string(cl.stats.failed) + " subscribers failed to connect");

    // Publish phase: a publisher thread with one keep-alive connection; this thread reads.
    publisher_result pub;
    std::atomic<bool> pub_done{false};
    std::size_t live_at_start = cl.live();
    double cpu_p0 = read_cpu_us(srv.pid);
    double self_p0 = self_cpu_us();
    std::int64_t p0 = now_ns();
    std::thread publisher;
    if (srv.alive() && !expired()) {
        publisher = std::thread(run_publisher, std::cref(o), publish_port, std::ref(pub), std::ref(pub_done));
        std::int64_t last_progress = now_ns();
        std::size_t last_count = 0;
        std::int64_t last_alive_check = now_ns();
        std::int64_t done_at = 0;
        for (;;) {
            cl.poll(10);
            std::int64_t now = now_ns();
            if (cl.stats.deliveries != last_count) {
                last_count = cl.stats.deliveries;
                last_progress = now;
            }
            if (now - last_alive_check > 100'000'000) {
                last_alive_check = now;
                if (!srv.alive()) break;
            }
            if (expired()) break;
            if (pub_done.load()) {
                if (done_at == 0) done_at = now;
                if (cl.stats.deliveries >= live_at_start * pub.published) break;
                if (now - std::max(last_progress, done_at) > std::int64_t(o.drain_idle_s * 1e9)) break;
            }
        }
    } else {
        pub_done.store(true);
    }
    double cpu_p1 = read_cpu_us(srv.pid);
    double self_p1 = self_cpu_us();
    std::int64_t p1 = now_ns();
    bool timed_out = expired();
    if (publisher.joinable()) {
        if (!pub_done.load()) g_deadline_ns = now_ns();  // tell it to stop
        publisher.join();
    }
    long rss_end = srv.alive() ? read_rss_kib(srv.pid) : -1;
    ojson metrics = ojson::object();
    if (srv.alive()) {
        std::string body;
        if (http_get(internal_port, "/metrics", body, 5) == 200) metrics = parse_metrics(body);
    }

    // Stop herald: SIGTERM, keep reading (SSE streams get herald.disconnect, WebSockets a
    // close frame), bounded wait.
    bool died = !srv.alive();
    std::string stop_note = died ? "died during the run: " + srv.describe() : "";
    cl.stopping = true;
    if (!died) {
        kill(srv.pid, SIGTERM);
        std::int64_t until = now_ns() + (timed_out ? 3'000'000'000 : 15'000'000'000);
        while (srv.alive() && now_ns() < until) cl.poll(10);
        if (srv.alive()) {
            stop_note = "did not stop in time after SIGTERM; killed";
            kill(srv.pid, SIGKILL);
            waitpid(srv.pid, &srv.status, 0);
            srv.exited = true;
        } else {
            stop_note = srv.describe();
        }
    }
    cl.close_all();
    stop_publisher_node();

    // Figures.
    auto& st = cl.stats;
    std::size_t expected = live_at_start * pub.published;
    std::size_t missing = expected > st.deliveries ? expected - st.deliveries : 0;
    std::int64_t window_end = st.last_delivery_ns ? st.last_delivery_ns : p1;
    std::int64_t window_start = pub.first_send_ns ? pub.first_send_ns : p0;
    double window_s = double(std::max<std::int64_t>(window_end - window_start, 1)) / 1e9;
    std::vector<std::uint32_t> ttl_us;
    std::size_t complete_events = 0;
    for (std::size_t e = 0; e < pub.published + pub.errors && e < st.event_count.size(); ++e) {
        if (st.event_count[e] == 0) continue;
        if (st.event_count[e] >= live_at_start) ++complete_events;
        ttl_us.push_back(std::uint32_t(st.event_max_ns[e] / 1000));
    }
    double server_cpu_us = cpu_p1 - cpu_p0;
    double cpu_per_delivery = st.deliveries ? server_cpu_us / double(st.deliveries) : 0;
    double kib_per_conn = connected ? double(rss_connected - rss_start) / double(connected) : 0;

    if (timed_out) {
        ok = false;
        problems.push_back(g_interrupted ? "interrupted" : "time limit hit");
    }
    if (died) {
        ok = false;
        problems.push_back("herald " + stop_note);
    }
    if (missing) problems.push_back(std::to_string(missing) + " deliveries missing");
    if (pub.errors) problems.push_back(std::to_string(pub.errors) + " publishes failed");
    if (st.closed_while_live) problems.push_back(std::to_string(st.closed_while_live) + " streams closed while live");

    out["transport"] = transport_name(o.kind);
    out["subscribers"] = o.subscribers;
    out["events"] = pub.published;
    out["deliveries"] = st.deliveries;
    out["missing"] = missing;
    out["deliveries_per_s"] = std::round(double(st.deliveries) / window_s);
    out["latency_ms"] = {{"p50", round3(percentile(st.latencies_us, 0.50) / 1000)},
                         {"p99", round3(percentile(st.latencies_us, 0.99) / 1000)},
                         {"max", round3(percentile(st.latencies_us, 1.0) / 1000)}};
    out["server_cpu_us_per_delivery"] = round3(cpu_per_delivery);
    out["rss_kib_per_idle_conn"] = round3(kib_per_conn);
    out["connect_failures"] = st.failed;
    out["raw_write_us"] = round3(raw_us);
    out["rate"] = o.rate;
    // Context for reading the figures above.
    out["cpu_per_delivery_vs_raw_write"] = raw_us > 0 ? round3(cpu_per_delivery / raw_us) : 0.0;
    out["time_to_last_ms"] = {{"p50", round3(percentile(ttl_us, 0.50) / 1000)},
                              {"max", round3(percentile(ttl_us, 1.0) / 1000)},
                              {"events_fully_delivered", complete_events}};
    out["connected"] = connected;
    out["expected_deliveries"] = expected;
    out["duplicates"] = st.duplicates;
    out["out_of_order"] = st.out_of_order;
    out["unparsed"] = st.unparsed;
    out["control_events"] = st.control_events;
    out["window_s"] = round3(window_s);
    out["server_cpu_s"] = round3(server_cpu_us / 1e6);
    out["client_cpu_us_per_delivery"] = st.deliveries ? round3((self_p1 - self_p0) / double(st.deliveries)) : 0.0;
    out["connect"] = {{"per_s", std::round(double(connected) / std::max(1e-9, double(c1 - c0) / 1e9))},
                      {"seconds", round3(double(c1 - c0) / 1e9)},
                      {"server_cpu_us_per_conn", connected ? round3((cpu_c1 - cpu_c0) / double(connected)) : 0.0},
                      {"window", o.connect_window},
                      {"failure_reasons", st.failure_reasons}};
    out["server_rss_kib"] = {{"start", rss_start}, {"connected", rss_connected}, {"end", rss_end}};
    std::vector<std::uint32_t> rtt = pub.rtt_us;
    out["publish"] = {{"errors", pub.errors},
                      {"error_samples", pub.error_samples},
                      {"rtt_ms_p50", round3(percentile(rtt, 0.5) / 1000)},
                      {"rtt_ms_p99", round3(percentile(rtt, 0.99) / 1000)},
                      {"payload_bytes", o.payload_bytes}};
    if (o.kind != transport::sse) {
        out["ws"] = {{"pings", st.ws_pings},
                     {"pongs_sent", st.ws_pongs_sent},
                     {"other_messages", st.ws_other_messages},
                     {"other_sample", st.ws_other_sample},
                     {"close_codes", st.ws_close_codes}};
    }
    if (o.kind == transport::mix)
        out["deliveries_by_transport"] = {{"sse", st.deliveries_sse}, {"ws", st.deliveries_ws}};
    out["streams_closed_while_live"] = st.closed_while_live;
    out["stop"] = {{"disconnect_events", st.disconnect_events}, {"streams_closed", st.closed_on_stop}};
    out["threads"] = o.threads;
    out["broker"] = o.redis.empty() ? "memory" : "redis (publishes through a second node)";
    out["raw_sockets"] = raw_sockets;
    out["open_files_limit"] = open_files;
    out["timed_out"] = timed_out;
    out["server_stop"] = stop_note;
    out["server_metrics"] = metrics;
    out["server_log"] = server_log_summary(o.server_log);
    out["problems"] = problems;
    std::cout << out.dump() << std::endl;
    return ok ? 0 : 1;
}

}  // namespace
}  // namespace herald::bench

int main(int argc, char** argv) {
    using namespace herald::bench;
    options o = parse_args(argc, argv);
    return run_tool("fanout_bench", [&] { return run(o); });
}
