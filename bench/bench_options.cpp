// bench_options: parses fanout_bench's flags (--name VALUE or --name=VALUE, checked against
// their ranges) and prints the --help text, which documents every flag and output field.
#include "bench/bench_options.hpp"

#include "bench/arg_reader.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

namespace herald::bench {

namespace {

const char* usage_text =
    "Usage: fanout_bench [options]\n"
    "\n"
    "Fan-out benchmark for herald: starts `herald serve` on free loopback ports, opens N\n"
    "subscribers (SSE or WebSocket) on one channel from a single-threaded epoll client, publishes\n"
    "M events of about 100 bytes (each carrying its send time) over the internal API with a\n"
    "keep-alive connection, and prints one JSON line of figures. Stops herald with SIGTERM at the end.\n"
    "Exit status: 0 run complete, 1 time limit hit / server died / setup failed, 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --herald PATH          herald binary (default: " HERALD_DEFAULT_BINARY ")\n"
    "  --transport T          sse, ws (RFC 6455 on /v1/ws?channel=), or mix (even subscribers SSE,\n"
    "                         odd ones WebSocket) (default sse)\n"
    "  --subscribers N        subscribers on the channel (default 10000)\n"
    "  --events M             events to publish (default 200)\n"
    "  --rate R               publishes per second; 0 = as fast as possible (default 0)\n"
    "  --threads T            herald I/O threads (default 2)\n"
    "  --connect-window W     connects in flight at once (default 500)\n"
    "  --connect-timeout S    seconds one subscriber may take to get its stream head (default 10)\n"
    "  --time-limit S         total wall-clock limit in seconds (default 120)\n"
    "  --drain-idle S         stop waiting for deliveries after S seconds without one (default 5)\n"
    "  --payload-bytes B      size of each published body (default 100)\n"
    "  --raw-sockets K        loopback pairs for the raw write() floor (default 1000)\n"
    "  --raw-writes W         100-byte writes timed for the floor (default 8000)\n"
    "  --log-level L          herald --log-level (default warn)\n"
    "  --server-log PATH      herald's stderr/stdout (default /tmp/fanout_bench-PID.log)\n"
    "  --server-arg ARG       extra argument for `herald serve` (repeatable)\n"
    "  --redis URL            two nodes on this Redis (redis://host:port): subscribers on the measured\n"
    "                         herald, publishes through a second one, so every event crosses Redis\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  fanout_bench                                     # 10,000 subscribers x 200 events, flat out\n"
    "  fanout_bench --rate 2 --events 20                # below saturation: time to the last subscriber\n"
    "  fanout_bench --subscribers 1000 --events 2000    # fewer subscribers, many events (coalescing)\n"
    "  fanout_bench --transport ws                      # the same over WebSocket\n"
    "  fanout_bench --threads 1 --server-arg --outbox-bytes --server-arg 65536\n"
    "\n"
    "Output fields: transport, deliveries, missing (= connected x events - deliveries),\n"
    "deliveries_per_s over the publish+drain window, latency_ms {p50,p99,max} from the payload\n"
    "timestamp to the read() that returned it (client lag included), time_to_last_ms per event,\n"
    "server_cpu_us_per_delivery (herald utime+stime over the publish+drain window / deliveries),\n"
    "rss_kib_per_idle_conn (herald VmRSS delta / connected subscribers; kernel socket memory is not\n"
    "in RSS), raw_write_us (CPU of one 100-byte write() to a loopback TCP socket with a draining\n"
    "reader, measured in this run). WebSocket subscribers answer server pings (counted in ws.pongs_sent).\n";

transport parse_transport(const std::string& v) {
    if (v == "sse") return transport::sse;
    if (v == "ws") return transport::ws;
    if (v == "mix") return transport::mix;
    usage_error("fanout_bench", "--transport: '" + v + "' is not one of sse, ws, mix");
}

}  // namespace

const char* transport_name(transport t) {
    switch (t) {
        case transport::sse: return "sse";
        case transport::ws: return "ws";
        case transport::mix: return "mix";
    }
    return "?";
}

options parse_args(int argc, char** argv) {
    options o;
    arg_reader args("fanout_bench", usage_text, argc, argv);
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--herald") o.herald = args.value();
        else if (a == "--transport") o.kind = parse_transport(args.value());
        else if (a == "--subscribers") o.subscribers = std::size_t(args.number(1, 1e6));
        else if (a == "--events") o.events = std::size_t(args.number(1, 1e7));
        else if (a == "--rate") o.rate = args.number(0, 1e7);
        else if (a == "--threads") o.threads = unsigned(args.number(1, 256));
        else if (a == "--connect-window") o.connect_window = std::size_t(args.number(1, 1e6));
        else if (a == "--connect-timeout") o.connect_timeout_s = args.number(0.1, 3600);
        else if (a == "--time-limit") o.time_limit_s = args.number(1, 86400);
        else if (a == "--drain-idle") o.drain_idle_s = args.number(0.1, 3600);
        else if (a == "--payload-bytes") o.payload_bytes = std::size_t(args.number(40, 60000));
        else if (a == "--raw-sockets") o.raw_sockets = std::size_t(args.number(1, 5000));
        else if (a == "--raw-writes") o.raw_writes = std::size_t(args.number(0, 1e7));
        else if (a == "--log-level") o.log_level = args.value();
        else if (a == "--server-log") o.server_log = args.value();
        else if (a == "--server-arg") o.server_args.push_back(args.value());
        else if (a == "--redis") o.redis = args.value();
        else args.fail("unknown option '" + a + "'");
    }
    if (o.server_log.empty()) o.server_log = "/tmp/fanout_bench-" + std::to_string(getpid()) + ".log";
    return o;
}

}  // namespace herald::bench
