// Named errors: the one catalog of what can go wrong, as a user sees it.
// Each error has a stable code, an HTTP status, a message naming the bad value and a hint.
// error_kinds lists every code sent on the wire (HTTP replies and WebSocket {"op":"error"}
// frames) with its status and when it is answered; docs/api.md renders that table, and a docs
// test keeps them together. Plain values, no I/O; safe to copy between threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace herald::model {

struct error {
    std::string code;     // stable machine-readable name, e.g. "invalid_channel"
    int status = 500;     // HTTP status the API answers with
    std::string message;  // names the offending value
    std::string hint;     // what to do about it
};

// One code of the catalog: the errors:: functions below build their errors from these.
struct error_kind {
    std::string_view code;
    int status;
    std::string_view when;  // when it is answered: the row docs/api.md shows for it
};

namespace error_kinds {
inline constexpr error_kind bad_request{
    "bad_request", 400,
    "a request herald cannot read: malformed HTTP or percent-escapes, no `Host` or two, a `Transfer-Encoding` "
    "that does not end in `chunked`, `since=` on `/v1/ws` without `channel=`, a batch that mixes `channel` and "
    "`channels`"};
inline constexpr error_kind invalid_json{"invalid_json", 400,
                                         "a publish body, or a WebSocket command, that is not valid JSON"};
inline constexpr error_kind missing_field{"missing_field", 400, "a publish without `data` or a channel"};
inline constexpr error_kind invalid_field{"invalid_field", 400,
                                          "a publish field of the wrong type or size (`event`, `channels`, ...)"};
inline constexpr error_kind invalid_channel{"invalid_channel", 400, "a name that cannot be a channel"};
inline constexpr error_kind invalid_cursor{"invalid_cursor", 400, "a stream's `since=` that is not a cursor"};
inline constexpr error_kind missing_channel{"missing_channel", 400,
                                            "an SSE stream without `channel=` and without a token `sub`"};
inline constexpr error_kind invalid_envelope{"invalid_envelope", 400, "`envelope=` other than `json` or `none`"};
inline constexpr error_kind too_many_channels{
    "too_many_channels", 400, "more channels on one connection than `--max-channels`, or over 100 in one "
                              "publish"};
inline constexpr error_kind websocket_upgrade_required{
    "websocket_upgrade_required", 400,
    "a request to `/v1/ws` that is not a WebSocket upgrade (method, `Upgrade`, `Connection`, `Sec-WebSocket-Key`)"};
inline constexpr error_kind invalid_user{"invalid_user", 400, "a user id that cannot be a token's `sub`"};
inline constexpr error_kind invalid_parameter{
    "invalid_parameter", 400, "an inspect API `limit`, `since`, `prefix` or `user` that is not valid"};
inline constexpr error_kind invalid_command{"invalid_command", 400,
                                            "a WebSocket command that is not an object or lacks a field it needs"};
inline constexpr error_kind unknown_op{"unknown_op", 400, "a WebSocket command with an unknown `op`"};
inline constexpr error_kind invalid_since{"invalid_since", 400,
                                          "a WebSocket `subscribe` whose `since` is not `{\"epoch\":..,\"offset\":N}` or `\"latest\"`"};
inline constexpr error_kind invalid_key{"invalid_key", 400,
                                         "a publish `key` that is empty, over 256 bytes, or not printable UTF-8"};
inline constexpr error_kind key_required{"key_required", 400, "a publish to a keyed channel without a `key`"};
inline constexpr error_kind channel_not_keyed{
    "channel_not_keyed", 400, "a `key`, `incr` or `delete` for a channel whose policy is not `keyed`"};
inline constexpr error_kind not_supported{"not_supported", 400, "a WebSocket `refresh` on an API-key connection"};
inline constexpr error_kind token_required{"token_required", 401, "a channel that needs a token, and none was given"};
inline constexpr error_kind invalid_token{"invalid_token", 401,
                                          "a token that does not verify (signature, claims, audience, issuer)"};
inline constexpr error_kind token_expired{"token_expired", 401, "a token past its `exp`"};
inline constexpr error_kind token_not_yet_valid{"token_not_yet_valid", 401, "a token before its `nbf`"};
inline constexpr error_kind auth_not_configured{"auth_not_configured", 401,
                                                "a token sent to a gateway that has no key to verify it"};
inline constexpr error_kind api_key_required{"api_key_required", 401,
                                             "an internal API call without an API key (with `WWW-Authenticate: Bearer`)"};
inline constexpr error_kind invalid_api_key{"invalid_api_key", 401,
                                            "an API key that is not configured (with `WWW-Authenticate: Bearer`)"};
inline constexpr error_kind forbidden{"forbidden", 403,
                                      "a channel the token does not grant, or a WebSocket `refresh` for another user"};
inline constexpr error_kind origin_not_allowed{"origin_not_allowed", 403, "a cookie token from an unlisted origin"};
inline constexpr error_kind cross_origin_refused{"cross_origin_refused", 403,
                                                 "a browser page of another origin on the internal listener"};
inline constexpr error_kind not_found{"not_found", 404, "no such route"};
inline constexpr error_kind channel_not_found{
    "channel_not_found", 404, "an inspected channel with no subscribers here that nothing was published to"};
inline constexpr error_kind not_subscribed{"not_subscribed", 404,
                                           "a WebSocket `unsubscribe` from a channel not subscribed"};
inline constexpr error_kind key_not_found{"key_not_found", 404, "a deletion of a key that has no value"};
inline constexpr error_kind method_not_allowed{"method_not_allowed", 405, "a method the route does not take (with an "
                                                                          "`Allow` header)"};
inline constexpr error_kind already_subscribed{"already_subscribed", 409,
                                               "a WebSocket `subscribe` to a channel already subscribed"};
inline constexpr error_kind too_many_keys{"too_many_keys", 409,
                                           "a new key on a keyed channel that holds its policy's `max_keys` already"};
inline constexpr error_kind not_a_counter{
    "not_a_counter", 409, "an `incr` of a key whose value is not an integer, or a sum past ±(2^53 - 1)"};
inline constexpr error_kind body_too_large{"body_too_large", 413, "a request body over `--max-body-bytes`"};
inline constexpr error_kind data_too_large{"data_too_large", 413, "an event's data over `--max-event-bytes`"};
inline constexpr error_kind too_many_publishes{
    "too_many_publishes", 413, "a batch that expands into more publishes than `--max-batch-publishes`"};
inline constexpr error_kind unsupported_media_type{"unsupported_media_type", 415,
                                                   "a publish body of a content type herald does not take"};
inline constexpr error_kind host_not_allowed{"host_not_allowed", 421,
                                             "an internal-listener `Host` that is not local or `--internal-host`"};
inline constexpr error_kind unsupported_websocket_version{"unsupported_websocket_version", 426,
                                                          "a `Sec-WebSocket-Version` other than 13"};
inline constexpr error_kind headers_too_large{"headers_too_large", 431, "request headers over `--max-header-bytes`"};
inline constexpr error_kind internal{"internal", 500, "a bug in herald"};
inline constexpr error_kind too_many_connections{"too_many_connections", 503,
                                                 "a listener at its connection limit"};
inline constexpr error_kind unavailable{"unavailable", 503, "the broker cannot be reached, or history cannot be read"};
inline constexpr error_kind broker_timeout{"broker_timeout", 503,
                                           "a Redis command not answered within `--redis-command-timeout`"};
inline constexpr error_kind reply_timeout{"reply_timeout", 503, "no broker answer within `--request-timeout`"};

inline constexpr std::array all{
    bad_request,        invalid_json,        missing_field,      invalid_field,       invalid_channel,
    invalid_cursor,     missing_channel,     invalid_envelope,   too_many_channels,   websocket_upgrade_required,
    invalid_user,       invalid_parameter,   invalid_command,    unknown_op,          invalid_since,
    invalid_key,        key_required,        channel_not_keyed,  key_not_found,       too_many_keys,
    not_a_counter,      not_supported,      token_required,      invalid_token,      token_expired,       token_not_yet_valid,
    auth_not_configured, api_key_required,   invalid_api_key,    forbidden,           origin_not_allowed,
    cross_origin_refused, not_found,         channel_not_found,  not_subscribed,      method_not_allowed,
    already_subscribed, body_too_large,      data_too_large,     too_many_publishes,  unsupported_media_type,
    host_not_allowed,   unsupported_websocket_version, headers_too_large, internal,     too_many_connections,
    unavailable,        broker_timeout,      reply_timeout};
}  // namespace error_kinds

