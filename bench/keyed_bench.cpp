// keyed_bench: spawns the real `herald serve` with a keyed-channel policy and prints one JSON line
// of figures for one of two scenarios (issue 13). Ticker: K keys x R updates/s on one keyed
// channel, batched, to N SSE subscribers of which a fraction read slowly, with or without
// `conflate` + `slow_consumer: conflate`: herald's bytes/s and CPU/s, fast readers' latency, slow
// readers' staleness, disconnects. Counter: C user: channels with one subscriber each and
// increments spread over them: CPU/s, latency, and every subscriber's final value checked against
// the increments its channel acknowledged. See bench/README.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/keyed_options.hpp"
#include "bench/keyed_pool.hpp"
#include "bench/keyed_publisher.hpp"
#include "bench/server_process.hpp"

namespace herald::bench {
namespace {

using ojson = nlohmann::ordered_json;

ojson metrics_of(int port) {
    std::string body;
    return http_get(port, "/metrics", body, 5) == 200 ? parse_metrics(body) : ojson::object();
}

double delta(const ojson& a, const ojson& b, const char* name) {
    return b.value(name, 0.0) - a.value(name, 0.0);
}

ojson hist_ms(const latency_hist& h) {
    return {{"p50", round3(h.ms(0.5))}, {"p99", round3(h.ms(0.99))}, {"max", round3(double(h.max_us) / 1000)},
            {"count", h.count}};
}

int run(const keyed_options& o) {
    const bool ticker = o.scenario == "ticker";
    g_deadline_ns = now_ns() + std::int64_t(o.time_limit_s * 1e9);
    std::vector<std::string> problems;

    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    std::size_t subscribers = o.subscribers ? o.subscribers : ticker ? 5000 : o.channels;
    if (subscribers + 64 > rl.rlim_cur) {
        std::cerr << "keyed_bench: " << subscribers << " subscribers need more than the open-file limit of "
                  << rl.rlim_cur << "\n";
        return 2;
    }

    // The channel policy, in a config file of its own.
    ojson entry = {{"pattern", ticker ? "ticker:*" : "user:*"}, {"keyed", true}};
    if (ticker) entry["max_keys"] = std::max<std::size_t>(1000, o.keys);
    if (ticker && o.conflate) {
        entry["conflate"] = o.conflate_window;
        entry["slow_consumer"] = "conflate";
    }
    const std::string config_path = o.server_log + ".config.json";
    std::ofstream(config_path) << ojson{{"channels", ojson::array({entry})}}.dump() << "\n";
    options so;
    so.herald = o.herald;
    so.threads = o.threads;
    so.log_level = o.log_level;
    so.server_log = o.server_log;
    so.server_args = {"--config", config_path};
    so.server_args.insert(so.server_args.end(), o.server_args.begin(), o.server_args.end());

    auto [public_port, internal_port] = free_ports();
    auto srv = spawn_herald(so, public_port, internal_port, subscribers + 64);
    bool up = false;
    for (std::int64_t until = now_ns() + 10'000'000'000; now_ns() < until && !expired() && srv.alive();) {
        std::string body;
        if ((up = http_get(internal_port, "/readyz", body, 1) == 200)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!up) {
        std::cerr << "keyed_bench: herald did not come up ready (" << srv.describe() << "); log: " << o.server_log << "\n";
        if (srv.alive()) kill(srv.pid, SIGKILL), waitpid(srv.pid, nullptr, 0);
        return 1;
    }

    std::vector<std::string> channels;
    if (ticker) channels = {"ticker:bench"};
    else
        for (std::size_t c = 0; c < o.channels; ++c) channels.push_back("user:" + std::to_string(c));
    std::size_t slow_count = ticker ? std::size_t(double(subscribers) * o.slow_fraction + 0.5) : 0;
    keyed_pool pool(o, public_port, channels, subscribers, slow_count, ticker ? o.keys : 0);
    std::int64_t c0 = now_ns();
    pool.connect_all(srv);
    double connect_s = double(now_ns() - c0) / 1e9;
    for (std::int64_t until = now_ns() + 300'000'000; now_ns() < until && !expired();) pool.poll(10);
    std::size_t connected = pool.live();
    if (pool.stats.failed) problems.push_back(std::to_string(pool.stats.failed) + " subscribers failed to connect");

    // Publish for the duration; herald's CPU and bytes are taken over exactly that window.
    keyed_publish_result pub;
    std::atomic<bool> pub_done{false};
    ojson m0 = metrics_of(internal_port);
    double cpu0 = read_cpu_us(srv.pid), self0 = self_cpu_us();
    std::int64_t p0 = now_ns();
    std::thread publisher(run_keyed_publisher, std::cref(o), internal_port, std::ref(pub), std::ref(pub_done));
    std::int64_t last_alive = now_ns();
    while (!pub_done.load() && !expired()) {
        pool.poll(10);
        if (now_ns() - last_alive > 100'000'000) {
            last_alive = now_ns();
            if (!srv.alive()) break;
        }
    }
    if (!pub_done.load()) g_deadline_ns = now_ns();  // tell the publisher to stop
    publisher.join();
    double cpu1 = read_cpu_us(srv.pid), self1 = self_cpu_us();
    std::int64_t p1 = now_ns();
    ojson m1 = metrics_of(internal_port);
    std::size_t held_missing = 0;
    std::vector<std::uint32_t> held = pool.held_ages_us(wall_us(), held_missing);
    std::size_t live_at_end = pool.live();
    // Drain: what herald still holds for the readers (the counters' last values).
    for (std::int64_t until = now_ns() + std::int64_t(o.drain_s * 1e9); now_ns() < until && !expired();) pool.poll(10);
    ojson m2 = metrics_of(internal_port);

    bool died = !srv.alive();
    std::string stop_note = died ? "died during the run: " + srv.describe() : "";
    bool timed_out = expired();
    pool.stopping = true;
    pool.close_slow();
    if (!died) {
        kill(srv.pid, SIGTERM);
        for (std::int64_t until = now_ns() + 10'000'000'000; srv.alive() && now_ns() < until;) pool.poll(10);
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

    const auto& st = pool.stats;
    double window_s = std::max(1e-9, double(p1 - p0) / 1e9);
    if (timed_out) problems.push_back(g_interrupted ? "interrupted" : "time limit hit");
    if (died) problems.push_back("herald " + stop_note);
    if (pub.errors) problems.push_back(std::to_string(pub.errors) + " publishes failed");
    if (st.unparsed) problems.push_back(std::to_string(st.unparsed) + " data lines not parsed");
    if (st.offset_regressions) problems.push_back(std::to_string(st.offset_regressions) + " offsets at or below one seen");

    ojson out;
    out["scenario"] = o.scenario;
    if (ticker) {
        out["conflate"] = o.conflate ? o.conflate_window : "none";
        out["slow_consumer"] = o.conflate ? "conflate" : "disconnect";
        out["keys"] = o.keys;
        out["updates_per_key_per_s"] = o.updates_per_key;
    } else {
        out["channels"] = o.channels;
        out["incr_per_s"] = o.incr_rate;
    }
    out["subscribers"] = subscribers;
    out["slow_readers"] = slow_count;
    out["connected"] = connected;
    out["live_at_end"] = live_at_end;
    out["window_s"] = round3(window_s);
    out["publish"] = {{"published", pub.published},
                      {"per_s", std::round(double(pub.published) / window_s)},
                      {"requests", pub.requests},
                      {"errors", pub.errors},
                      {"rtt_ms_p50", round3(percentile(pub.rtt_us, 0.5) / 1000)},
                      {"rtt_ms_p99", round3(percentile(pub.rtt_us, 0.99) / 1000)},
                      {"error_samples", pub.error_samples}};
    out["herald_bytes_out_per_s"] = std::round(delta(m0, m1, "bytes_out_total") / window_s);
    out["herald_cpu_s_per_s"] = round3((cpu1 - cpu0) / 1e6 / window_s);
    out["herald_deliveries_per_s"] = std::round(delta(m0, m1, "deliveries_total") / window_s);
    out["client_cpu_s_per_s"] = round3((self1 - self0) / 1e6 / window_s);
    std::size_t fast = subscribers - slow_count;
    out["received"] = {{"fast", st.deliveries_fast},
                       {"slow", st.deliveries_slow},
                       {"fast_per_reader_per_s", fast ? round3(double(st.deliveries_fast) / double(fast) / window_s) : 0.0},
                       {"slow_per_reader_per_s",
                        slow_count ? round3(double(st.deliveries_slow) / double(slow_count) / window_s) : 0.0},
                       {"bytes_fast", st.bytes_fast},
                       {"bytes_slow", st.bytes_slow}};
    out["latency_ms"] = hist_ms(st.fast_published);  // fast readers, from published_at (ms resolution)
    if (ticker) {
        out["latency_from_send_ms"] = hist_ms(st.fast_sent);
        out["slow_staleness_ms"] = hist_ms(st.slow_age);
        out["slow_held_age_at_end_ms"] = {{"p50", round3(percentile(held, 0.5) / 1000)},
                                          {"p99", round3(percentile(held, 0.99) / 1000)},
                                          {"max", round3(percentile(held, 1.0) / 1000)},
                                          {"keys_never_received", held_missing}};
    } else {
        std::size_t mismatches = 0;
        std::vector<std::string> samples;
        for (std::size_t i = 0; i < pool.size(); ++i) {
            auto want = std::int64_t(pub.acked[pool.channel_of(i)]);
            auto got = std::max<std::int64_t>(pool.value(i), 0);
            if (got != want) {
                ++mismatches;
                if (samples.size() < 5)
                    samples.push_back("user:" + std::to_string(pool.channel_of(i)) + " got " + std::to_string(got) +
                                      " want " + std::to_string(want));
            }
        }
        out["final_values"] = {{"checked", pool.size()},
                               {"mismatches", mismatches},
                               {"unknown_increments", pub.unknown},
                               {"samples", samples}};
        if (mismatches) problems.push_back(std::to_string(mismatches) + " subscribers ended on a wrong value");
    }
    out["disconnects"] = {{"slow_consumer_metric", delta(m0, m2, "slow_consumer_disconnects_total")},
                          {"eof_fast", st.eof_fast},
                          {"eof_slow", st.eof_slow},
                          {"reconnects", st.reconnects},
                          {"control_events", st.control_events}};
    out["server_counts"] = {{"conflated_events", delta(m0, m1, "conflated_events_total")},
                            {"slow_consumer_replaced", delta(m0, m1, "slow_consumer_replaced_total")},
                            {"publishes", delta(m0, m1, "publishes_total")},
                            {"deliveries", delta(m0, m1, "deliveries_total")}};
    out["connect_s"] = round3(connect_s);
    out["threads"] = o.threads;
    out["config"] = ojson{{"channels", ojson::array({entry})}};
    out["server_args"] = o.server_args;
    out["failure_reasons"] = st.failure_reasons;
    out["closed_on_stop"] = st.closed_on_stop;
    out["server_stop"] = stop_note;
    out["server_log"] = server_log_summary(o.server_log);
    out["problems"] = problems;
    std::cout << out.dump() << std::endl;
    return timed_out || died ? 1 : 0;
}

}  // namespace
}  // namespace herald::bench

int main(int argc, char** argv) {
    using namespace herald::bench;
    keyed_options o = parse_keyed_args(argc, argv);
    return run_tool("keyed_bench", [&] { return run(o); });
}
