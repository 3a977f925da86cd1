// soak_bench: spawns the real `herald serve`, holds N subscriber connections (SSE and WebSocket,
// spread over C channels) from one single-threaded epoll client, publishes at a steady rate for
// a duration with a per-channel sequence number in every payload, and prints herald's RSS and the
// delivery counts as one JSON line every interval, then a JSON summary: connections held, events
// published, deliveries expected and received, gaps and duplicates per subscriber, disconnects,
// and RSS after warm-up against the end. Exit 1 when anything was lost, duplicated or dropped.
// This file runs the phases and writes the report; see bench/README.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/bench_options.hpp"
#include "bench/server_process.hpp"
#include "bench/soak_options.hpp"
#include "bench/soak_pool.hpp"

namespace herald::bench {
namespace {

using ojson = nlohmann::ordered_json;

rlim_t raise_open_files() {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

// The publisher thread's state. `published[c]` is the count of events channel c has accepted
// (so its sequence numbers 0..published[c]-1), written by the publisher, read by the main thread.
struct soak_publisher {
    explicit soak_publisher(std::size_t channels) : published(channels) {}
    std::vector<std::atomic<std::uint32_t>> published;
    std::atomic<std::size_t> total{0}, errors{0}, late{0};
    std::atomic<bool> done{false}, stop{false};
    // Read only after the thread is joined.
    std::map<std::string, std::size_t> error_samples;
    std::vector<std::uint32_t> rtt_us;
    std::int64_t first_send_ns = 0, last_reply_ns = 0;

    std::vector<std::uint32_t> snapshot() const {
        std::vector<std::uint32_t> v(published.size());
        for (std::size_t c = 0; c < v.size(); ++c) v[c] = published[c].load();
        return v;
    }
};

// Paced publishes, round-robin over the channels, one keep-alive connection, one request in
// flight. A failed publish is retried with the same sequence number and Idempotency-Key, so a
// retry cannot duplicate an event; it still counts as an error.
void run_soak_publisher(const soak_options& o, int port, soak_publisher& ps) {
    int fd = -1;
    std::string carry, body;
    const std::string pad_source(o.payload_bytes, 'x');
    const std::string key_prefix = "soak-" + std::to_string(getpid()) + "-";
    std::vector<std::uint32_t> next(o.channels, 0);
    const std::int64_t start = now_ns();
    const std::int64_t end = start + std::int64_t(o.duration_s * 1e9);
    for (std::size_t k = 0;;) {
        std::int64_t due = start + std::int64_t(double(k) * 1e9 / o.rate);
        if (due >= end || expired() || ps.stop.load()) break;
        while (now_ns() < due && !expired() && !ps.stop.load()) {
            std::int64_t left = due - now_ns();
            if (left > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(left, 50'000'000)));
        }
        if (expired() || ps.stop.load()) break;
        if (now_ns() - due > 100'000'000) ++ps.late;  // more than 100 ms behind the schedule
        if (fd < 0) {
            fd = connect_blocking(port, 10);
            carry.clear();
            if (fd < 0) {
                ++ps.errors;
                ++ps.error_samples["connect to internal listener failed"];
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
        }
        std::size_t ch = k % o.channels;
        std::uint32_t seq = next[ch];
        std::int64_t t = now_ns();
        std::string payload = "{\"c\":" + std::to_string(ch) + ",\"s\":" + std::to_string(seq) +
                              ",\"t\":" + std::to_string(t) + ",\"pad\":\"";
        std::size_t pad = o.payload_bytes > payload.size() + 2 ? o.payload_bytes - payload.size() - 2 : 1;
        payload.append(pad_source, 0, pad).append("\"}");
        std::string req = "POST /v1/channels/" + o.channel_prefix + std::to_string(ch) +
                          "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: " +
                          key_prefix + std::to_string(ch) + "-" + std::to_string(seq) +
                          "\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload;
        if (ps.first_send_ns == 0) ps.first_send_ns = t;
        int status = send_all(fd, req) ? read_response(fd, carry, body) : 0;
        std::int64_t back = now_ns();
        ps.rtt_us.push_back(std::uint32_t(std::min<std::int64_t>((back - t) / 1000, UINT32_MAX)));
        if (status == 200) {
            next[ch] = seq + 1;
            ps.published[ch].store(seq + 1);
            ++ps.total;
            ps.last_reply_ns = back;
            ++k;
        } else {
            ++ps.errors;
            ++ps.error_samples[status == 0 ? "no reply (connection failed)"
                                           : "status " + std::to_string(status) + ": " + body.substr(0, 120)];
            if (status == 0) {
                close(fd);
                fd = -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (fd >= 0) close(fd);
    ps.done.store(true);
}

struct sample {
    double t_s;
    long rss_kib;
};

int run(const soak_options& o) {
    g_deadline_ns = now_ns() + std::int64_t(o.time_limit_s * 1e9);
    std::vector<std::string> problems;

    rlim_t open_files = raise_open_files();
    if (o.connections + 100 > open_files) {
        std::cerr << "soak_bench: " << o.connections << " connections need more open files than the limit of "
                  << open_files << " (keep it at most " << (open_files > 100 ? open_files - 100 : 0) << ")\n";
        return 2;
    }
    if (access(o.herald.c_str(), X_OK) != 0) {
        std::cerr << "soak_bench: herald binary '" << o.herald << "' is not executable (use --herald PATH)\n";
        return 2;
    }

    // herald inherits the raised limit; it gets room for every subscriber whatever its default.
    options srv_opts;
    srv_opts.herald = o.herald;
    srv_opts.threads = o.threads;
    srv_opts.log_level = o.log_level;
    srv_opts.server_log = o.server_log;
    bool user_max = std::find(o.server_args.begin(), o.server_args.end(), "--max-connections") != o.server_args.end();
    if (!user_max) {
        srv_opts.server_args.push_back("--max-connections");
        srv_opts.server_args.push_back(std::to_string(o.connections + 100));
    }
    for (const auto& a : o.server_args) srv_opts.server_args.push_back(a);
    auto [public_port, internal_port] = free_ports();
    auto srv = spawn_herald(srv_opts, public_port, internal_port, 0);

    bool up = false;
    for (std::int64_t until = now_ns() + 10'000'000'000; now_ns() < until && !expired();) {
        std::string body;
        if (http_get(internal_port, "/readyz", body, 1) == 200) {
            up = true;
            break;
        }
        if (!srv.alive()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!up) {
        std::cerr << "soak_bench: herald did not come up ready (" << srv.describe() << "); log: " << o.server_log << "\n";
        if (srv.alive()) {
            kill(srv.pid, SIGKILL);
            waitpid(srv.pid, nullptr, 0);
        }
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const long rss_start = read_rss_kib(srv.pid);

    // Connect, then settle for a second, still reading.
    soak_pool pool(o, public_port);
    std::int64_t c0 = now_ns();
    pool.connect_all(srv);
    std::int64_t c1 = now_ns();
    for (std::int64_t until = now_ns() + 1'000'000'000; now_ns() < until && !expired();) pool.poll(10);
    const long rss_connected = read_rss_kib(srv.pid);
    const std::size_t held_at_start = pool.live();
    if (pool.stats.failed) problems.push_back(std::to_string(pool.stats.failed) + " subscribers failed to connect");
    pool.mark_start();

    soak_publisher ps(o.channels);
    std::vector<sample> samples;
    std::int64_t p0 = now_ns();
    auto progress = [&](const char* phase) {
        std::int64_t now = now_ns();
        double t = double(now - p0) / 1e9;
        long rss = srv.alive() ? read_rss_kib(srv.pid) : -1;
        ojson m = ojson::object();
        std::string body;
        if (srv.alive() && http_get(internal_port, "/metrics", body, 5) == 200) m = parse_metrics(body);
        auto pub = ps.snapshot();
        auto metric = [&](const char* name) -> ojson { return m.contains(name) ? m[name] : ojson(nullptr); };
        ojson line;
        line["progress"] = phase;
        line["t_s"] = round3(t);
        line["server_rss_kib"] = rss;
        line["server_cpu_s"] = round3(read_cpu_us(srv.pid) / 1e6);
        line["client_rss_kib"] = read_rss_kib(getpid());
        line["live"] = pool.live();
        line["published"] = ps.total.load();
        line["deliveries"] = pool.stats.deliveries;
        line["expected"] = pool.expected(pub);
        line["gaps"] = pool.stats.gaps;
        line["duplicates"] = pool.stats.duplicates;
        line["closed_while_live"] = pool.stats.closed_while_live;
        line["connections_open"] = metric("connections_open");
        line["slow_consumer_disconnects"] = metric("slow_consumer_disconnects_total");
        line["history_events"] = metric("history_events");
        std::cout << line.dump() << std::endl;
        if (rss >= 0) samples.push_back({t, rss});
    };
    progress("connected");
    p0 = now_ns();

    std::thread publisher;
    if (srv.alive() && !expired()) {
        publisher = std::thread(run_soak_publisher, std::cref(o), internal_port, std::ref(ps));
        std::int64_t next_report = p0 + std::int64_t(o.interval_s * 1e9);
        std::int64_t last_alive_check = now_ns(), last_progress = now_ns(), done_at = 0;
        std::size_t last_count = 0;
        for (;;) {
            pool.poll(10);
            std::int64_t now = now_ns();
            if (pool.stats.deliveries != last_count) {
                last_count = pool.stats.deliveries;
                last_progress = now;
            }
            if (now >= next_report) {
                progress("publishing");
                next_report += std::int64_t(o.interval_s * 1e9);
            }
            if (now - last_alive_check > 100'000'000) {
                last_alive_check = now;
                if (!srv.alive()) break;
            }
            if (expired()) break;
            if (ps.done.load()) {
                if (done_at == 0) done_at = now;
                if (pool.stats.deliveries + pool.stats.duplicates >= pool.expected(ps.snapshot())) break;
                if (now - std::max(last_progress, done_at) > std::int64_t(o.drain_idle_s * 1e9)) break;
            }
        }
    } else {
        ps.done.store(true);
    }
    bool timed_out = expired();
    if (publisher.joinable()) {
        ps.stop.store(true);
        publisher.join();
    }
    std::int64_t p1 = now_ns();
    const std::size_t held_at_end = pool.live();
    if (srv.alive()) progress("drained");
    long rss_end = samples.empty() ? -1 : samples.back().rss_kib;
    ojson metrics = ojson::object();
    if (srv.alive()) {
        std::string body;
        if (http_get(internal_port, "/metrics", body, 5) == 200) metrics = parse_metrics(body);
    }

    // Stop herald: SIGTERM, keep reading (SSE streams get herald.disconnect, WebSockets 1012).
    bool died = !srv.alive();
    std::string stop_note = died ? "died during the run: " + srv.describe() : "";
    auto before_stop = pool.stats.control_events;
    auto before_stop_codes = pool.stats.ws_close_codes;
    auto published = ps.snapshot();
    auto v = pool.verdict(published);
    pool.stopping = true;
    if (!died) {
        kill(srv.pid, SIGTERM);
        std::int64_t until = now_ns() + (timed_out ? 3'000'000'000 : 15'000'000'000);
        while (srv.alive() && now_ns() < until) pool.poll(10);
        if (srv.alive()) {
            stop_note = "did not stop in time after SIGTERM; killed";
            kill(srv.pid, SIGKILL);
            waitpid(srv.pid, &srv.status, 0);
            srv.exited = true;
        } else {
            stop_note = srv.describe();
        }
    }
    pool.close_all();

    // Figures.
    auto& st = pool.stats;
    std::size_t expected = pool.expected(published);
    std::size_t missing = expected > st.deliveries ? expected - st.deliveries : 0;

    // RSS after warm-up: the first sample at or after the warm-up time (capped at 3/4 of the run).
    double warm_t = std::min(o.warmup_s, o.duration_s * 3 / 4);
    const sample* warm = nullptr;
    for (const auto& s : samples)
        if (s.t_s >= warm_t) {
            warm = &s;
            break;
        }
    long rss_max = 0;
    for (const auto& s : samples) rss_max = std::max(rss_max, s.rss_kib);
    double slope = 0;  // least squares over the samples from warm-up on, KiB per minute
    if (warm) {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (const auto& s : samples)
            if (s.t_s >= warm->t_s) {
                n += 1;
                sx += s.t_s;
                sy += double(s.rss_kib);
                sxx += s.t_s * s.t_s;
                sxy += s.t_s * double(s.rss_kib);
            }
        double d = n * sxx - sx * sx;
        if (n >= 2 && d > 0) slope = (n * sxy - sx * sy) / d * 60;
    }
    long growth = warm && rss_end >= 0 ? rss_end - warm->rss_kib : 0;

    std::size_t slow = metrics.contains("slow_consumer_disconnects_total")
                           ? std::size_t(metrics["slow_consumer_disconnects_total"].get<double>())
                           : 0;
    if (timed_out) problems.push_back(g_interrupted ? "interrupted" : "time limit hit");
    if (died) problems.push_back("herald " + stop_note);
    if (held_at_start < o.connections)
        problems.push_back("only " + std::to_string(held_at_start) + " of " + std::to_string(o.connections) +
                           " connections held at start");
    if (st.closed_while_live) problems.push_back(std::to_string(st.closed_while_live) + " streams closed while live");
    if (slow) problems.push_back(std::to_string(slow) + " slow-consumer disconnects (herald metric)");
    if (ps.errors) problems.push_back(std::to_string(ps.errors.load()) + " publishes failed (retried)");
    if (missing) problems.push_back(std::to_string(missing) + " deliveries missing");
    if (st.gaps) problems.push_back(std::to_string(st.gaps) + " events skipped inside streams");
    if (v.lost_at_end) problems.push_back(std::to_string(v.lost_at_end) + " events never received at the end");
    if (st.duplicates) problems.push_back(std::to_string(st.duplicates) + " duplicate deliveries");
    if (st.wrong_channel) problems.push_back(std::to_string(st.wrong_channel) + " events on the wrong channel");
    if (st.unparsed) problems.push_back(std::to_string(st.unparsed) + " unparsed deliveries");
    if (!before_stop.empty()) problems.push_back("control messages before the stop (see disconnects)");
    if (ps.total == 0) problems.push_back("nothing was published");

    std::vector<std::uint32_t> rtt = ps.rtt_us;
    ojson out;
    out["summary"] = "soak";
    out["ok"] = problems.empty();
    out["connections"] = {{"asked", o.connections},
                          {"channels", o.channels},
                          {"held_at_start", held_at_start},
                          {"held_at_end", held_at_end},
                          {"held_at_end_sse", v.live_sse},
                          {"held_at_end_ws", v.live_ws},
                          {"connect_failures", st.failed},
                          {"connect_seconds", round3(double(c1 - c0) / 1e9)},
                          {"closed_while_live", st.closed_while_live},
                          {"reasons", st.failure_reasons}};
    out["run"] = {{"rate", o.rate},
                  {"duration_s", o.duration_s},
                  {"publish_window_s", round3(double(p1 - p0) / 1e9)},
                  {"payload_bytes", o.payload_bytes},
                  {"threads", o.threads},
                  {"open_files_limit", open_files}};
    out["events_published"] = ps.total.load();
    out["publish"] = {{"errors", ps.errors.load()},
                      {"error_samples", ps.error_samples},
                      {"late_over_100ms", ps.late.load()},
                      {"rtt_ms_p50", round3(percentile(rtt, 0.5) / 1000)},
                      {"rtt_ms_p99", round3(percentile(rtt, 0.99) / 1000)},
                      {"rtt_ms_max", round3(percentile(rtt, 1.0) / 1000)}};
    out["deliveries"] = {{"expected", expected},
                         {"received", st.deliveries},
                         {"missing", missing},
                         {"sse", st.deliveries_sse},
                         {"ws", st.deliveries_ws}};
    out["order"] = {{"gaps", st.gaps},
                    {"lost_at_end", v.lost_at_end},
                    {"duplicates", st.duplicates},
                    {"wrong_channel", st.wrong_channel},
                    {"unparsed", st.unparsed},
                    {"early_data", st.early_data},
                    {"subscribers_with_loss", v.subscribers_with_loss},
                    {"subscribers_with_duplicates", v.subscribers_with_duplicates},
                    {"samples", v.samples}};
    out["disconnects"] = {{"slow_consumer", slow},
                          {"closed_while_live", st.closed_while_live},
                          {"control_events_before_stop", before_stop},
                          {"ws_close_codes_before_stop", before_stop_codes},
                          {"control_sample", st.control_sample}};
    out["keepalive"] = {{"sse_comments", st.sse_comments}, {"ws_pings", st.ws_pings}, {"ws_pongs_sent", st.ws_pongs_sent}};
    out["latency_ms"] = {{"p50", round3(st.latency_ms(0.5))},
                         {"p99", round3(st.latency_ms(0.99))},
                         {"max", round3(st.latency_ms(1.0))}};
    ojson warm_j = warm ? ojson{{"t_s", round3(warm->t_s)}, {"kib", warm->rss_kib}} : ojson(nullptr);
    out["server_rss_kib"] = {{"start", rss_start},
                             {"connected", rss_connected},
                             {"warmup", warm_j},
                             {"end", rss_end},
                             {"max", rss_max},
                             {"growth_kib", growth},
                             {"growth_pct", warm && warm->rss_kib > 0 ? round3(100.0 * double(growth) / double(warm->rss_kib)) : 0.0},
                             {"slope_kib_per_min", round3(slope)},
                             {"per_connection_kib", held_at_start ? round3(double(rss_connected - rss_start) / double(held_at_start)) : 0.0}};
    out["stop"] = {{"server", stop_note},
                   {"streams_closed", st.closed_on_stop},
                   {"control_events", st.control_events},
                   {"ws_close_codes", st.ws_close_codes}};
    out["server_metrics"] = metrics;
    out["server_log"] = server_log_summary(o.server_log);
    out["problems"] = problems;
    std::cout << out.dump() << std::endl;
    return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace herald::bench

int main(int argc, char** argv) {
    using namespace herald::bench;
    soak_options o = parse_soak_args(argc, argv);
    return run_tool("soak_bench", [&] { return run(o); });
}
