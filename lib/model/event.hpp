// An event as it travels from broker to subscribers: immutable once published.
// `data` holds compact JSON text, or raw text when `kind` is text (a text body or a JSON string value).
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
};

using event_ptr = std::shared_ptr<const event>;

// What a publisher asks for; the broker assigns the position.
struct publish_request {
    std::string channel;
    std::string name;
    std::string data;
    data_kind kind = data_kind::json;
    std::string idempotency_key;  // empty for none
};

// What a publish returns.
struct publish_result {
    std::string channel;
    std::uint64_t offset = 0;
    std::string epoch;
    std::size_t delivered_local = 0;
    bool duplicate = false;  // an idempotency key seen before: nothing new was published
};

}  // namespace herald::model
