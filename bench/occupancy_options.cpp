// occupancy_options: parses occupancy_bench's flags (--name VALUE or --name=VALUE, checked against
// their ranges) and prints the --help text, which documents every flag and output field.
#include "bench/occupancy_options.hpp"

#include "bench/arg_reader.hpp"

#include <unistd.h>

namespace herald::bench {

namespace {

const char* occupancy_usage =
    "Usage: occupancy_bench [options]\n"
    "\n"
    "Occupancy benchmark for herald (issue 15): starts `herald serve` with a config file holding the\n"
    "channel policy {\"pattern\":\"live:*\",\"occupancy\":true} (or without occupancy, --occupancy off,\n"
    "for comparison) and --occupancy-interval, opens N SSE subscribers to one channel from one\n"
    "single-threaded epoll client, then churns for the duration: every step K live subscribers\n"
    "(the oldest first) close and K+D new ones connect, so the channel's count moves by D per step\n"
    "and every occupancy tick has a new count to send. (With D = 0 the count returns to N as soon as\n"
    "a step's connects complete and most ticks would send nothing.) Prints one JSON line; stops\n"
    "herald with SIGTERM at the end.\n"
    "Exit status: 0 run complete (read `problems`), 1 time limit hit / server died / setup failed,\n"
    "2 usage error.\n"
    "\n"
    "Options:\n"
    "  --occupancy on|off     the channel policy's occupancy (default on)\n"
    "  --interval MS          presence.occupancy_interval, 100..60000 (default 1000)\n"
    "  --subscribers N        subscribers at the start (default 10000)\n"
    "  --duration S           seconds of churn (default 20)\n"
    "  --step-ms MS           one churn step every MS (default 100)\n"
    "  --churn K              closed and opened per step (default 50)\n"
    "  --drift D              opened beyond K per step (default 1)\n"
    "  --channel NAME         the channel (default live:bench; the policy pattern is live:*)\n"
    "  --threads T            herald I/O threads (default 2)\n"
    "  --connect-window W     connects in flight at once while opening the first N (default 500)\n"
    "  --connect-timeout S    seconds one subscriber may take to reach its stream start (default 10)\n"
    "  --settle S             seconds between the last connect and the churn window (default 3)\n"
    "  --drain S              seconds of reading after the last step (default 3)\n"
    "  --time-limit S         total wall-clock limit (default: duration + 180)\n"
    "  --log-level L          herald --log-level (default warn)\n"
    "  --server-log PATH      herald's stderr/stdout (default /tmp/occupancy_bench-PID.log; the config\n"
    "                         file is written beside it, PATH.config.json)\n"
    "  --server-arg ARG       extra argument for `herald serve` (repeatable)\n"
    "  --herald PATH          herald binary (default: " HERALD_DEFAULT_BINARY ")\n"
    "  --help                 this text\n"
    "\n"
    "Output fields (rates are per second of the churn window, window_s):\n"
    "  herald_cpu_s_per_s     herald's utime+stime (/proc/PID/stat) over the window, per second\n"
    "  herald_rss_kib         {start, connected, churn_max (sampled every step), end}\n"
    "  herald_bytes_out_per_s herald_bytes_out_total delta per second (all traffic: stream heads of\n"
    "                         the new subscribers too)\n"
    "  occupancy              {events (received by all subscribers in the window), per_s,\n"
    "                         per_subscriber_per_s (events / subscriber-seconds of live streams),\n"
    "                         bytes_per_s (the SSE blocks received: event line, data line, blank\n"
    "                         line), join_events (the count a subscriber gets right after it\n"
    "                         subscribes), tick_events (the others), max_in_interval_window (the\n"
    "                         most tick events any one subscriber received within any span of 0.9\n"
    "                         interval, 10% left for delivery jitter; must be <= 1),\n"
    "                         max_in_interval_window_with_join (the same with the join event),\n"
    "                         min_gap_ms (shortest time between two tick events of one subscriber),\n"
    "                         gaps_under_interval (consecutive tick events of one subscriber less\n"
    "                         than one interval apart), max_in_10_intervals (the same over 10\n"
    "                         intervals, where jitter matters less: must be <= 11),\n"
    "                         distinct_counts_seen, distinct_tick_counts, count_min, count_max,\n"
    "                         observer_events\n"
    "                         (received by the subscribers that never churn), stale_or_transient\n"
    "                         (observer counts above what the last step should give)}\n"
    "  reflect_latency_ms     {p50, p99, max, steps, unreflected}: per churn step, from the step's\n"
    "                         first close to the first count received by an observer (subscribers\n"
    "                         never churned) that is >= the count the step leads to (the count\n"
    "                         only grows, by D per step); unreflected: steps never reached in time\n"
    "  server_counts          /metrics deltas over the window: occupancy_notices, occupancy_skipped,\n"
    "                         sse_streams_total\n"
    "  churn                  {steps, closed, opened, open_failed, live_end, expected_end}\n"
    "  config                 the channels policy and interval used; problems.\n";

}  // namespace

occupancy_options parse_occupancy_args(int argc, char** argv) {
    occupancy_options o;
    arg_reader args("occupancy_bench", occupancy_usage, argc, argv);
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--herald") o.herald = args.value();
        else if (a == "--occupancy") {
            std::string v = args.value();
            if (v != "on" && v != "off") args.fail("--occupancy: '" + v + "' is not on or off");
            o.occupancy = v == "on";
        } else if (a == "--interval") o.interval_ms = args.number(100, 60000);
        else if (a == "--subscribers") o.subscribers = std::size_t(args.number(1, 1e6));
        else if (a == "--duration") o.duration_s = args.number(1, 86400);
        else if (a == "--step-ms") o.step_ms = args.number(10, 60000);
        else if (a == "--churn") o.churn = std::size_t(args.number(0, 1e5));
        else if (a == "--drift") o.drift = std::size_t(args.number(0, 1e4));
        else if (a == "--channel") o.channel = args.value();
        else if (a == "--threads") o.threads = unsigned(args.number(1, 256));
        else if (a == "--connect-window") o.connect_window = std::size_t(args.number(1, 1e6));
        else if (a == "--connect-timeout") o.connect_timeout_s = args.number(0.1, 3600);
        else if (a == "--settle") o.settle_s = args.number(0, 3600);
        else if (a == "--drain") o.drain_s = args.number(0, 3600);
        else if (a == "--time-limit") o.time_limit_s = args.number(1, 86400);
        else if (a == "--log-level") o.log_level = args.value();
        else if (a == "--server-log") o.server_log = args.value();
        else if (a == "--server-arg") o.server_args.push_back(args.value());
        else args.fail("unknown option '" + a + "'");
    }
    if (o.churn >= o.subscribers) args.fail("--churn must be below --subscribers (some subscribers observe and never churn)");
    if (o.channel.rfind("live:", 0) != 0 || o.channel.size() == 5)
        args.fail("--channel: '" + o.channel + "' does not match the policy pattern live:*");
    if (o.time_limit_s == 0) o.time_limit_s = o.duration_s + 180;
    if (o.server_log.empty()) o.server_log = "/tmp/occupancy_bench-" + std::to_string(getpid()) + ".log";
    return o;
}

}  // namespace herald::bench
