// The error catalog: one function per named error, each built from its error_kinds entry, so
// codes, statuses and hints stay consistent.
#include "lib/model/error.hpp"

#include "lib/model/channel.hpp"

namespace herald::model::errors {

namespace {
error make(const error_kind& kind, std::string message, std::string hint) {
    return {std::string(kind.code), kind.status, std::move(message), std::move(hint)};
}
}  // namespace

error bad_request(const std::string& message) { return make(error_kinds::bad_request, message, "see docs/api.md"); }
error invalid_json(const std::string& message) {
    return make(error_kinds::invalid_json, "request body is not valid JSON: " + message,
                "send a JSON object, e.g. {\"channel\":\"news\",\"data\":{\"n\":1}}");
}
error missing_field(const std::string& field) {
    return make(error_kinds::missing_field, "required field '" + field + "' is missing",
                "see the publish API in docs/api.md");
}
error invalid_field(const std::string& field, const std::string& message) {
    return make(error_kinds::invalid_field, "field '" + field + "' " + message, "see the publish API in docs/api.md");
}
error invalid_channel(const std::string& message) {
    return make(error_kinds::invalid_channel, message,
                "channel names are 1-200 bytes of A-Z a-z 0-9 and _ . : @ / = -");
}
error not_found(const std::string& method, const std::string& target) {
    return make(error_kinds::not_found, "no route for " + method + " " + target, "see docs/api.md for the endpoints");
}
error method_not_allowed(const std::string& method, const std::string& target, const std::string& allowed) {
    return make(error_kinds::method_not_allowed, method + " is not allowed on " + target, "use " + allowed);
}
error unsupported_media_type(const std::string& content_type, bool text_too) {
    return make(error_kinds::unsupported_media_type, "content type '" + content_type + "' is not accepted here",
                text_too ? "send text (text/plain) or JSON (application/json)" : "send Content-Type: application/json");
}
error body_too_large(std::size_t limit) {
    return make(error_kinds::body_too_large, "request body exceeds " + std::to_string(limit) + " bytes",
                "send smaller requests or raise limits.max_body_bytes");
}
error headers_too_large(std::size_t limit) {
    return make(error_kinds::headers_too_large, "request headers exceed " + std::to_string(limit) + " bytes",
                "send fewer or shorter headers");
}
error data_too_large(std::size_t size, std::size_t limit) {
    return make(error_kinds::data_too_large,
                "event data is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limit),
                "send smaller events or raise limits.max_event_bytes");
}
error too_many_publishes(std::size_t count, std::size_t limit) {
    return make(error_kinds::too_many_publishes,
                "the request expands into " + std::to_string(count) +
                    " publishes (events x channels), over the limit of " + std::to_string(limit),
                "split it into several requests or raise limits.max_batch_publishes");
}
error invalid_user(const std::string& user) {
    return make(error_kinds::invalid_user, "user id '" + user + "' cannot be a token's sub",
                "user ids are what tokens carry in 'sub': A-Z a-z 0-9 and _ . : @ / = -");
}
error invalid_parameter(const std::string& message, const std::string& hint) {
    return make(error_kinds::invalid_parameter, message, hint);
}
error channel_not_found(const std::string& channel) {
    return make(error_kinds::channel_not_found,
                "channel '" + channel + "' has no subscribers and nothing was published to it",
                "check the name; GET /v1/channels (herald channels list) shows the channels this gateway holds");
}

error invalid_key(const std::string& message) {
    return make(error_kinds::invalid_key, message, "a key is 1-256 bytes of printable UTF-8 (no control characters)");
}
error key_required(const std::string& channel) {
    return make(error_kinds::key_required, "channel '" + channel + "' is keyed: a publish to it names a key",
                "add \"key\" to the publish (?key= on POST /v1/channels/{c}/events, --key on the CLI)");
}
error channel_not_keyed(const std::string& channel) {
    return make(error_kinds::channel_not_keyed, "channel '" + channel + "' is not keyed: it takes no key, incr or delete",
                "give it a channels entry with \"keyed\": true in the config (herald check-config shows the policy)");
}
error key_not_found(const std::string& channel, const std::string& key) {
    return make(error_kinds::key_not_found, "key '" + key + "' of channel '" + channel + "' has no value to delete",
                "GET /v1/channels/{c}/latest (herald channels latest) lists the keys it holds");
}
error too_many_keys(const std::string& channel, std::size_t limit) {
    return make(error_kinds::too_many_keys,
                "channel '" + channel + "' holds " + std::to_string(limit) + " keys, its max_keys: no room for a new key",
                "delete keys that are done with, or raise max_keys in the channel's policy");
}
error not_a_counter(const std::string& channel, const std::string& key, const std::string& why) {
    return make(error_kinds::not_a_counter, "key '" + key + "' of channel '" + channel + "' " + why,
                "incr works on keys whose value is an integer (or that have none yet); set the key to a number first");
}

error invalid_cursor(const std::string& value) {
    return make(error_kinds::invalid_cursor, "since '" + value + "' is not a cursor",
                "pass a value from an event's id: field, or 'earliest' for all history");
}
error missing_channel() {
    return make(error_kinds::missing_channel, "no channel given", "add ?channel=NAME (repeat it for several channels)");
}
error invalid_envelope(const std::string& value) {
    return make(error_kinds::invalid_envelope, "envelope '" + value + "' is not known",
                "use envelope=json or leave it out");
}
error too_many_channels(std::size_t count, std::size_t limit) {
    return make(error_kinds::too_many_channels,
                std::to_string(count) + " channels requested, at most " + std::to_string(limit) + " allowed",
                "subscribe to fewer channels per connection");
}
error websocket_upgrade_required(const std::string& message, const std::string& hint) {
    return make(error_kinds::websocket_upgrade_required, message, hint);
}
error unsupported_websocket_version(const std::string& version) {
    return make(error_kinds::unsupported_websocket_version, "Sec-WebSocket-Version '" + version + "' is not supported",
                "use WebSocket protocol version 13 (RFC 6455)");
}

error invalid_command_json(const std::string& message, const std::string& hint) {
    return make(error_kinds::invalid_json, message, hint);
}
error invalid_command(const std::string& message, const std::string& hint) {
    return make(error_kinds::invalid_command, message, hint);
}
error unknown_op(const std::string& op) {
    return make(error_kinds::unknown_op, "unknown op '" + op + "'",
                "op is one of subscribe, unsubscribe, ping, refresh");
}
error invalid_since(const std::string& message, const std::string& hint) {
    return make(error_kinds::invalid_since, message, hint);
}
error already_subscribed(const std::string& channel) {
    return make(error_kinds::already_subscribed, "already subscribed to '" + channel + "'",
                "unsubscribe first, or keep the subscription you have");
}
error not_subscribed(const std::string& channel) {
    return make(error_kinds::not_subscribed, "not subscribed to '" + channel + "'", "subscribe before unsubscribing");
}
error refresh_not_supported() {
    return make(error_kinds::not_supported, "this connection is authorized by an API key",
                "refresh is for subscriber tokens on the public listener");
}
error other_user_token() {
    return make(error_kinds::forbidden, "the new token is for another user than this connection's",
                "open a new connection for another user");
}

error token_required(std::string_view channel) {
    return make(error_kinds::token_required, "channel '" + std::string(channel) + "' needs a token",
                "pass a JWT as ?token=, an Authorization: Bearer header, or the configured cookie");
}
error forbidden_channel(std::string_view channel) {
    return make(error_kinds::forbidden, "the token does not grant channel '" + std::string(channel) + "'",
                is_user_channel(channel)
                    ? "a user: channel is readable only with a token whose sub is that user"
                    : "ask the app for a token whose 'channels' claim names it (or a pattern like 'prefix.*')");
}
error invalid_token(const std::string& why) {
    return make(error_kinds::invalid_token, "token refused: " + why,
                "get a fresh token from the app (herald token create makes one for testing)");
}
error token_expired(std::int64_t exp_ms, std::int64_t now_ms) {
    return make(error_kinds::token_expired,
                "token expired " + std::to_string((now_ms - exp_ms) / 1000) + " s ago (exp " +
                    std::to_string(exp_ms / 1000) + ")",
                "get a fresh token from the app and reconnect");
}
error token_not_yet_valid(std::int64_t nbf_ms, std::int64_t now_ms) {
    return make(error_kinds::token_not_yet_valid,
                "token is not valid for another " + std::to_string((nbf_ms - now_ms + 999) / 1000) + " s (nbf " +
                    std::to_string(nbf_ms / 1000) + ")",
                "check the clocks of the token issuer and this host");
}
error auth_not_configured() {
    return make(error_kinds::auth_not_configured, "a token was given but this gateway has no key to verify it with",
                "start herald serve with --jwt-secret or --jwt-public-key, or connect without a token");
}
error api_key_required() {
    return make(error_kinds::api_key_required, "this endpoint needs an API key",
                "send Authorization: Bearer <key> (herald: --api-key or HERALD_API_KEY)");
}
error invalid_api_key() {
    return make(error_kinds::invalid_api_key, "the API key is not one this gateway accepts",
                "check --api-key / HERALD_API_KEY against the keys herald serve was started with");
}
error origin_not_allowed(const std::string& origin) {
    return make(error_kinds::origin_not_allowed,
                "a cookie token was sent from origin '" + origin + "', which is not allowed",
                "add the page's origin to auth.allowed_origins (--allowed-origin), or send the token in ?token= or "
                "Authorization");
}
error cross_origin_refused() {
    return make(error_kinds::cross_origin_refused,
                "the internal listener does not serve browser pages of other origins",
                "call it from the app's server (no Origin header), or send an API key as Authorization: Bearer");
}
error host_not_allowed(const std::string& host) {
    return make(error_kinds::host_not_allowed, "Host '" + host + "' is not a name this internal listener answers to",
                "use localhost or an IP address, or add the name to internal_hosts (--internal-host)");
}

error too_many_connections(std::size_t limit, bool internal) {
    return make(error_kinds::too_many_connections,
                "connection limit of " + std::to_string(limit) + " reached on the " +
                    (internal ? "internal" : "public") + " listener",
                internal ? "retry later or raise limits.max_internal_connections"
                         : "retry later or raise limits.max_connections");
}
error unavailable(const std::string& message, const std::string& hint) {
    return make(error_kinds::unavailable, message, hint);
}
error broker_timeout(const std::string& message) {
    return make(error_kinds::broker_timeout, message,
                "the broker did not answer within redis.command_timeout; herald reconnects by itself, so retry "
                "shortly (the publish may or may not have been applied: retry with the same idempotency key)");
}
error reply_timeout(std::int64_t ms) {
    return make(error_kinds::reply_timeout, "no answer from the broker within " + std::to_string(ms) + " ms",
                "retry; check /readyz and the broker (publishes are safe to retry with an idempotency key)");
}
error internal(const std::string& message) {
    return make(error_kinds::internal, message, "this is a bug in herald; please report it with the log");
}

}  // namespace herald::model::errors
