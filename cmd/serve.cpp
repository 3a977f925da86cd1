// `herald serve`: run the gateway. Settings come from flags, HERALD_* variables and a JSON file
// (lib/config/options describes them all). SIGINT/SIGTERM drain it (streams told to come back,
// spread over the drain window), a second signal stops it at once; SIGHUP reloads the settings
// that can change without a restart.
#include <csignal>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <thread>

#include "cmd/commands.hpp"
#include "cmd/logging.hpp"
#include "cmd/settings.hpp"
#include "sidecar/server.hpp"

namespace herald::cmd {

namespace {

void reload(const settings& s, sidecar::server& srv, spdlog::logger& log) {
    std::vector<config::problem> problems;
    auto next = s.resolve(problems);
    if (!problems.empty()) {
        for (const auto& p : problems) log.error("reload refused: {}", config::format_problem(p));
        log.error("SIGHUP: nothing changed (fix the problems above and send SIGHUP again)");
        return;
    }
    try {
        auto restart = srv.reload(std::move(next));
        for (const auto& key : restart) log.warn("SIGHUP: '{}' changed but needs a restart; still running with the old value", key);
        log.info("SIGHUP: settings reloaded{}", s.config_path().empty() ? "" : " from " + s.config_path());
    } catch (const std::exception& e) {
        log.error("SIGHUP: reload refused, nothing changed: {}", e.what());
    }
}

int serve(context& ctx, const settings& s) {
    std::vector<config::problem> problems;
    auto cfg = s.resolve(problems);
    if (!problems.empty()) {
        for (const auto& p : problems) ctx.err << "herald: " << config::format_problem(p) << "\n";
        ctx.err << "hint: see 'herald serve --help' and docs/configuration.md; 'herald check-config FILE' checks a file\n";
        return exit_usage;
    }
    auto log = make_logger(cfg.log_format, cfg.log_level);

    // Signals are taken synchronously by this thread only; I/O threads never see them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<sidecar::server> srv;
    try {
        srv = std::make_unique<sidecar::server>(cfg, log);
        srv->start();
    } catch (const std::exception& e) {
        ctx.err << "herald: " << e.what() << "\n";
        pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
        return exit_failure;
    }
    // Copy-paste hints: a wildcard host is reached through loopback.
    auto reachable = [](std::string endpoint) {
        for (std::string wildcard : {"0.0.0.0:", "[::]:", ":"})
            if (endpoint.rfind(wildcard, 0) == 0) return "127.0.0.1:" + endpoint.substr(wildcard.size());
        return endpoint;
    };
    log->info("publish: curl -d '{{\"channel\":\"news\",\"data\":\"hello\"}}' http://{}/v1/publish",
              reachable(srv->internal_endpoint()));
    log->info("subscribe: curl -N 'http://{}/v1/sse?channel=news'", reachable(srv->public_endpoint()));

    int sig = 0;
    for (;;) {
        sigwait(&signals, &sig);
        if (sig != SIGHUP) break;
        reload(s, *srv, *log);
    }
    log->info("received {}, draining (send it again to stop at once)", sig == SIGINT ? "SIGINT" : "SIGTERM");
    srv->stop();
    std::thread second([&] {
        timespec ts{0, 200 * 1000 * 1000};
        siginfo_t info;
        for (;;) {
            int got = sigtimedwait(&signals, &info, &ts);
            if (got == SIGINT || got == SIGTERM) {
                log->warn("second signal: stopping now");
                srv->abort();
                return;
            }
            if (srv->finished()) return;
        }
    });
    srv->wait();
    second.join();
    log->info("stopped");
    return exit_ok;
}

}  // namespace

runner register_serve(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("serve", "Run the gateway: public SSE/WebSocket listener and internal publish API");
    auto s = std::make_shared<settings>();
    s->register_flags(*sub);
    sub->footer(
        "Precedence: flags > HERALD_* variables > --config file > defaults. Durations take ms or 500ms/15s/5m/1h.\n"
        "Signals: SIGTERM/SIGINT drain (twice: stop now), SIGHUP reloads limits, keys, log level and channel policies.\n"
        "Channel policies by pattern live in the config file only, e.g.\n"
        "  {\"channels\": [{\"pattern\": \"prices:*\", \"history_size\": 500, \"history_ttl\": \"30s\", \"public\": true}]}\n"
        "\n"
        "Examples:\n"
        "  herald serve\n"
        "  herald serve --public 0.0.0.0:9000 --internal 127.0.0.1:9001 --log-level debug\n"
        "  herald serve --config /etc/herald/herald.json --log-format json\n"
        "  HERALD_PUBLIC=:8080 herald serve --history-size 1000 --history-ttl 30m\n"
        "  HERALD_JWT_SECRET=$(openssl rand -base64 32) herald serve --public-channels 'news' --api-key \"$KEY\"\n"
        "\n"
        "Subscribe: curl -N 'http://127.0.0.1:8080/v1/sse?channel=news'\n"
        "           new WebSocket('ws://127.0.0.1:8080/v1/ws?channel=news')   (in a page)\n"
        "Publish:   curl -d '{\"channel\":\"news\",\"data\":{\"n\":1}}' http://127.0.0.1:8081/v1/publish");
    return [&ctx, s] { return serve(ctx, *s); };
}

}  // namespace herald::cmd
