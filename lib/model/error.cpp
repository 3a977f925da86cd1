// The error catalog: one function per named error, so codes, statuses and hints stay consistent.
#include "lib/model/error.hpp"

namespace herald::model::errors {

error invalid_channel(const std::string& message) {
    return {"invalid_channel", 400, message,
            "channel names are 1-200 bytes of A-Z a-z 0-9 and _ . : @ / = -"};
}
error invalid_json(const std::string& message) {
    return {"invalid_json", 400, "request body is not valid JSON: " + message,
            "send a JSON object, e.g. {\"channel\":\"news\",\"data\":{\"n\":1}}"};
}
error missing_field(const std::string& field) {
    return {"missing_field", 400, "required field '" + field + "' is missing",
            "see the publish API in docs/api.md"};
}
error invalid_field(const std::string& field, const std::string& message) {
    return {"invalid_field", 400, "field '" + field + "' " + message, "see the publish API in docs/api.md"};
}
error invalid_cursor(const std::string& value) {
    return {"invalid_cursor", 400, "since '" + value + "' is not a cursor",
            "pass a value from an event's id: field, or 'earliest' for all history"};
}
error not_found(const std::string& method, const std::string& target) {
    return {"not_found", 404, "no route for " + method + " " + target, "see docs/api.md for the endpoints"};
}
error method_not_allowed(const std::string& method, const std::string& target, const std::string& allowed) {
    return {"method_not_allowed", 405, method + " is not allowed on " + target, "use " + allowed};
}
error unsupported_media_type(const std::string& content_type) {
    return {"unsupported_media_type", 415, "content type '" + content_type + "' is not accepted here",
            "send Content-Type: application/json"};
}
error body_too_large(std::size_t limit) {
    return {"body_too_large", 413, "request body exceeds " + std::to_string(limit) + " bytes",
            "send smaller requests or raise limits.max_body_bytes"};
}
error data_too_large(std::size_t size, std::size_t limit) {
    return {"data_too_large", 413,
            "event data is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limit),
            "send smaller events or raise limits.max_event_bytes"};
}
error too_many_channels(std::size_t count, std::size_t limit) {
    return {"too_many_channels", 400,
            std::to_string(count) + " channels requested, at most " + std::to_string(limit) + " allowed",
            "subscribe to fewer channels per connection"};
}
error too_many_connections(std::size_t limit, bool internal) {
    return {"too_many_connections", 503,
            "connection limit of " + std::to_string(limit) + " reached on the " + (internal ? "internal" : "public") +
                " listener",
            internal ? "retry later or raise limits.max_internal_connections" : "retry later or raise limits.max_connections"};
}
error bad_request(const std::string& message) {
    return {"bad_request", 400, message, "see docs/api.md"};
}
error unavailable(const std::string& message, const std::string& hint) {
    return {"unavailable", 503, message, hint};
}
error broker_timeout(const std::string& message) {
    return {"broker_timeout", 503, message,
            "the broker did not answer within redis.command_timeout; herald reconnects by itself, so retry "
            "shortly (the publish may or may not have been applied: retry with the same idempotency key)"};
}
error internal(const std::string& message) {
    return {"internal", 500, message, "this is a bug in herald; please report it with the log"};
}
error origin_not_allowed(const std::string& origin) {
    return {"origin_not_allowed", 403, "a cookie token was sent from origin '" + origin + "', which is not allowed",
            "add the page's origin to auth.allowed_origins (--allowed-origin), or send the token in ?token= or "
            "Authorization"};
}
error cross_origin_refused() {
    return {"cross_origin_refused", 403, "the internal listener does not serve browser pages of other origins",
            "call it from the app's server (no Origin header), or send an API key as Authorization: Bearer"};
}
error host_not_allowed(const std::string& host) {
    return {"host_not_allowed", 421, "Host '" + host + "' is not a name this internal listener answers to",
            "use localhost or an IP address, or add the name to internal_hosts (--internal-host)"};
}
error too_many_publishes(std::size_t count, std::size_t limit) {
    return {"too_many_publishes", 413,
            "the request expands into " + std::to_string(count) + " publishes (events x channels), over the limit of " +
                std::to_string(limit),
            "split it into several requests or raise limits.max_batch_publishes"};
}
error reply_timeout(std::int64_t ms) {
    return {"reply_timeout", 503, "no answer from the broker within " + std::to_string(ms) + " ms",
            "retry; check /readyz and the broker (publishes are safe to retry with an idempotency key)"};
}

}  // namespace herald::model::errors
