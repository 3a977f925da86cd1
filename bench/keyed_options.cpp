// keyed_options: parses keyed_bench's flags (--name VALUE or --name=VALUE, checked against their
// ranges) and prints the --help text, which documents every flag and output field.
#include "bench/keyed_options.hpp"

#include "bench/arg_reader.hpp"

#include <unistd.h>

namespace herald::bench {

namespace {

const char* keyed_usage =
    "Usage: keyed_bench --scenario ticker|counter [options]\n"
    "\n"
    "Keyed-channel benchmark for herald (issue 13): starts `herald serve` with a channels policy in a\n"
    "config file of its own, opens SSE subscribers from one single-threaded epoll client, publishes\n"
    "batches (POST /v1/publish {\"events\":[...]}) from one keep-alive connection at a steady pace for\n"
    "the duration, and prints one JSON line of figures. Stops herald with SIGTERM at the end.\n"
    "Exit status: 0 run complete (read `problems`), 1 time limit hit / server died / setup failed,\n"
    "2 usage error.\n"
    "\n"
    "  ticker   one channel ticker:bench (keyed), K keys each updated R times a second round-robin,\n"
    "           N subscribers of which a fraction read slowly (small SO_RCVBUF, paced reads).\n"
    "           --conflate on: {\"keyed\":true,\"conflate\":W,\"slow_consumer\":\"conflate\"};\n"
    "           --conflate off: {\"keyed\":true} (slow_consumer disconnect).\n"
    "  counter  channels user:0..C-1 (keyed), one subscriber each, increments {\"key\":\"n\",\"incr\":1}\n"
    "           to channels drawn at random; every subscriber's last value must equal the increments\n"
    "           its channel acknowledged.\n"
    "A stream that ends during the run reconnects at once with its Last-Event-ID (as EventSource).\n"
    "\n"
    "Options:\n"
    "  --scenario S           ticker or counter (default ticker)\n"
    "  --conflate on|off      ticker: the channel's policy conflates (default on)\n"
    "  --conflate-window W    the conflate window (default 100ms)\n"
    "  --duration S           seconds of publishing (default 20)\n"
    "  --subscribers N        default 5000 (ticker) or one per channel (counter)\n"
    "  --keys K               ticker keys (default 500)\n"
    "  --updates-per-key R    ticker updates per key per second (default 20)\n"
    "  --batches-per-s B      publish requests per second (default 50)\n"
    "  --slow-fraction F      ticker: share of subscribers that read slowly (default 0.1)\n"
    "  --slow-bytes-per-s X   what one slow reader reads per second (default 4096)\n"
    "  --slow-rcvbuf X        SO_RCVBUF of a slow reader's socket (default 4096; Linux doubles it)\n"
    "  --channels C           counter channels (default 10000)\n"
    "  --incr-rate R          counter increments per second over all channels (default 2000)\n"
    "  --threads T            herald I/O threads (default 2)\n"
    "  --connect-window W     connects in flight at once (default 500)\n"
    "  --connect-timeout S    seconds one subscriber may take to reach its stream start (default 10)\n"
    "  --drain S              seconds of reading after the last publish (default 3)\n"
    "  --time-limit S         total wall-clock limit (default: duration + 120)\n"
    "  --log-level L          herald --log-level (default warn)\n"
    "  --server-log PATH      herald's stderr/stdout (default /tmp/keyed_bench-PID.log; the config\n"
    "                         file is written beside it, PATH.config.json)\n"
    "  --server-arg ARG       extra argument for `herald serve` (repeatable)\n"
    "  --herald PATH          herald binary (default: " HERALD_DEFAULT_BINARY ")\n"
    "  --help                 this text\n"
    "\n"
    "Output fields (rates are over the publish window, window_s): publish {published, per_s, requests,\n"
    "errors, rtt_ms_p50/p99 per batch}; herald_bytes_out_per_s (herald_bytes_out_total delta);\n"
    "herald_cpu_s_per_s (utime+stime from /proc/PID/stat); herald_deliveries_per_s; client_cpu_s_per_s;\n"
    "received {fast, slow, per reader per s, bytes}; latency_ms {p50,p99,max,count}: fast readers, the\n"
    "wall-clock time of the read() that returned an event minus its published_at (herald's publish time,\n"
    "whole ms, so up to 1 ms high); ticker: latency_from_send_ms (read() minus the send time in the\n"
    "data, CLOCK_MONOTONIC: includes the batch's round trip), slow_staleness_ms (slow readers, per event\n"
    "received: read() time minus its published_at, i.e. how old the value was when the reader got it),\n"
    "slow_held_age_at_end_ms (when publishing stops, for every live slow reader and key: now minus\n"
    "published_at of the value it holds; a reader that were current would hold values at most\n"
    "1/R s old); counter: final_values {checked, mismatches, unknown_increments (in requests that got\n"
    "no reply), samples}; disconnects {slow_consumer_metric (herald_slow_consumer_disconnects_total\n"
    "delta), eof_fast, eof_slow (streams that ended during the run, client side), reconnects,\n"
    "control_events by SSE event name}; server_counts (conflated_events, slow_consumer_replaced,\n"
    "publishes, deliveries: /metrics deltas); config (the channels policy used); problems.\n";

}  // namespace

keyed_options parse_keyed_args(int argc, char** argv) {
    keyed_options o;
    arg_reader args("keyed_bench", keyed_usage, argc, argv);
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--herald") o.herald = args.value();
        else if (a == "--scenario") o.scenario = args.value();
        else if (a == "--conflate") {
            std::string v = args.value();
            if (v != "on" && v != "off") args.fail("--conflate: '" + v + "' is not on or off");
            o.conflate = v == "on";
        } else if (a == "--conflate-window") o.conflate_window = args.value();
        else if (a == "--duration") o.duration_s = args.number(1, 86400);
        else if (a == "--subscribers") o.subscribers = std::size_t(args.number(1, 1e6));
        else if (a == "--keys") o.keys = std::size_t(args.number(1, 100000));
        else if (a == "--updates-per-key") o.updates_per_key = args.number(0.01, 1e5);
        else if (a == "--batches-per-s") o.batches_per_s = args.number(1, 1000);
        else if (a == "--slow-fraction") o.slow_fraction = args.number(0, 1);
        else if (a == "--slow-bytes-per-s") o.slow_bytes_per_s = args.number(1, 1e9);
        else if (a == "--slow-rcvbuf") o.slow_rcvbuf = int(args.number(1024, 1 << 26));
        else if (a == "--channels") o.channels = std::size_t(args.number(1, 1e6));
        else if (a == "--incr-rate") o.incr_rate = args.number(1, 1e6);
        else if (a == "--threads") o.threads = unsigned(args.number(1, 256));
        else if (a == "--connect-window") o.connect_window = std::size_t(args.number(1, 1e6));
        else if (a == "--connect-timeout") o.connect_timeout_s = args.number(0.1, 3600);
        else if (a == "--drain") o.drain_s = args.number(0, 3600);
        else if (a == "--time-limit") o.time_limit_s = args.number(1, 86400);
        else if (a == "--log-level") o.log_level = args.value();
        else if (a == "--server-log") o.server_log = args.value();
        else if (a == "--server-arg") o.server_args.push_back(args.value());
        else args.fail("unknown option '" + a + "'");
    }
    if (o.scenario != "ticker" && o.scenario != "counter") args.fail("--scenario: '" + o.scenario + "' is not ticker or counter");
    if (o.scenario == "ticker" && o.keys * o.updates_per_key / o.batches_per_s > 1000)
        args.fail("--keys x --updates-per-key / --batches-per-s is over 1000 publishes per request");
    if (o.scenario == "counter" && o.incr_rate / o.batches_per_s > 1000)
        args.fail("--incr-rate / --batches-per-s is over 1000 publishes per request");
    if (o.time_limit_s == 0) o.time_limit_s = o.duration_s + 120;
    if (o.server_log.empty()) o.server_log = "/tmp/keyed_bench-" + std::to_string(getpid()) + ".log";
    return o;
}

}  // namespace herald::bench
