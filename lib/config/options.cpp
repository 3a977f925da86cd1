// The option table and the conversions from text and JSON, with one problem per bad value.
#include "lib/config/options.hpp"

#include <cctype>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/config/channel_policies.hpp"
#include "lib/presence/webhook_url.hpp"
#include "lib/util/duration.hpp"
#include "lib/util/url_mask.hpp"

namespace herald::config {

namespace {

constexpr std::int64_t kib = 1024, mib = 1024 * 1024;
constexpr std::int64_t second = 1000, minute = 60 * second, hour = 60 * minute;

#define HERALD_FIELD(path) [](config& c) -> void* { return &c.path; }

const std::vector<option_spec> table = {
    {"public", "public", "HERALD_PUBLIC", value_kind::address,
     "Public listener for subscribers (SSE and WebSocket), HOST:PORT.", {}, 0, 0, false, false,
     HERALD_FIELD(public_address)},
    {"internal", "internal", "HERALD_INTERNAL", value_kind::address,
     "Internal listener for the publish and inspect API, metrics, probes and trusted tools, HOST:PORT. "
     "Off loopback it needs an API key.",
     {}, 0, 0, false, false, HERALD_FIELD(internal_address)},
    {"internal_hosts", "internal-host", "HERALD_INTERNAL_HOSTS", value_kind::list,
     "Host names the internal listener answers to besides loopback names and IP literals (a DNS-rebinding "
     "page's Host is refused with 421).",
     {}, 0, 0, false, true, HERALD_FIELD(internal_hosts)},
    {"broker", "broker", "HERALD_BROKER", value_kind::text,
     "Where channels live: memory (this process only), or redis://[:password@]host:port[/db] so that several "
     "nodes on one Redis act as one gateway.",
     {}, 0, 0, false, false, HERALD_FIELD(broker)},
    {"redis.command_timeout", "redis-command-timeout", "HERALD_REDIS_COMMAND_TIMEOUT", value_kind::millis,
     "A Redis command not answered by then fails with 503 broker_timeout and the connection is recycled.", {},
     50, minute, false, false, HERALD_FIELD(redis.command_timeout_ms)},
    {"redis.ping_interval", "redis-ping-interval", "HERALD_REDIS_PING_INTERVAL", value_kind::millis,
     "Both Redis connections are PINGed this often; no answer within the command timeout marks the broker down.",
     {}, 50, minute, false, false, HERALD_FIELD(redis.ping_interval_ms)},
    {"threads", "threads", "HERALD_THREADS", value_kind::count, "I/O threads; 0 runs one per CPU.", {}, 0, 256, false,
     false, HERALD_FIELD(threads)},
    {"log.level", "log-level", "HERALD_LOG_LEVEL", value_kind::choice, "Log level.", "trace debug info warn error off",
     0, 0, false, true, HERALD_FIELD(log_level)},
    {"log.format", "log-format", "HERALD_LOG_FORMAT", value_kind::choice,
     "Log lines as text, or one JSON object per line for log shippers.", "text json", 0, 0, false, false,
     HERALD_FIELD(log_format)},
    {"metrics.top_channels", "metrics-top-channels", "HERALD_METRICS_TOP_CHANNELS", value_kind::count,
     "How many of the busiest channels (by subscribers) get per-channel figures in /metrics; bounds label "
     "cardinality.",
     {}, 0, 1000, false, true, HERALD_FIELD(metrics_top_channels)},
    {"history.size", "history-size", "HERALD_HISTORY_SIZE", value_kind::count,
     "Events kept per channel for resume.", {}, 1, 100000, false, false, HERALD_FIELD(history.size)},
    {"history.ttl", "history-ttl", "HERALD_HISTORY_TTL", value_kind::millis,
     "How long an event stays in history (milliseconds, or 30s, 10m, 1h).", {}, second, 7 * 24 * hour, false, false,
     HERALD_FIELD(history.ttl_ms)},
    {"history.max_bytes", "history-max-bytes", "HERALD_HISTORY_MAX_BYTES", value_kind::count,
     "Bytes of history kept per channel (data plus 64 bytes per event); the oldest events go first.", {}, kib,
     1024 * mib, false, false, HERALD_FIELD(history.max_bytes)},
    {"history.idempotency_window", "idempotency-window", "HERALD_IDEMPOTENCY_WINDOW", value_kind::millis,
     "How long an idempotency key is remembered; a retry within it gets the first result.", {}, second,
     24 * hour, false, false, HERALD_FIELD(history.idempotency_window_ms)},
    {"history.max_channels", "max-broker-channels", "HERALD_MAX_BROKER_CHANNELS", value_kind::count,
     "Channels with state (position, history) at once; a publish to one more is answered 503. Idle channels "
     "expire with their history.",
     {}, 1, 100000000, false, false, HERALD_FIELD(history.max_channels)},
    {"sse.keepalive", "keepalive", "HERALD_KEEPALIVE", value_kind::millis,
     "Time without output after which an SSE stream gets a keepalive comment.", {}, 100, hour, false, true,
     HERALD_FIELD(sse.keepalive_ms)},
    {"sse.retry", "sse-retry", "HERALD_SSE_RETRY", value_kind::millis,
     "The retry: hint SSE streams start (and end) with: how long EventSource waits to reconnect.", {}, 0, hour,
     false, true, HERALD_FIELD(sse.retry_ms)},
    {"ws.ping_interval", "ws-ping-interval", "HERALD_WS_PING_INTERVAL", value_kind::millis,
     "Time between WebSocket pings; a client silent for two intervals is closed with 4003.", {}, 100, hour, false,
     true, HERALD_FIELD(ws.ping_interval_ms)},
    {"ws.max_message_bytes", "ws-max-message-bytes", "HERALD_WS_MAX_MESSAGE_BYTES", value_kind::count,
     "Largest WebSocket message a client may send; a larger one closes the connection with 1009.", {}, 128, 16 * mib,
     false, true, HERALD_FIELD(ws.max_message_bytes)},
    {"limits.max_channels", "max-channels", "HERALD_MAX_CHANNELS", value_kind::count,
     "Channels one connection may subscribe to.", {}, 1, 1024, false, true,
     HERALD_FIELD(limits.max_channels_per_connection)},
    {"limits.max_batch_publishes", "max-batch-publishes", "HERALD_MAX_BATCH_PUBLISHES", value_kind::count,
     "Publishes one request may expand into (events x channels); more is answered 413.", {}, 1, 100000, false,
     true, HERALD_FIELD(limits.max_batch_publishes)},
    {"limits.outbox_bytes", "outbox-bytes", "HERALD_OUTBOX_BYTES", value_kind::count,
     "Bytes queued for one connection before it counts as a slow consumer and is disconnected (it resumes "
     "with its cursor).",
     {}, kib, 1024 * mib, false, true, HERALD_FIELD(limits.outbox_bytes)},
    {"limits.max_connections", "max-connections", "HERALD_MAX_CONNECTIONS", value_kind::count,
     "Open connections allowed on the public listener; more are answered 503.", {}, 1, 10000000, false, true,
     HERALD_FIELD(limits.max_connections)},
    {"limits.max_internal_connections", "max-internal-connections", "HERALD_MAX_INTERNAL_CONNECTIONS",
     value_kind::count,
     "Open connections allowed on the internal listener, counted apart from the public one so subscribers "
     "never crowd out probes, metrics and publishers.",
     {}, 1, 10000000, false, true, HERALD_FIELD(limits.max_internal_connections)},
    {"limits.max_body_bytes", "max-body-bytes", "HERALD_MAX_BODY_BYTES", value_kind::count,
     "Largest publish request body; larger ones are answered 413.", {}, kib, 256 * mib, false, true,
     HERALD_FIELD(limits.max_body_bytes)},
    {"limits.max_event_bytes", "max-event-bytes", "HERALD_MAX_EVENT_BYTES", value_kind::count,
     "Largest event data; larger ones are answered 413.", {}, 16, 64 * mib, false, true,
     HERALD_FIELD(limits.max_event_bytes)},
    {"limits.max_header_bytes", "max-header-bytes", "HERALD_MAX_HEADER_BYTES", value_kind::count,
     "Largest request line and headers; larger ones are answered 431.", {}, kib, mib, false, true,
     HERALD_FIELD(limits.max_header_bytes)},
    {"limits.request_timeout", "request-timeout", "HERALD_REQUEST_TIMEOUT", value_kind::millis,
     "Time allowed to read one whole request, and to write its reply; checked by the once-a-second "
     "sweep, so a connection past it closes up to a second later.",
     {}, 100, 10 * minute, false, true,
     HERALD_FIELD(limits.request_timeout_ms)},
    {"auth.jwt_secret", "jwt-secret", "HERALD_JWT_SECRET", value_kind::list,
     "HMAC secrets for HS256/384/512 subscriber tokens; several at once for rotation.", {}, 0, 0, true, true,
     HERALD_FIELD(auth.jwt_secrets)},
    {"auth.jwt_public_key", "jwt-public-key", "HERALD_JWT_PUBLIC_KEY", value_kind::list,
     "PEM files of RS*/ES* public keys; a file's stem is its keys' kid.", {}, 0, 0, false, true,
     HERALD_FIELD(auth.jwt_public_key_files)},
    {"auth.jwt_audience", "jwt-audience", "HERALD_JWT_AUDIENCE", value_kind::text,
     "When set, subscriber tokens must name it in aud.", {}, 0, 0, false, true, HERALD_FIELD(auth.jwt_audience)},
    {"auth.jwt_issuer", "jwt-issuer", "HERALD_JWT_ISSUER", value_kind::text,
     "When set, subscriber tokens must carry it as iss.", {}, 0, 0, false, true, HERALD_FIELD(auth.jwt_issuer)},
    {"auth.public_channels", "public-channels", "HERALD_PUBLIC_CHANNELS", value_kind::list,
     "Channels (or trailing-* patterns) anyone may subscribe to without a token; never user: channels.", {}, 0, 0,
     false, true, HERALD_FIELD(auth.public_channels)},
    {"auth.token_cookie", "token-cookie", "HERALD_TOKEN_COOKIE", value_kind::text,
     "Cookie that may carry the subscriber token; needs auth.allowed_origins.", {}, 0, 0, false, true,
     HERALD_FIELD(auth.token_cookie)},
    {"auth.allowed_origins", "allowed-origin", "HERALD_ALLOWED_ORIGINS", value_kind::list,
     "Origins (scheme://host[:port]) whose pages may make credentialed requests; a stream carrying a cookie "
     "token from any other Origin is refused.",
     {}, 0, 0, false, true, HERALD_FIELD(auth.allowed_origins)},
    {"auth.expiring_notice", "auth-expiring-notice", "HERALD_AUTH_EXPIRING_NOTICE", value_kind::millis,
     "How long before a token's exp open streams get herald.auth_expiring.", {}, 0, 24 * hour, false, true,
     HERALD_FIELD(auth.expiring_notice_ms)},
    {"auth.api_key", "api-key", "HERALD_API_KEY", value_kind::list,
     "API keys publishers and tools send as Authorization: Bearer on the internal listener.", {}, 0, 0, true, true,
     HERALD_FIELD(auth.api_keys)},
    {"webhooks.url", "webhook-url", "HERALD_WEBHOOK_URLS", value_kind::list,
     "Endpoints of the app (http://HOST:PORT/PATH, usually on loopback) that get lifecycle webhooks: "
     "user.online/offline and channel.occupied/vacated, debounced, at least once (docs/lifecycle.md).",
     {}, 0, 0, false, false, HERALD_FIELD(webhooks.urls)},
    {"webhooks.events", "webhook-event", "HERALD_WEBHOOK_EVENTS", value_kind::list,
     "The kinds sent: user.online, user.offline, channel.occupied, channel.vacated (default: all four). "
     "resync is always sent.",
     {}, 0, 0, false, false, HERALD_FIELD(webhooks.events)},
    {"webhooks.secret", "webhook-secret", "HERALD_WEBHOOK_SECRET", value_kind::text,
     "Key of the Herald-Signature header (HMAC-SHA256 over the timestamp and body); unset: unsigned.", {}, 0, 0,
     true, false, HERALD_FIELD(webhooks.secret)},
    {"webhooks.debounce", "webhook-debounce", "HERALD_WEBHOOK_DEBOUNCE", value_kind::millis,
     "A user or channel that comes back within this long sends nothing (reloads, reconnects, deploys).", {}, 0,
     10 * minute, false, false, HERALD_FIELD(webhooks.debounce_ms)},
    {"webhooks.queue_size", "webhook-queue-size", "HERALD_WEBHOOK_QUEUE_SIZE", value_kind::count,
     "Items waiting per endpoint; past it the queue is replaced by one resync item.", {}, 1, 10000000, false,
     false, HERALD_FIELD(webhooks.queue_size)},
    {"webhooks.batch_size", "webhook-batch-size", "HERALD_WEBHOOK_BATCH_SIZE", value_kind::count,
     "Items per POST at most.", {}, 1, 10000, false, false, HERALD_FIELD(webhooks.batch_size)},
    {"webhooks.timeout", "webhook-timeout", "HERALD_WEBHOOK_TIMEOUT", value_kind::millis,
     "Time allowed for one POST, from connect to the answer; past it the POST failed.", {}, 100, 10 * minute,
     false, false, HERALD_FIELD(webhooks.timeout_ms)},
    {"webhooks.retry_min", "webhook-retry-min", "HERALD_WEBHOOK_RETRY_MIN", value_kind::millis,
     "Wait after a failed POST before the retry; doubles (with jitter) up to webhooks.retry_max.", {}, 10,
     10 * minute, false, false, HERALD_FIELD(webhooks.retry_min_ms)},
    {"webhooks.retry_max", "webhook-retry-max", "HERALD_WEBHOOK_RETRY_MAX", value_kind::millis,
     "Longest wait between retries.", {}, 10, hour, false, false, HERALD_FIELD(webhooks.retry_max_ms)},
    {"webhooks.give_up", "webhook-give-up", "HERALD_WEBHOOK_GIVE_UP", value_kind::millis,
     "An endpoint failing this long has its queue replaced by one resync item, retried until delivered.", {},
     100, 24 * hour, false, false, HERALD_FIELD(webhooks.give_up_ms)},
    {"presence.heartbeat_ttl", "presence-heartbeat-ttl", "HERALD_PRESENCE_HEARTBEAT_TTL", value_kind::millis,
     "With Redis: a node that stops heartbeating (crashed) loses its users and subscribers after this long, "
     "plus one sweep (a third of it).",
     {}, 1000, 10 * minute, false, false, HERALD_FIELD(presence.heartbeat_ttl_ms)},
    {"presence.occupancy_interval", "occupancy-interval", "HERALD_OCCUPANCY_INTERVAL", value_kind::millis,
     "Channels with occupancy: true send herald.occupancy at most once per this interval, when the count "
     "changed.",
     {}, 100, minute, false, false, HERALD_FIELD(presence.occupancy_interval_ms)},
    {"shutdown.drain_window", "drain-window", "HERALD_DRAIN_WINDOW", value_kind::millis,
     "On SIGTERM, streams are told to reconnect spread over this window (with jitter), so clients do not "
     "all come back at once.",
     {}, 0, 10 * minute, false, true, HERALD_FIELD(shutdown.drain_window_ms)},
    {"shutdown.timeout", "shutdown-timeout", "HERALD_SHUTDOWN_TIMEOUT", value_kind::millis,
     "On SIGTERM, the process exits by then at the latest, closing what is left.", {}, 100, hour, false, true,
     HERALD_FIELD(shutdown.timeout_ms)},
};

#undef HERALD_FIELD


bool parse_int(std::string_view text, std::int64_t& out) {
    if (text.empty()) return false;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
}

std::string range_text(const option_spec& s) {
    auto unit = s.kind == value_kind::millis ? " ms" : "";
    return std::to_string(s.min) + unit + " to " + std::to_string(s.max) + unit;
}

// "redis://:secret@host" → "redis://:***@host": URLs may carry a password.

// scheme://host[:port] as browsers send it in Origin: http or https, a host of letters, digits,
// dots and dashes (or a [v6] literal), an optional port, nothing after.
bool valid_origin(std::string_view o) {
    std::string_view rest;
    if (o.rfind("https://", 0) == 0)
        rest = o.substr(8);
    else if (o.rfind("http://", 0) == 0)
        rest = o.substr(7);
    else
        return false;
    if (rest.empty()) return false;
    std::size_t i = 0;
    if (rest.front() == '[') {
        i = rest.find(']');
        if (i == std::string_view::npos || i < 2) return false;
        ++i;
    } else {
        while (i < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '.' || rest[i] == '-'))
            ++i;
        if (i == 0) return false;
    }
    if (i == rest.size()) return true;
    if (rest[i] != ':' || i + 1 == rest.size() || rest.size() - i - 1 > 5) return false;
    for (++i; i < rest.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
    return true;
}

bool valid_address(std::string_view a) {
    auto colon = a.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::int64_t port = 0;
    if (!parse_int(a.substr(colon + 1), port) || port < 0 || port > 65535) return false;
    auto host = a.substr(0, colon);
    return host.find_first_of(" /?#") == std::string_view::npos;
}

}  // namespace

const std::vector<option_spec>& options() { return table; }

const option_spec* find_option(std::string_view key) {
    for (const auto& o : table)
        if (o.key == key) return &o;
    return nullptr;
}

void clear_list(config& cfg, const option_spec& spec) {
    if (spec.kind == value_kind::list) static_cast<std::vector<std::string>*>(spec.field(cfg))->clear();
}

bool set_from_text(config& cfg, const option_spec& spec, std::string_view text, const std::string& source,
                   std::vector<problem>& problems) {
    auto fail = [&](const std::string& message) {
        problems.push_back({std::string(spec.key), source, spec.secret ? "***" : std::string(text), message});
        return false;
    };
    void* f = spec.field(cfg);
    switch (spec.kind) {
        case value_kind::text:
            *static_cast<std::string*>(f) = std::string(text);
            return true;
        case value_kind::choice: {
            const std::string padded = " " + std::string(spec.choices) + " ";
            if (text.empty() || padded.find(" " + std::string(text) + " ") == std::string::npos)
                return fail("expected one of: " + std::string(spec.choices));
            *static_cast<std::string*>(f) = std::string(text);
            return true;
        }
        case value_kind::address:
            if (!valid_address(text)) return fail("expected HOST:PORT, e.g. 0.0.0.0:8080, 127.0.0.1:8081 or :8080");
            *static_cast<std::string*>(f) = std::string(text);
            return true;
        case value_kind::count: {
            std::int64_t v = 0;
            if (!parse_int(text, v)) return fail("expected a whole number from " + range_text(spec));
            if (v < spec.min || v > spec.max) return fail("out of range: expected " + range_text(spec));
            *static_cast<std::size_t*>(f) = static_cast<std::size_t>(v);
            return true;
        }
        case value_kind::millis: {
            std::int64_t v = 0;
            if (!parse_int(text, v)) {
                auto d = util::parse_duration_ms(text);
                if (!d) return fail("expected milliseconds or a duration like 500ms, 15s, 5m, 1h (" + range_text(spec) + ")");
                v = *d;
            }
            if (v < spec.min || v > spec.max) return fail("out of range: expected " + range_text(spec));
            *static_cast<std::int64_t*>(f) = v;
            return true;
        }
        case value_kind::list: {
            auto* list = static_cast<std::vector<std::string>*>(f);
            if (text.empty()) return fail("expected a non-empty value");
            list->emplace_back(text);
            return true;
        }
    }
    return false;
}

void apply_json(config& cfg, const nlohmann::json& doc, const std::string& source, std::vector<problem>& problems) {
    using nlohmann::json;
    if (!doc.is_object()) {
        problems.push_back({"(top level)", source, doc.dump(), "expected a JSON object of settings"});
        return;
    }
    // Walks nested objects; a leaf's dotted path must be an option key.
    std::vector<std::pair<std::string, const json*>> stack{{"", &doc}};
    while (!stack.empty()) {
        auto [prefix, node] = stack.back();
        stack.pop_back();
        for (auto it = node->begin(); it != node->end(); ++it) {
            const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
            if (key == "channels") {
                apply_channels_json(cfg, *it, source, problems);
                continue;
            }
            const auto* spec = find_option(key);
            if (!spec) {
                bool is_section = false;
                for (const auto& o : table) is_section |= o.key.substr(0, key.size() + 1) == key + ".";
                if (is_section && it->is_object()) {
                    stack.push_back({key, &*it});
                    continue;
                }
                problems.push_back({key, source, it->dump(),
                                    is_section ? "expected an object of settings" : "unknown setting (see docs/configuration.md)"});
                continue;
            }
            const auto& v = *it;
            if (spec->kind == value_kind::list) {
                clear_list(cfg, *spec);
                if (v.is_string()) {
                    set_from_text(cfg, *spec, v.get<std::string>(), source, problems);
                } else if (v.is_array()) {
                    for (const auto& e : v) {
                        if (e.is_string())
                            set_from_text(cfg, *spec, e.get<std::string>(), source, problems);
                        else
                            problems.push_back({key, source, spec->secret ? "***" : e.dump(), "expected strings in the array"});
                    }
                } else {
                    problems.push_back({key, source, spec->secret ? "***" : v.dump(), "expected an array of strings"});
                }
                continue;
            }
            set_from_json(cfg, *spec, v, source, problems);
        }
    }
}

bool set_from_json(config& cfg, const option_spec& spec, const nlohmann::json& v, const std::string& source,
                   std::vector<problem>& problems) {
    if (v.is_string()) return set_from_text(cfg, spec, v.get<std::string>(), source, problems);
    if (v.is_number_integer() && (spec.kind == value_kind::count || spec.kind == value_kind::millis))
        return set_from_text(cfg, spec, v.dump(), source, problems);
    const char* expected = spec.kind == value_kind::count    ? "a whole number"
                           : spec.kind == value_kind::millis ? "milliseconds or a duration string"
                                                              : "a string";
    problems.push_back({std::string(spec.key), source, spec.secret ? "***" : v.dump(), std::string("expected ") + expected});
    return false;
}

void validate(const config& cfg, std::vector<problem>& problems) {
    if (cfg.shutdown.drain_window_ms >= cfg.shutdown.timeout_ms)
        problems.push_back({"shutdown.drain_window", "", std::to_string(cfg.shutdown.drain_window_ms),
                            "must be shorter than shutdown.timeout (" + std::to_string(cfg.shutdown.timeout_ms) +
                                " ms), so streams are told to come back before the process exits"});
    if (cfg.limits.max_event_bytes > cfg.limits.max_body_bytes)
        problems.push_back({"limits.max_event_bytes", "", std::to_string(cfg.limits.max_event_bytes),
                            "must not exceed limits.max_body_bytes (" + std::to_string(cfg.limits.max_body_bytes) +
                                "): an event has to fit in a publish body"});
    if (!cfg.auth.token_cookie.empty() && cfg.auth.allowed_origins.empty())
        problems.push_back({"auth.token_cookie", "", cfg.auth.token_cookie,
                            "a cookie token needs an allow-list of the origins whose pages may use it: set "
                            "auth.allowed_origins (--allowed-origin https://app.example.com)"});
    for (const auto& o : cfg.auth.allowed_origins)
        if (!valid_origin(o))
            problems.push_back({"auth.allowed_origins", "", o,
                                "expected an origin such as https://app.example.com or http://localhost:3000 "
                                "(scheme, host and optional port; no path, no wildcard)"});
    if (cfg.history.max_bytes < cfg.limits.max_event_bytes + 64)
        problems.push_back({"history.max_bytes", "", std::to_string(cfg.history.max_bytes),
                            "must hold at least one event of limits.max_event_bytes (" +
                                std::to_string(cfg.limits.max_event_bytes) + ") plus 64 bytes"});
    validate_channel_rules(cfg, problems);
    for (const auto& u : cfg.webhooks.urls)
        if (auto parsed = presence::parse_webhook_url(u); !parsed)
            problems.push_back({"webhooks.url", "", u, parsed.err().message + "; " + parsed.err().hint});
    for (const auto& e : cfg.webhooks.events)
        if (e != "user.online" && e != "user.offline" && e != "channel.occupied" && e != "channel.vacated")
            problems.push_back({"webhooks.events", "", e,
                                "expected user.online, user.offline, channel.occupied or channel.vacated"});
    if (cfg.webhooks.retry_min_ms > cfg.webhooks.retry_max_ms)
        problems.push_back({"webhooks.retry_min", "", std::to_string(cfg.webhooks.retry_min_ms),
                            "must not exceed webhooks.retry_max (" + std::to_string(cfg.webhooks.retry_max_ms) +
                                " ms)"});
    if (cfg.broker != "memory" && cfg.broker.rfind("redis://", 0) != 0 && cfg.broker.rfind("rediss://", 0) != 0)
        problems.push_back({"broker", "", util::mask_url_credentials(cfg.broker),
                            "expected memory or redis://[:password@]host:port[/db]"});
}

std::string show_value(config& cfg, const option_spec& spec) {
    void* f = spec.field(cfg);
    switch (spec.kind) {
        case value_kind::text:
        case value_kind::choice:
        case value_kind::address: {
            const auto& s = *static_cast<std::string*>(f);
            return s.empty() ? "(none)" : spec.secret ? "***" : util::mask_url_credentials(s);
        }
        case value_kind::count:
            return std::to_string(*static_cast<std::size_t*>(f));
        case value_kind::millis:
            return std::to_string(*static_cast<std::int64_t*>(f));
        case value_kind::list: {
            const auto& l = *static_cast<std::vector<std::string>*>(f);
            if (l.empty()) return "(none)";
            if (spec.secret) return "*** (" + std::to_string(l.size()) + ")";
            std::string out;
            for (const auto& e : l) out += (out.empty() ? "" : ",") + e;
            return out;
        }
    }
    return {};
}

std::string format_problem(const problem& p) {
    std::string out = p.source.empty() ? std::string() : p.source + ": ";
    out += p.key + ": got " + (p.value.empty() ? std::string("\"\"") : p.value) + ": " + p.message;
    return out;
}

std::string render_markdown() {
    config defaults;
    std::string out =
        "# Configuration\n\n"
        "<!-- Rendered from lib/config/options.cpp; tests/docs/configuration_doc_test.cpp fails when they differ. -->\n\n"
        "`herald serve` takes every setting from, in order of precedence: a flag, a `HERALD_*` environment\n"
        "variable, the JSON file given with `--config FILE` (or `HERALD_CONFIG`), and the default. Settings\n"
        "marked *reload* are applied again on `SIGHUP` (the file is re-read; flags and variables still win)\n"
        "without dropping connections; the others need a restart. `herald check-config FILE` reports every\n"
        "problem in a file at once, each with its key and the value it got.\n\n"
        "In the file, keys with a dot are nested objects: `limits.max_body_bytes` is\n"
        "`{\"limits\":{\"max_body_bytes\":1048576}}`. Durations are milliseconds or strings such as `\"15s\"`,\n"
        "`\"5m\"`, `\"1h\"` (the same in flags and variables). Lists are JSON arrays in the file, repeated\n"
        "flags, and comma-separated variables.\n\n"
        "```json\n"
        "{\n"
        "  \"public\": \"0.0.0.0:8080\",\n"
        "  \"internal\": \"127.0.0.1:8081\",\n"
        "  \"log\": {\"level\": \"info\", \"format\": \"json\"},\n"
        "  \"history\": {\"size\": 500, \"ttl\": \"30m\"},\n"
        "  \"limits\": {\"max_connections\": 50000, \"outbox_bytes\": 262144},\n"
        "  \"auth\": {\"jwt_public_key\": [\"/etc/herald/keys/2026-11.pem\"], \"public_channels\": [\"news\", \"status.*\"]},\n"
        "  \"shutdown\": {\"drain_window\": \"10s\", \"timeout\": \"25s\"},\n"
        "  \"channels\": [{\"pattern\": \"prices:*\", \"history_size\": 500, \"history_ttl\": \"30s\", \"public\": true}]\n"
        "}\n"
        "```\n";
    std::map<std::string, std::vector<const option_spec*>> sections;
    std::vector<std::string> order;
    for (const auto& o : table) {
        auto dot = o.key.find('.');
        std::string section = dot == std::string_view::npos ? "general" : std::string(o.key.substr(0, dot));
        if (!sections.count(section)) order.push_back(section);
        sections[section].push_back(&o);
    }
    for (const auto& section : order) {
        out += "\n## " + section + "\n\n| key | flag | environment | default | reload | meaning |\n|---|---|---|---|---|---|\n";
        for (const auto* o : sections[section]) {
            std::string meaning(o->doc);
            if (o->kind == value_kind::choice) meaning += " One of: " + std::string(o->choices) + ".";
            if (o->kind == value_kind::count || o->kind == value_kind::millis) meaning += " Range: " + range_text(*o) + ".";
            if (o->secret) meaning += " Never logged or shown.";
            out += "| `" + std::string(o->key) + "` | `--" + std::string(o->flag) + "` | `" + std::string(o->env) + "` | `" +
                   show_value(defaults, *o) + "` | " + (o->reloadable ? "reload" : "restart") + " | " + meaning + " |\n";
        }
    }
    out += render_channels_markdown();
    return out;
}

}  // namespace herald::config
