// soak_options: parses soak_bench's flags (--name VALUE or --name=VALUE, checked against their
// ranges) and prints the --help text, which documents every flag and output field.
#include "bench/soak_options.hpp"

#include "bench/arg_reader.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

namespace herald::bench {

namespace {

const char* soak_usage =
    "Usage: soak_bench [options]\n"
    "\n"
    "Soak test for herald: starts `herald serve` on free loopback ports, holds N subscriber\n"
    "connections from one single-threaded epoll client (blocks of subscribers alternate SSE and\n"
    "WebSocket, so every channel has both; subscriber i is on channel i mod C), publishes at a steady\n"
    "rate over the internal API (round-robin over the channels, each payload carrying its channel's\n"
    "sequence number, its send time and padding; each request with an Idempotency-Key, so a retried\n"
    "publish cannot duplicate) for the duration, and checks that every subscriber\n"
    "got every event of its channel once and in order. Prints one JSON line every interval (herald's\n"
    "RSS and CPU, live connections, deliveries so far), then one JSON summary line. Stops herald with\n"
    "SIGTERM at the end.\n"
    "Exit status: 0 nothing lost, duplicated or dropped; 1 a subscriber lost or duplicated an event, a\n"
    "connection failed or dropped, a publish failed, herald died or the time limit was hit; 2 usage\n"
    "error.\n"
    "\n"
    "Options:\n"
    "  --herald PATH          herald binary (default: " HERALD_DEFAULT_BINARY ")\n"
    "  --connections N        subscriber connections held (default 19000; this process and herald\n"
    "                         each need N + 100 open files)\n"
    "  --channels C           channels the subscribers are spread over (default 100)\n"
    "  --rate R               publishes per second, over all channels (default 50)\n"
    "  --duration S           seconds of publishing (default 600)\n"
    "  --interval S           seconds between progress lines (default 30)\n"
    "  --warmup S             RSS after warm-up is read at the first progress line at or after S seconds\n"
    "                         of publishing, capped at 3/4 of the duration (default 360: at herald's\n"
    "                         defaults and 50/s over 100 channels, history (100 events per channel)\n"
    "                         is full after 200 s and the publisher's Idempotency-Keys (kept 5 min)\n"
    "                         stop accumulating after 300 s)\n"
    "  --payload-bytes B      size of each published body (default 100)\n"
    "  --threads T            herald I/O threads (default 2)\n"
    "  --connect-window W     connects in flight at once (default 500)\n"
    "  --connect-timeout S    seconds one subscriber may take to get its stream head (default 10)\n"
    "  --drain-idle S         after the last publish, stop waiting for deliveries after S seconds\n"
    "                         without one (default 5)\n"
    "  --time-limit S         total wall-clock limit (default: duration + 300)\n"
    "  --log-level L          herald --log-level (default warn)\n"
    "  --server-log PATH      herald's stderr/stdout (default /tmp/soak_bench-PID.log)\n"
    "  --server-arg ARG       extra argument for `herald serve` (repeatable)\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  soak_bench                                          # 19,000 connections, 50 events/s, 10 minutes\n"
    "  soak_bench --connections 2000 --duration 30 --interval 5 --warmup 10   # a quick check\n"
    "  soak_bench --rate 200 --server-arg --history-size --server-arg 20\n"
    "\n"
    "Progress lines {\"progress\":..}: t_s (seconds since publishing started; negative: before),\n"
    "server_rss_kib (VmRSS of herald), server_cpu_s, client_rss_kib, live (subscribers with an open\n"
    "stream), published, deliveries, expected (published x subscribers of each channel, events still in\n"
    "flight included), gaps, duplicates, closed_while_live, and from herald's /metrics: connections_open,\n"
    "slow_consumer_disconnects, history_events.\n"
    "Summary line {\"summary\":..}: connections {asked, held_at_start, held_at_end, connect_failures,\n"
    "closed_while_live, reasons}, events_published, publish_errors, deliveries {expected, received,\n"
    "missing, by transport}, order {gaps (events skipped inside a stream), lost_at_end (events never\n"
    "received after the drain), duplicates, wrong_channel, unparsed, subscribers_with_loss,\n"
    "subscribers_with_duplicates}, disconnects {slow_consumer (herald metric), control_events by SSE\n"
    "event name or WebSocket op, ws_close_codes}, latency_ms {p50, p99, max} (payload send time to the\n"
    "client's read()), server_rss_kib {start, connected, warmup (with its t_s), end, max, growth_kib,\n"
    "growth_pct, slope_kib_per_min after warm-up}, server_stop, server_log, problems, ok.\n";

}  // namespace

soak_options parse_soak_args(int argc, char** argv) {
    soak_options o;
    arg_reader args("soak_bench", soak_usage, argc, argv);
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--herald") o.herald = args.value();
        else if (a == "--connections") o.connections = std::size_t(args.number(1, 1e6));
        else if (a == "--channels") o.channels = std::size_t(args.number(1, 100000));
        else if (a == "--rate") o.rate = args.number(0.01, 1e6);
        else if (a == "--duration") o.duration_s = args.number(1, 7 * 86400);
        else if (a == "--interval") o.interval_s = args.number(0.1, 86400);
        else if (a == "--warmup") o.warmup_s = args.number(0, 7 * 86400);
        else if (a == "--payload-bytes") o.payload_bytes = std::size_t(args.number(60, 60000));
        else if (a == "--threads") o.threads = unsigned(args.number(1, 256));
        else if (a == "--connect-window") o.connect_window = std::size_t(args.number(1, 1e6));
        else if (a == "--connect-timeout") o.connect_timeout_s = args.number(0.1, 3600);
        else if (a == "--drain-idle") o.drain_idle_s = args.number(0.1, 3600);
        else if (a == "--time-limit") o.time_limit_s = args.number(1, 8 * 86400);
        else if (a == "--log-level") o.log_level = args.value();
        else if (a == "--server-log") o.server_log = args.value();
        else if (a == "--server-arg") o.server_args.push_back(args.value());
        else args.fail("unknown option '" + a + "'");
    }
    if (o.channels > o.connections) args.fail("--channels: more channels than connections");
    if (o.time_limit_s == 0) o.time_limit_s = o.duration_s + 300;
    if (o.server_log.empty()) o.server_log = "/tmp/soak_bench-" + std::to_string(getpid()) + ".log";
    return o;
}

}  // namespace herald::bench
