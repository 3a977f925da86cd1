// The option table: every setting of `herald serve`, described once (options.hpp says what each
// column means). Data only; lib/config/options.cpp reads and renders it.
#include "lib/config/options.hpp"

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

}  // namespace

const std::vector<option_spec>& options() { return table; }

}  // namespace herald::config