namespace errors {
// Requests and publishes.
error bad_request(const std::string& message);
error invalid_json(const std::string& message);
error missing_field(const std::string& field);
error invalid_field(const std::string& field, const std::string& message);
error invalid_channel(const std::string& message);
error not_found(const std::string& method, const std::string& target);
error method_not_allowed(const std::string& method, const std::string& target, const std::string& allowed);
// `text_too`: the route also takes text bodies (POST /v1/channels/{c}/events).
error unsupported_media_type(const std::string& content_type, bool text_too = false);
error body_too_large(std::size_t limit);
error headers_too_large(std::size_t limit);
error data_too_large(std::size_t size, std::size_t limit);
error too_many_publishes(std::size_t count, std::size_t limit);
error invalid_user(const std::string& user);
error invalid_parameter(const std::string& message, const std::string& hint);
error channel_not_found(const std::string& channel);

// Keyed channels.
error invalid_key(const std::string& message);
error key_required(const std::string& channel);
error channel_not_keyed(const std::string& channel);
error key_not_found(const std::string& channel, const std::string& key);
error too_many_keys(const std::string& channel, std::size_t limit);
error not_a_counter(const std::string& channel, const std::string& key, const std::string& why);

// Streams.
error invalid_cursor(const std::string& value);
error missing_channel();
error invalid_envelope(const std::string& value);
error too_many_channels(std::size_t count, std::size_t limit);
error websocket_upgrade_required(const std::string& message, const std::string& hint);
error unsupported_websocket_version(const std::string& version);

// WebSocket commands.
error invalid_command_json(const std::string& message, const std::string& hint);
error invalid_command(const std::string& message, const std::string& hint);
error unknown_op(const std::string& op);
error invalid_since(const std::string& message, const std::string& hint);
error already_subscribed(const std::string& channel);
error not_subscribed(const std::string& channel);
error refresh_not_supported();
error other_user_token();

// Auth and origins.
error token_required(std::string_view channel);
error forbidden_channel(std::string_view channel);
error invalid_token(const std::string& why);
error token_expired(std::int64_t exp_ms, std::int64_t now_ms);
error token_not_yet_valid(std::int64_t nbf_ms, std::int64_t now_ms);
error auth_not_configured();
error api_key_required();
error invalid_api_key();
error origin_not_allowed(const std::string& origin);
error cross_origin_refused();
error host_not_allowed(const std::string& host);

// Capacity and the broker.
error too_many_connections(std::size_t limit, bool internal = false);
error unavailable(const std::string& message, const std::string& hint);
error broker_timeout(const std::string& message);
error reply_timeout(std::int64_t ms);
error internal(const std::string& message);
}  // namespace errors

// A value or a named error; the data plane reports failures through this, never by throwing.
template <typename T>
class result {
public:
    result(T value) : v_(std::move(value)) {}
    result(error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const error& err() const { return std::get<1>(v_); }

private:
    std::variant<T, error> v_;
};

}  // namespace herald::model
