// `herald probe`: asks a running gateway whether it is ready (GET /readyz) or alive (GET /healthz)
// and exits 0 or 1, so a container health check or a Kubernetes exec probe needs no curl in the
// image. The address is --url, else HERALD_URL, else the one HERALD_INTERNAL binds (a wildcard
// host probed through loopback), so inside the container it follows the serve settings it shares.
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "lib/client/http_client.hpp"
#include "lib/util/duration.hpp"

namespace herald::cmd {

namespace {

struct probe_options {
    std::string url;
    bool live = false;
    bool ready = false;
    std::string timeout = "2s";
};

// The URL a HERALD_INTERNAL value (HOST:PORT, :PORT, 0.0.0.0:PORT, [::]:PORT) is reached at from
// the same host; empty when the value has no port.
std::string url_of_bind_address(const std::string& bind) {
    const auto colon = bind.rfind(':');
    if (colon == std::string::npos || colon + 1 == bind.size()) return {};
    std::string host = bind.substr(0, colon);
    const std::string port = bind.substr(colon + 1);
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "*") host = "127.0.0.1";
    return "http://" + host + ":" + port;
}

std::string probe_url(const probe_options& o) {
    if (!o.url.empty()) return o.url;  // --url or HERALD_URL (CLI11 reads the variable)
    if (const char* bind = std::getenv("HERALD_INTERNAL"); bind && *bind) {
        auto u = url_of_bind_address(bind);
        if (!u.empty()) return u;
    }
    return default_url;
}

int run_probe(context& ctx, const probe_options& o) {
    if (o.live && o.ready) {
        ctx.err << "herald: --live and --ready ask different questions; give one\n"
                   "hint: --ready (the default) for readiness and health checks, --live for liveness\n";
        return exit_usage;
    }
    const auto timeout_ms = util::parse_duration_ms(o.timeout);
    if (!timeout_ms || *timeout_ms <= 0 || *timeout_ms > 60000) {
        ctx.err << "herald: --timeout '" << o.timeout << "' is not a duration from 1ms to 60s\n"
                << "hint: e.g. --timeout 2s or --timeout 500ms\n";
        return exit_usage;
    }
    const std::string text = probe_url(o);
    auto url = client::parse_url(text);
    if (!url) {
        ctx.err << "herald: " << url.err().message << "\nhint: " << url.err().hint << "\n";
        return exit_usage;
    }
    const std::string path = o.live ? "/healthz" : "/readyz";
    const std::string where = "http://" + (url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host) +
                              ":" + url->port + path;
    // The whole exchange (resolve, connect, request, reply) is bounded by --timeout.
    auto reply = client::http_request(*url, "GET", path, {}, {}, {}, std::chrono::milliseconds(*timeout_ms));
    if (!reply) {
        ctx.err << "herald: " << (o.live ? "not alive" : "not ready") << ": " << reply.err().message << " (--timeout "
                << o.timeout << ")\n"
                << "hint: " << reply.err().hint << "\n";
        return exit_failure;
    }
    // Only herald's own answer counts: {"status": "..."} as JSON, so a probe pointed at some other
    // server that answers 200 to everything fails instead of passing.
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    const std::string status =
        body.is_object() && body.contains("status") && body["status"].is_string() ? body["status"].get<std::string>() : "";
    if (status.empty()) {
        ctx.err << "herald: " << where << " answered " << reply->status << " without herald's {\"status\":...}\n"
                << "hint: is that address a herald listener? give --url http://HOST:PORT of herald's internal listener\n";
        return exit_failure;
    }
    const bool ok = reply->status == 200 && (o.live ? (status == "ok" || status == "stopping") : status == "ready");
    if (!ok) {
        ctx.err << "herald: " << (o.live ? "not alive" : "not ready") << ": " << status << " (" << reply->status
                << " from " << where << ")\n";
        if (status == "draining") ctx.err << "hint: the gateway received SIGTERM and is draining its streams\n";
        if (status == "broker_unavailable") ctx.err << "hint: the gateway cannot reach its broker (Redis); see its log\n";
        return exit_failure;
    }
    ctx.out << "herald: " << (o.live ? "alive" : "ready") << (status == "stopping" ? ", draining" : "") << " (" << where
            << ")\n";
    return exit_ok;
}

}  // namespace

runner register_probe(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("probe", "Check that a running gateway is ready (or alive); exit 0 or 1");
    auto o = std::make_shared<probe_options>();
    sub->add_flag("--ready", o->ready, "Ask /readyz: ready for traffic (the default; 503 while draining or without its broker)");
    sub->add_flag("--live", o->live, "Ask /healthz: the process answers (also while draining)");
    sub->add_option("--url", o->url,
                    "Listener to ask (default: the address HERALD_INTERNAL binds, else http://127.0.0.1:8081)")
        ->envname("HERALD_URL");
    sub->add_option("--timeout", o->timeout, "Give up after this long (500ms, 2s, ...)")
        ->type_name("DURATION")
        ->capture_default_str();
    sub->footer(
        "Exit status: 0 ready (or alive), 1 not, or not reachable, 2 usage error.\n"
        "\n"
        "Examples:\n"
        "  herald probe                                 is the local gateway ready?\n"
        "  herald probe --live                          is it alive (liveness probe)?\n"
        "  herald probe --url http://127.0.0.1:9001 --timeout 1s\n"
        "  HEALTHCHECK CMD [\"herald\", \"probe\"]          (Dockerfile: no curl needed in the image)");
    return [&ctx, o] { return run_probe(ctx, *o); };
}

}  // namespace herald::cmd
