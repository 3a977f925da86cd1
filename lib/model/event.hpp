// An event as it travels from broker to subscribers: immutable once published.
// `data` holds compact JSON text, or raw text when `kind` is text (a text body or a JSON string value).
// On a keyed channel every event names its `key`; a deletion of the key is an event too
// (`deleted`, no data), so subscribers and resuming clients learn of it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace herald::model {

enum class data_kind { json, text };

struct event {
    std::string channel;
    std::uint64_t offset = 0;  // 1, 2, 3, ... per channel stream
    std::string epoch;         // changes when the stream is lost or recreated
    std::string name;          // SSE `event:`; empty for none
    std::string data;
    data_kind kind = data_kind::json;
    std::int64_t published_at = 0;  // ms since the Unix epoch
    std::string key;                // a keyed channel's key; empty on other channels
    bool deleted = false;           // the key was deleted (data empty)
};

using event_ptr = std::shared_ptr<const event>;

// Counter values and increments stay within ±(2^53 - 1), the integers a JSON number holds exactly
// in every client (JavaScript's Number.MAX_SAFE_INTEGER) and in Redis's Lua.
inline constexpr std::int64_t max_counter = 9007199254740991;

// What a publish does to a keyed channel's key.
enum class key_op {
    set,     // the event's data becomes the key's latest value
    incr,    // the key's value (an integer; 0 when absent) grows by `incr`; the sum is the event's data
    remove,  // the key is deleted (a `deleted` event); refused when the key has no value
};

// What a publisher asks for; the broker assigns the position.
struct publish_request {
    std::string channel;
    std::string name;
    std::string data;
    data_kind kind = data_kind::json;
    std::string idempotency_key;  // empty for none
    std::string key;              // keyed channels: the key (required there, refused elsewhere)
    key_op op = key_op::set;
    std::int64_t incr = 0;  // for key_op::incr
};

// What a publish returns.
struct publish_result {
    std::string channel;
    std::uint64_t offset = 0;
    std::string epoch;
    std::size_t delivered_local = 0;
    bool duplicate = false;  // an idempotency key seen before: nothing new was published
    std::optional<std::int64_t> value;  // a counter's value after a key_op::incr
};

}  // namespace herald::model
