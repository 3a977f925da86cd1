// `herald serve`: run the gateway. Flags and HERALD_* variables over defaults; SIGINT/SIGTERM
// stop it cleanly (streams told to come back), a second signal stops it at once.
#include <csignal>
#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <thread>

#include "cmd/commands.hpp"
#include "lib/config/config.hpp"
#include "sidecar/server.hpp"

namespace herald::cmd {

namespace {

int serve(context& ctx, const config::config& cfg) {
    auto level = spdlog::level::from_str(cfg.log_level);
    auto log = std::make_shared<spdlog::logger>("herald", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_level(level);
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

    // Signals are taken synchronously by this thread only; I/O threads never see them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
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
    sigwait(&signals, &sig);
    log->info("received {}, stopping (send it again to stop at once)", sig == SIGINT ? "SIGINT" : "SIGTERM");
    srv->stop();
    std::thread second([&] {
        timespec ts{0, 200 * 1000 * 1000};
        siginfo_t info;
        for (;;) {
            int s = sigtimedwait(&signals, &info, &ts);
            if (s > 0) {
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
    auto cfg = std::make_shared<config::config>();
    sub->add_option("--public", cfg->public_address, "Public listener for subscribers (HOST:PORT)")
        ->envname("HERALD_PUBLIC")
        ->capture_default_str();
    sub->add_option("--internal", cfg->internal_address, "Internal listener for the publish API (HOST:PORT)")
        ->envname("HERALD_INTERNAL")
        ->capture_default_str();
    sub->add_option("--log-level", cfg->log_level, "Log level")
        ->envname("HERALD_LOG_LEVEL")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
        ->capture_default_str();
    sub->add_option("--threads", cfg->threads, "I/O threads (0: one per CPU)")->envname("HERALD_THREADS")->capture_default_str();
    sub->add_option("--history-size", cfg->history.size, "Events kept per channel for resume")
        ->envname("HERALD_HISTORY_SIZE")
        ->capture_default_str();
    sub->add_option("--history-ttl", cfg->history.ttl_ms, "Milliseconds an event stays in history")
        ->envname("HERALD_HISTORY_TTL")
        ->capture_default_str();
    sub->add_option("--keepalive", cfg->sse.keepalive_ms, "Milliseconds between SSE keepalive comments")
        ->envname("HERALD_KEEPALIVE")
        ->check(CLI::Range(100, 3600000))
        ->capture_default_str();
    sub->add_option("--ws-ping-interval", cfg->ws.ping_interval_ms,
                    "Milliseconds between WebSocket pings; a client silent for two is closed")
        ->envname("HERALD_WS_PING_INTERVAL")
        ->check(CLI::Range(100, 3600000))
        ->capture_default_str();
    sub->add_option("--ws-max-message-bytes", cfg->ws.max_message_bytes, "Largest WebSocket message a client may send")
        ->envname("HERALD_WS_MAX_MESSAGE_BYTES")
        ->check(CLI::Range(128, 16 << 20))
        ->capture_default_str();
    sub->add_option("--max-channels", cfg->limits.max_channels_per_connection, "Channels one connection may subscribe to")
        ->envname("HERALD_MAX_CHANNELS")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    sub->add_option("--outbox-bytes", cfg->limits.outbox_bytes, "Bytes queued per stream before it is a slow consumer")
        ->envname("HERALD_OUTBOX_BYTES")
        ->check(CLI::Range(1024, 1 << 30))
        ->capture_default_str();
    sub->add_option("--max-connections", cfg->limits.max_connections, "Open connections allowed (both listeners)")
        ->envname("HERALD_MAX_CONNECTIONS")
        ->capture_default_str();
    sub->add_option("--max-body-bytes", cfg->limits.max_body_bytes, "Largest publish request body")
        ->envname("HERALD_MAX_BODY_BYTES")
        ->capture_default_str();
    sub->add_option("--max-event-bytes", cfg->limits.max_event_bytes, "Largest event data")
        ->envname("HERALD_MAX_EVENT_BYTES")
        ->capture_default_str();
    sub->add_option("--jwt-secret", cfg->auth.jwt_secrets,
                    "HMAC secret for HS256/384/512 subscriber tokens (repeat, or comma-separate in the variable, to rotate)")
        ->envname("HERALD_JWT_SECRET")
        ->delimiter(',');
    sub->add_option("--jwt-public-key", cfg->auth.jwt_public_key_files,
                    "PEM file of RS*/ES* public keys; its stem is their kid (repeat to rotate)")
        ->envname("HERALD_JWT_PUBLIC_KEY")
        ->delimiter(',');
    sub->add_option("--jwt-audience", cfg->auth.jwt_audience, "Require this 'aud' in subscriber tokens")
        ->envname("HERALD_JWT_AUDIENCE");
    sub->add_option("--jwt-issuer", cfg->auth.jwt_issuer, "Require this 'iss' in subscriber tokens")->envname("HERALD_JWT_ISSUER");
    sub->add_option("--public-channels", cfg->auth.public_channels,
                    "Channel or trailing-* pattern anyone may subscribe to without a token (repeat)")
        ->envname("HERALD_PUBLIC_CHANNELS")
        ->delimiter(',');
    sub->add_option("--token-cookie", cfg->auth.token_cookie, "Also read the subscriber token from this cookie")
        ->envname("HERALD_TOKEN_COOKIE");
    sub->add_option("--auth-expiring-notice", cfg->auth.expiring_notice_ms,
                    "Milliseconds before a token's exp that streams get herald.auth_expiring")
        ->envname("HERALD_AUTH_EXPIRING_NOTICE")
        ->check(CLI::Range(0, 24 * 3600 * 1000))
        ->capture_default_str();
    sub->add_option("--api-key", cfg->auth.api_keys,
                    "API key publishers and tools send as Authorization: Bearer on the internal listener (repeat)")
        ->envname("HERALD_API_KEY")
        ->delimiter(',');
    sub->footer(
        "Examples:\n"
        "  herald serve\n"
        "  herald serve --public 0.0.0.0:9000 --internal 127.0.0.1:9001 --log-level debug\n"
        "  HERALD_PUBLIC=:8080 herald serve --history-size 1000\n"
        "  HERALD_JWT_SECRET=$(openssl rand -base64 32) herald serve --public-channels 'news' --api-key \"$KEY\"\n"
        "\n"
        "Subscribe: curl -N 'http://127.0.0.1:8080/v1/sse?channel=news'\n"
        "           new WebSocket('ws://127.0.0.1:8080/v1/ws?channel=news')   (in a page)\n"
        "Publish:   curl -d '{\"channel\":\"news\",\"data\":{\"n\":1}}' http://127.0.0.1:8081/v1/publish");
    return [&ctx, cfg] { return serve(ctx, *cfg); };
}

}  // namespace herald::cmd
