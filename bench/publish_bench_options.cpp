// publish_bench_options: parses publish_bench's flags (--name VALUE or --name=VALUE, checked
// against their ranges) and prints the --help text, which documents every flag and output field.
#include "bench/publish_bench_options.hpp"

#include "bench/arg_reader.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace herald::bench {

namespace {

const char* usage_text =
    "Usage: publish_bench [options]\n"
    "\n"
    "Publish-path benchmark: server CPU per publish with no subscriber. Starts `herald serve` on\n"
    "free loopback ports (or targets an external server with --url), opens C keep-alive HTTP/1.1\n"
    "publisher connections from one epoll thread, each sending POSTs of about 100 bytes back to\n"
    "back (one request in flight per connection), and prints one JSON line: publishes/s and the\n"
    "server's CPU per publish, user and kernel, from /proc/PID/stat over the measured window.\n"
    "Exit status: 0 run complete with no error, 1 errors / time limit / server died / setup failed,\n"
    "2 usage error.\n"
    "\n"
    "Options:\n"
    "  --herald PATH          herald binary (default: " HERALD_DEFAULT_BINARY ")\n"
    "  --url URL              publish to this external server instead (http://HOST:PORT/PATH, POST to\n"
    "                         exactly that path; {ch} in PATH is replaced by the channel name)\n"
    "  --server-pid PID[,PID] the external server's processes whose CPU is measured (required with\n"
    "                         --url; for nginx give the worker's pid)\n"
    "  --api raw|json         herald route: raw = POST /v1/channels/{ch}/events with the body as\n"
    "                         the event (the shape Nchan's publisher gets); json = POST /v1/publish\n"
    "                         {\"channel\":..,\"data\":BODY} (default raw)\n"
    "  --connections C        keep-alive publisher connections (default 32)\n"
    "  --channels N           connection i publishes to channel NAME-(i mod N); 1 = all to NAME\n"
    "                         (default 1)\n"
    "  --channel NAME         channel name (default bench)\n"
    "  --duration S           measured seconds of publishing (default 10)\n"
    "  --count M              stop after M measured publishes instead (default 0: use --duration)\n"
    "  --warmup S             seconds of publishing before the measured window (default 1)\n"
    "  --payload-bytes B      body size of each publish (default 100)\n"
    "  --threads T            herald I/O threads (default 2)\n"
    "  --time-limit S         total wall-clock limit (default 300)\n"
    "  --log-level L          herald --log-level (default warn)\n"
    "  --server-log PATH      herald's stderr/stdout (default /tmp/publish_bench-PID.log)\n"
    "  --server-arg ARG       extra argument for `herald serve` (repeatable)\n"
    "  --label TEXT           copied to the output's \"label\" (to tell runs apart)\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  publish_bench                                   # herald, 32 publishers, 10 s, 2 threads\n"
    "  publish_bench --threads 1                       # herald on one I/O thread\n"
    "  publish_bench --api json                        # POST /v1/publish with a JSON envelope\n"
    "  publish_bench --connections 1 --duration 5      # one publisher: round-trip bound\n"
    "  publish_bench --url http://127.0.0.1:8090/pub/{ch} --server-pid 12345   # Nchan (bench/nchan/run.sh)\n"
    "  perf record -g -p $(pgrep -n herald) -- sleep 5 & publish_bench --duration 8   # profile\n"
    "\n"
    "Each body is {\"i\":N,\"pad\":\"xx..\"} padded to --payload-bytes, sent with\n"
    "Content-Type: application/json and Content-Length; any 2xx reply counts as a publish.\n"
    "\n"
    "Output fields: target (herald or the URL), connections, publishes (2xx replies in the window),\n"
    "publishes_per_s, server_cpu_us_per_publish {user, kernel, total} (utime/stime deltas of the\n"
    "server process(es) over the window / publishes; /proc ticks are 10 ms, so +-0.01 s over the\n"
    "window), server_cpu_s {user, kernel}, window_s, client_cpu_us_per_publish (this process),\n"
    "other_cpu_s (busy CPU of the whole machine from /proc/stat minus server and client over the\n"
    "window: other load competing for the CPUs), load_avg (1-minute, before and after), rtt_us\n"
    "{p50, p99, max} per request, errors with error_samples, reply (status and body of the first\n"
    "reply), server_metrics (herald's non-zero /metrics counters after the run, herald_ prefix dropped), server_stop.\n";

}  // namespace

publish_options parse_publish_args(int argc, char** argv) {
    publish_options o;
    arg_reader args("publish_bench", usage_text, argc, argv);
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--herald") o.herald = args.value();
        else if (a == "--url") o.url = args.value();
        else if (a == "--server-pid") {
            std::stringstream in(args.value());
            std::string part;
            while (std::getline(in, part, ','))
                if (!part.empty()) o.server_pids.push_back(pid_t(args.number(part, 1, 1e9)));
        } else if (a == "--api") {
            auto s = args.value();
            if (s == "raw") o.api = publish_api::raw;
            else if (s == "json") o.api = publish_api::json;
            else args.fail("--api: '" + s + "' is not one of raw, json");
        } else if (a == "--connections") o.connections = std::size_t(args.number(1, 10000));
        else if (a == "--channels") o.channels = std::size_t(args.number(1, 1e6));
        else if (a == "--channel") o.channel = args.value();
        else if (a == "--duration") o.duration_s = args.number(0.1, 86400);
        else if (a == "--count") o.count = std::size_t(args.number(0, 1e10));
        else if (a == "--warmup") o.warmup_s = args.number(0, 3600);
        else if (a == "--payload-bytes") o.payload_bytes = std::size_t(args.number(20, 60000));
        else if (a == "--threads") o.threads = unsigned(args.number(1, 256));
        else if (a == "--time-limit") o.time_limit_s = args.number(1, 86400);
        else if (a == "--log-level") o.log_level = args.value();
        else if (a == "--server-log") o.server_log = args.value();
        else if (a == "--server-arg") o.server_args.push_back(args.value());
        else if (a == "--label") o.label = args.value();
        else args.fail("unknown option '" + a + "'");
    }
    if (!o.url.empty() && o.url.rfind("http://", 0) != 0) args.fail("--url: only http:// URLs are supported");
    if (!o.url.empty() && o.server_pids.empty()) args.fail("--url needs --server-pid (whose CPU to measure)");
    if (o.url.empty() && !o.server_pids.empty()) args.fail("--server-pid is for an external server (--url)");
    if (o.server_log.empty()) o.server_log = "/tmp/publish_bench-" + std::to_string(getpid()) + ".log";
    return o;
}

}  // namespace herald::bench
