// occupancy_bench: spawns the real `herald serve` with a live:* channel policy (occupancy on or off,
// a given --occupancy-interval), opens N SSE subscribers to one channel from a single-threaded
// epoll client (subscriber_pool), then churns them (K out, K+D in, every step) and prints one JSON
// line: herald's CPU per second and RSS over the churn window, the herald.occupancy events and
// bytes received, the most any subscriber got within one interval, and how long a churn step takes
// to show in the count subscribers see (issue 15). See bench/README.md.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <deque>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/occupancy_options.hpp"
#include "bench/server_process.hpp"
#include "bench/subscriber_pool.hpp"

namespace herald::bench {
namespace {

using ojson = nlohmann::ordered_json;

ojson metrics_of(int port) {
    std::string body;
    return http_get(port, "/metrics", body, 5) == 200 ? parse_metrics(body) : ojson::object();
}

double delta(const ojson& a, const ojson& b, const char* name) { return b.value(name, 0.0) - a.value(name, 0.0); }

// What the bench keeps per subscriber slot (reset when the slot is reopened).
struct slot_info {
    std::int64_t live_ns = 0;
    std::int64_t tick1 = 0, tick2 = 0;  // the last two tick events
    std::int64_t ticks[11] = {};        // the last 11 tick events, a ring (the 10-interval check)
    std::size_t nticks = 0;
    std::int64_t any1 = 0, any2 = 0;    // the last two events, join included
    bool got_first = false;
};

struct observed {
    std::int64_t at;
    std::int64_t count;
};

std::optional<std::int64_t> subscribers_field(std::string_view data) {
    static constexpr std::string_view key = "\"subscribers\":";
    auto k = data.find(key);
    if (k == std::string_view::npos) return std::nullopt;
    std::int64_t v = 0;
    auto r = std::from_chars(data.data() + k + key.size(), data.data() + data.size(), v);
    if (r.ec != std::errc()) return std::nullopt;
    return v;
}

int run(const occupancy_options& o) {
    g_deadline_ns = now_ns() + std::int64_t(o.time_limit_s * 1e9);
    std::vector<std::string> problems;
    bool ok = true;

    const std::size_t steps = std::size_t(o.duration_s * 1000 / o.step_ms);
    const std::size_t capacity = o.subscribers + o.drift * steps + 2 * o.churn + 16;
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    const std::size_t peak = o.subscribers + o.drift * steps + o.churn;
    if (peak + 64 > rl.rlim_cur) {
        std::cerr << "occupancy_bench: up to " << peak << " subscribers need more than the open-file limit of "
                  << rl.rlim_cur << " (lower --subscribers, --drift or --duration)\n";
        return 2;
    }
    if (access(o.herald.c_str(), X_OK) != 0) {
        std::cerr << "occupancy_bench: herald binary '" << o.herald << "' is not executable (use --herald PATH)\n";
        return 2;
    }

    // The channel policy, in a config file of its own; the interval as a flag.
    ojson entry = {{"pattern", "live:*"}, {"occupancy", o.occupancy}};
    const std::string config_path = o.server_log + ".config.json";
    std::ofstream(config_path) << ojson{{"channels", ojson::array({entry})}}.dump() << "\n";
    options so;
    so.herald = o.herald;
    so.threads = o.threads;
    so.log_level = o.log_level;
    so.server_log = o.server_log;
    so.subscribers = o.subscribers;
    so.events = 0;
    so.channel = o.channel;
    so.connect_window = o.connect_window;
    so.connect_timeout_s = o.connect_timeout_s;
    so.server_args = {"--config", config_path, "--occupancy-interval", std::to_string(std::int64_t(o.interval_ms))};
    so.server_args.insert(so.server_args.end(), o.server_args.begin(), o.server_args.end());

    auto [public_port, internal_port] = free_ports();
    auto srv = spawn_herald(so, public_port, internal_port, peak + 64);
    bool up = false;
    for (std::int64_t until = now_ns() + 10'000'000'000; now_ns() < until && !expired() && srv.alive();) {
        std::string body;
        if ((up = http_get(internal_port, "/readyz", body, 1) == 200)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!up) {
        std::cerr << "occupancy_bench: herald did not come up ready (" << srv.describe() << "); log: " << o.server_log
                  << "\n";
        if (srv.alive()) kill(srv.pid, SIGKILL), waitpid(srv.pid, nullptr, 0);
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const long rss_start = read_rss_kib(srv.pid);

    // Subscribers and what they see.
    subscriber_pool pool(so, public_port, capacity);
    std::vector<slot_info> info(capacity);
    const std::size_t observers = std::min<std::size_t>(100, o.subscribers - o.churn);
    // herald's ticks are at least one interval apart, but each tick's delivery takes its own time:
    // the one-interval check allows 10% of the interval for that jitter (min_gap_ms is exact).
    const auto interval_ns = std::int64_t(o.interval_ms * 0.9e6);
    std::size_t gaps_under_interval = 0;
    std::int64_t window_start = 0, window_end = 0;
    std::size_t join_events = 0, tick_events = 0, events_in_window = 0, bytes_in_window = 0;
    std::size_t max_window = 0, max_window_join = 0, unparsed = 0;
    std::int64_t min_gap = 0;
    std::set<std::int64_t> distinct, distinct_ticks;
    std::size_t max_in_10 = 0;
    std::vector<observed> seen;  // by observers, in arrival order
    pool.watched_event = "herald.occupancy";
    pool.on_live = [&](std::size_t i, std::int64_t now) { info[i].live_ns = now; };
    pool.on_watched = [&](std::size_t i, std::string_view data, std::int64_t now) {
        auto& s = info[i];
        auto count = subscribers_field(data);
        if (!count) {
            ++unparsed;
            return;
        }
        distinct.insert(*count);
        const bool in_window = window_start && now >= window_start && !window_end;
        if (in_window) {
            ++events_in_window;
            bytes_in_window += std::string_view("event: herald.occupancy\n").size() + data.size() + 2;
        }
        std::size_t c = 1 + (s.any1 && now - s.any1 < interval_ns) + (s.any2 && now - s.any2 < interval_ns);
        max_window_join = std::max(max_window_join, c);
        s.any2 = s.any1;
        s.any1 = now;
        // The count a subscriber gets as it subscribes: its first, before or right after its stream start.
        const bool join = !s.got_first && (s.live_ns == 0 || now - s.live_ns < 20'000'000);
        s.got_first = true;
        if (join) {
            join_events += in_window;
        } else {
            tick_events += in_window;
            std::size_t t = 1 + (s.tick1 && now - s.tick1 < interval_ns) + (s.tick2 && now - s.tick2 < interval_ns);
            max_window = std::max(max_window, t);
            if (s.tick1 && (min_gap == 0 || now - s.tick1 < min_gap)) min_gap = now - s.tick1;
            if (s.tick1 && now - s.tick1 < std::int64_t(o.interval_ms * 1e6)) ++gaps_under_interval;
            s.tick2 = s.tick1;
            s.tick1 = now;
            distinct_ticks.insert(*count);
            s.ticks[s.nticks++ % 11] = now;
            std::size_t in10 = 0;
            for (std::size_t k = 0; k < std::min<std::size_t>(s.nticks, 11); ++k)
                in10 += now - s.ticks[k] < std::int64_t(o.interval_ms * 10e6);
            max_in_10 = std::max(max_in_10, in10);
        }
        if (i < observers) seen.push_back({now, *count});
    };

    std::int64_t c0 = now_ns();
    pool.connect_all(srv);
    const double connect_s = double(now_ns() - c0) / 1e9;
    for (std::int64_t until = now_ns() + std::int64_t(o.settle_s * 1e9); now_ns() < until && !expired();) pool.poll(10);
    const long rss_connected = read_rss_kib(srv.pid);
    const std::size_t connected = pool.live();
    if (pool.stats.failed) problems.push_back(std::to_string(pool.stats.failed) + " subscribers failed to connect");

    // Churn: the oldest non-observer closes first; new subscribers take free slots.
    std::deque<std::size_t> fifo;
    for (std::size_t i = observers; i < o.subscribers; ++i)
        if (pool.is_live(i)) fifo.push_back(i);
    std::vector<std::size_t> free_slots;
    for (std::size_t i = capacity; i-- > o.subscribers;) free_slots.push_back(i);
    std::vector<std::size_t> pending;
    std::vector<std::int64_t> step_at;
    std::vector<std::int64_t> step_target;
    std::size_t closed = 0, opened = 0, open_failed = 0, still_pending = 0;
    long rss_max = rss_connected;
    double live_sum = 0;
    std::int64_t target = std::int64_t(connected);

    ojson m0 = metrics_of(internal_port);
    const double cpu0 = read_cpu_us(srv.pid), self0 = self_cpu_us();
    window_start = now_ns();
    const auto step_ns = std::int64_t(o.step_ms * 1e6);
    for (std::size_t j = 0; j < steps && !expired(); ++j) {
        const std::int64_t at = window_start + std::int64_t(j) * step_ns;
        while (now_ns() < at && !expired()) pool.poll(int(std::clamp<std::int64_t>((at - now_ns()) / 1'000'000, 0, 10)));
        // Settle the previous steps' connects.
        for (std::size_t k = 0; k < pending.size();) {
            std::size_t i = pending[k];
            if (pool.is_live(i)) fifo.push_back(i);
            else if (pool.is_idle(i)) ++open_failed, free_slots.push_back(i);
            else {
                ++k;
                continue;
            }
            pending[k] = pending.back();
            pending.pop_back();
        }
        step_at.push_back(now_ns());
        for (std::size_t k = 0; k < o.churn && !fifo.empty(); ++k) {
            std::size_t i = fifo.front();
            fifo.pop_front();
            if (!pool.is_live(i)) continue;  // closed by the server meanwhile
            pool.close_one(i);
            free_slots.push_back(i);
            ++closed;
            --target;
        }
        for (std::size_t k = 0; k < o.churn + o.drift && !free_slots.empty(); ++k) {
            std::size_t i = free_slots.back();
            free_slots.pop_back();
            info[i] = slot_info{};
            pool.open_one(i);
            if (pool.is_idle(i)) {  // failed at once (socket/bind/connect)
                ++open_failed;
                continue;
            }
            pending.push_back(i);
            ++opened;
            ++target;
        }
        step_target.push_back(target);
        rss_max = std::max(rss_max, read_rss_kib(srv.pid));
        live_sum += double(pool.live());
        if (!srv.alive()) break;
    }
    while (now_ns() < window_start + std::int64_t(steps) * step_ns && !expired()) pool.poll(10);
    window_end = now_ns();
    const double cpu1 = read_cpu_us(srv.pid), self1 = self_cpu_us();
    ojson m1 = metrics_of(internal_port);
    const long rss_end = read_rss_kib(srv.pid);
    const double window_s = double(window_end - window_start) / 1e9;
    // Late counts still reflect late steps.
    for (std::int64_t until = now_ns() + std::int64_t(o.drain_s * 1e9); now_ns() < until && !expired();) pool.poll(10);
    for (auto i : pending)
        if (pool.is_live(i)) fifo.push_back(i);
        else if (pool.is_idle(i)) ++open_failed;
        else ++still_pending;
    const std::size_t live_end = pool.live();

    // Stop herald.
    bool died = !srv.alive();
    std::string stop_note = died ? "died during the run: " + srv.describe() : "";
    pool.stopping = true;
    if (!died) {
        kill(srv.pid, SIGTERM);
        for (std::int64_t until = now_ns() + 15'000'000'000; srv.alive() && now_ns() < until;) pool.poll(10);
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

    // How long a step takes to show: the first observer count at or beyond the step's target.
    std::vector<std::uint32_t> reflect_us;
    std::size_t unreflected = 0, stale = 0;
    for (std::size_t j = 0; j < step_at.size(); ++j) {
        auto it = std::find_if(seen.begin(), seen.end(),
                               [&](const observed& e) { return e.at > step_at[j] && e.count >= step_target[j]; });
        if (it == seen.end()) ++unreflected;
        else reflect_us.push_back(std::uint32_t((it->at - step_at[j]) / 1000));
    }
    for (const auto& e : seen) {
        auto later = std::upper_bound(step_at.begin(), step_at.end(), e.at);
        if (later != step_at.begin() && e.count > step_target[std::size_t(later - step_at.begin()) - 1]) ++stale;
    }

    const double mean_live = step_at.empty() ? double(connected) : live_sum / double(step_at.size());
    const bool timed_out = expired();
    if (timed_out) ok = false, problems.push_back(g_interrupted ? "interrupted" : "time limit hit");
    if (died) ok = false, problems.push_back("herald " + stop_note);
    if (o.occupancy && max_window > 1)
        problems.push_back("a subscriber got " + std::to_string(max_window) + " tick events within 0.9 interval");
    if (o.occupancy && max_in_10 > 11)
        problems.push_back("a subscriber got " + std::to_string(max_in_10) + " tick events within 10 intervals");
    if (!o.occupancy && events_in_window + join_events)
        problems.push_back("occupancy is off but herald.occupancy events arrived");
    if (o.occupancy && tick_events == 0) problems.push_back("no occupancy tick event in the window");
    if (open_failed) problems.push_back(std::to_string(open_failed) + " churn connects failed");
    if (still_pending) problems.push_back(std::to_string(still_pending) + " churn connects still pending at the end");
    if (pool.stats.closed_while_live) problems.push_back(std::to_string(pool.stats.closed_while_live) + " streams closed by herald");
    if (unparsed) problems.push_back(std::to_string(unparsed) + " occupancy events without a subscribers count");

    ojson out;
    out["occupancy_on"] = o.occupancy;
    out["interval_ms"] = o.interval_ms;
    out["subscribers"] = o.subscribers;
    out["connected"] = connected;
    out["window_s"] = round3(window_s);
    out["herald_cpu_s_per_s"] = round3((cpu1 - cpu0) / 1e6 / window_s);
    out["herald_rss_kib"] = {{"start", rss_start}, {"connected", rss_connected}, {"churn_max", rss_max}, {"end", rss_end}};
    out["herald_bytes_out_per_s"] = std::round(delta(m0, m1, "bytes_out_total") / window_s);
    const double sub_seconds = mean_live * window_s;
    out["occupancy"] = {
        {"events", events_in_window},
        {"per_s", std::round(double(events_in_window) / window_s)},
        {"per_subscriber_per_s", sub_seconds > 0 ? round3(double(events_in_window) / sub_seconds) : 0.0},
        {"tick_per_subscriber_per_s", sub_seconds > 0 ? round3(double(tick_events) / sub_seconds) : 0.0},
        {"bytes_per_s", std::round(double(bytes_in_window) / window_s)},
        {"join_events", join_events},
        {"tick_events", tick_events},
        {"max_in_interval_window", max_window},
        {"max_in_interval_window_with_join", max_window_join},
        {"min_gap_ms", round3(double(min_gap) / 1e6)},
        {"gaps_under_interval", gaps_under_interval},
        {"max_in_10_intervals", max_in_10},
        {"distinct_counts_seen", distinct.size()},
        {"distinct_tick_counts", distinct_ticks.size()},
        {"count_min", distinct.empty() ? 0 : *distinct.begin()},
        {"count_max", distinct.empty() ? 0 : *distinct.rbegin()},
        {"observer_events", seen.size()},
        {"stale_or_transient", stale}};
    out["reflect_latency_ms"] = {{"p50", round3(percentile(reflect_us, 0.5) / 1000)},
                                 {"p99", round3(percentile(reflect_us, 0.99) / 1000)},
                                 {"max", round3(percentile(reflect_us, 1.0) / 1000)},
                                 {"steps", reflect_us.size()},
                                 {"unreflected", unreflected}};
    out["server_counts"] = {{"occupancy_notices", delta(m0, m1, "occupancy_notices_total")},
                            {"occupancy_skipped", delta(m0, m1, "occupancy_skipped_total")},
                            {"sse_streams_total", delta(m0, m1, "sse_streams_total")}};
    out["churn"] = {{"steps", step_at.size()},       {"per_step", o.churn}, {"drift", o.drift},
                    {"closed", closed},              {"opened", opened},    {"open_failed", open_failed},
                    {"live_end", live_end},          {"expected_end", target}, {"mean_live", std::round(mean_live)}};
    out["connect_s"] = round3(connect_s);
    out["client_cpu_s_per_s"] = round3((self1 - self0) / 1e6 / window_s);
    out["threads"] = o.threads;
    out["config"] = {{"channels", ojson::array({entry})}, {"occupancy_interval_ms", o.interval_ms}};
    out["server_stop"] = stop_note;
    out["server_log"] = server_log_summary(o.server_log);
    out["problems"] = problems;
    std::cout << out.dump() << std::endl;
    return ok ? 0 : 1;
}

}  // namespace
}  // namespace herald::bench

int main(int argc, char** argv) {
    using namespace herald::bench;
    occupancy_options o = parse_occupancy_args(argc, argv);
    return run_tool("occupancy_bench", [&] { return run(o); });
}
