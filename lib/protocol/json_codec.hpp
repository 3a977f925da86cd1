// JSON wire shapes: publish requests in, events/results/errors out. The only place wire field
// names of the HTTP API live. Pure functions; parse errors come back as named errors, never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/error.hpp"
#include "lib/model/event.hpp"

namespace herald::protocol {

// JSON deeper than this is refused before it is parsed: serialising it recurses per level.
inline constexpr std::size_t max_json_depth = 256;
// True when arrays/objects in `text` nest deeper than `max_depth` (strings are skipped). O(n).
bool json_nesting_exceeds(std::string_view text, std::size_t max_depth = max_json_depth);

// One publish item: one event to one or more channels ("channel" or "channels").
struct publish_item {
    std::vector<model::publish_request> requests;  // one per channel, same event
    bool multi = false;                            // given as "channels": reply with {"results":[..]}
};

// A parsed POST /v1/publish body: a single item, or a batch ({"events":[..]}) whose items are
// independent (an invalid item carries its error, the rest still publish).
struct publish_body {
    bool batch = false;
    std::vector<model::result<publish_item>> items;
};

// More than `max_publishes` publishes in all (events x channels) is refused whole with
// too_many_publishes (413), before any is built.
model::result<publish_body> parse_publish_body(std::string_view body, std::size_t max_publishes = 1000);

// Builds the request for a raw body on POST /v1/channels/{ch}/events. `json` says whether the
// Content-Type was JSON (then the body must parse); a JSON string value becomes text. `key`: the
// ?key= of a keyed channel's publish.
model::result<model::publish_request> raw_publish_request(std::string channel, std::string body, bool json,
                                                          std::string name, std::string idempotency_key,
                                                          std::optional<std::string> key = std::nullopt);

// Validates a keyed channel's key: 1-256 bytes of UTF-8, no control characters.
std::optional<model::error> validate_key(std::string_view key);

// Validates an event name: 1-100 bytes, printable, not starting with the reserved "herald.".
std::optional<model::error> validate_event_name(std::string_view name);

// {"channel","offset","epoch"[,"key"][,"event"],"data"|"deleted":true,"published_at"}.
// `leading_members` ("" or a run of "k":v, members each followed by a comma) go first, e.g.
// "\"op\":\"event\"," for the WebSocket event message.
std::string event_envelope_json(const model::event& ev, std::string_view leading_members = {});
std::string publish_result_json(const model::publish_result& r);
std::string error_json(const model::error& e);
// A JSON string literal for `s` (quoted and escaped).
std::string json_quote(std::string_view s);

}  // namespace herald::protocol
