// Fuzzes the publish API's body parsing (lib/protocol/json_codec parse_publish_body and
// raw_publish_request). No exception may escape. Every error must render as JSON; every accepted
// item must hold valid channels, names, idempotency keys and keyed-channel keys (incr within the
// counter range, no data with incr or delete), must survive being written back out as a
// publish body and parsed again, and must render as a valid JSON event envelope. A raw JSON body is
// stored as the same bytes whether it was kept as it came (already compact) or parsed and re-dumped.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "lib/model/channel.hpp"
#include "lib/protocol/json_codec.hpp"

using namespace herald;
using json = nlohmann::ordered_json;

namespace {

bool same(const model::publish_request& a, const model::publish_request& b) {
    return a.channel == b.channel && a.name == b.name && a.data == b.data && a.kind == b.kind &&
           a.idempotency_key == b.idempotency_key && a.key == b.key && a.op == b.op && a.incr == b.incr;
}

void check_error(const model::error& e) {
    FUZZ_CHECK(!e.code.empty() && e.status >= 400 && e.status < 500, "error without a code or a 4xx status");
    FUZZ_CHECK(!json::parse(protocol::error_json(e), nullptr, false).is_discarded(), "error_json is not JSON");
}

void check_envelope(const model::publish_request& r) {
    model::event ev{r.channel, 7, "epoch", r.name, r.data, r.kind, 1};
    const auto env = json::parse(protocol::event_envelope_json(ev), nullptr, false);
    FUZZ_CHECK(env.is_object() && env.contains("data"), "envelope is not a JSON object");
    if (r.kind == model::data_kind::json)
        FUZZ_CHECK(env["data"].dump() == r.data, "envelope changed JSON data");
}

// The item written back out as a one-item publish body.
json to_json(const protocol::publish_item& item) {
    const auto& r = item.requests.front();
    json j;
    if (item.multi) {
        j["channels"] = json::array();
        for (const auto& q : item.requests) j["channels"].push_back(q.channel);
    } else {
        j["channel"] = r.channel;
    }
    if (r.op == model::key_op::set)
        j["data"] = r.kind == model::data_kind::text ? json(r.data) : json::parse(r.data);
    if (!r.key.empty()) j["key"] = r.key;
    if (r.op == model::key_op::incr) j["incr"] = r.incr;
    if (r.op == model::key_op::remove) j["delete"] = true;
    if (!r.name.empty()) j["event"] = r.name;
    if (!r.idempotency_key.empty()) j["idempotency_key"] = r.idempotency_key;
    return j;
}

void check_item(const protocol::publish_item& item) {
    FUZZ_CHECK(!item.requests.empty(), "an item without requests");
    FUZZ_CHECK(item.multi || item.requests.size() == 1, "several requests from one 'channel'");
    for (const auto& r : item.requests) {
        FUZZ_CHECK(!model::validate_channel(r.channel), "accepted an invalid channel");
        FUZZ_CHECK(r.name.empty() || !protocol::validate_event_name(r.name), "accepted an invalid event name");
        FUZZ_CHECK(r.idempotency_key.size() <= 200, "accepted an idempotency key over 200 bytes");
        FUZZ_CHECK(r.key.empty() || !protocol::validate_key(r.key), "accepted an invalid key");
        FUZZ_CHECK(r.op == model::key_op::set || (!r.key.empty() && r.data.empty()), "incr or delete without a key, or with data");
        FUZZ_CHECK(r.incr >= -model::max_counter && r.incr <= model::max_counter, "accepted an incr out of range");
        if (r.op != model::key_op::set) continue;
        if (r.kind == model::data_kind::json) {
            const auto d = json::parse(r.data, nullptr, false);
            FUZZ_CHECK(!d.is_discarded() && d.dump() == r.data, "JSON data is not canonical JSON");
        }
        check_envelope(r);
    }
    const auto again = protocol::parse_publish_body(to_json(item).dump());
    FUZZ_CHECK(again && !again->batch && again->items.size() == 1 && again->items[0], "re-encoded item refused");
    const auto& back = again->items[0].value();
    FUZZ_CHECK(back.multi == item.multi && back.requests.size() == item.requests.size(), "re-encoded item changed shape");
    for (std::size_t i = 0; i < back.requests.size(); ++i)
        FUZZ_CHECK(same(back.requests[i], item.requests[i]), "re-encoded item changed a request");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto body = fuzz::as_text(data, size);

    auto parsed = protocol::parse_publish_body(body);
    if (!parsed) {
        check_error(parsed.err());
    } else {
        FUZZ_CHECK(!parsed->items.empty() && (parsed->batch || parsed->items.size() == 1), "bad item count");
        FUZZ_CHECK(parsed->items.size() <= 1000, "a batch over 1000 items");
        for (const auto& item : parsed->items) {
            if (item)
                check_item(item.value());
            else
                check_error(item.err());
        }
    }

    auto text = protocol::raw_publish_request("news", std::string(body), false, "", "");
    FUZZ_CHECK(text && text->kind == model::data_kind::text && text->data == body, "a raw text body was changed");
    check_envelope(*text);
    auto as_json = protocol::raw_publish_request("news", std::string(body), true, "", "");
    if (as_json && as_json->kind == model::data_kind::json) {
        // Kept as it came or parsed and re-dumped, the stored data is the same bytes.
        const auto dumped = json::parse(body).dump(-1, ' ', false, json::error_handler_t::replace);
        FUZZ_CHECK(as_json->data == dumped, "a JSON body kept as it came differs from its compact dump");
    }
    if (as_json)
        check_envelope(*as_json);
    else
        check_error(as_json.err());
    return 0;
}
