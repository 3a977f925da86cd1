// JSON codec for the publish API and the envelope format, on nlohmann/json.
#include "lib/protocol/json_codec.hpp"

#include <nlohmann/json.hpp>

#include "lib/model/channel.hpp"
#include "lib/protocol/compact_json.hpp"
#include "lib/util/utf8.hpp"

namespace herald::protocol {

using json = nlohmann::ordered_json;  // keeps a publisher's key order in event data
using model::error;
namespace errors = model::errors;

std::string json_quote(std::string_view s) {
    return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool json_nesting_exceeds(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

namespace {
error too_deep() {
    return errors::invalid_json("values nest deeper than " + std::to_string(max_json_depth) + " levels");
}
}  // namespace

std::optional<error> validate_event_name(std::string_view name) {
    if (name.empty() || name.size() > 100)
        return errors::invalid_field("event", "must be 1-100 bytes, got " + std::to_string(name.size()));
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return errors::invalid_field("event", "must not contain control characters or line breaks");
    if (name.rfind("herald.", 0) == 0)
        return errors::invalid_field("event", "'" + std::string(name) + "' uses the reserved prefix 'herald.'");
    return std::nullopt;
}

std::optional<error> validate_key(std::string_view key) {
    if (key.empty() || key.size() > 256)
        return errors::invalid_key("key must be 1-256 bytes, got " + std::to_string(key.size()));
    for (std::size_t i = 0; i < key.size();) {
        const auto c = static_cast<unsigned char>(key[i]);
        if (c < 0x20 || c == 0x7f) return errors::invalid_key("key must not contain control characters or line breaks");
        const auto n = util::utf8_sequence_length(key.substr(i));
        if (n == 0) return errors::invalid_key("key is not valid UTF-8");
        i += n;
    }
    return std::nullopt;
}

namespace {

// "key", "incr" and "delete" of a publish item: what it does to a keyed channel's key.
std::optional<error> parse_key_fields(const json& j, model::publish_request& r, bool& needs_data) {
    needs_data = true;
    auto key = j.find("key");
    auto incr = j.find("incr");
    auto del = j.find("delete");
    const bool has_incr = incr != j.end() && !incr->is_null();
    const bool has_delete = del != j.end() && !del->is_null() && !(del->is_boolean() && !del->get<bool>());
    if (key != j.end() && !key->is_null()) {
        if (!key->is_string()) return errors::invalid_key("key must be a string");
        r.key = key->get<std::string>();
        if (auto e = validate_key(r.key)) return e;
    }
    if (has_incr && has_delete) return errors::bad_request("give either 'incr' or 'delete', not both");
    if (has_incr) {
        if (!incr->is_number_integer())
            return errors::invalid_field("incr", "must be an integer (negative to decrement)");
        const auto v = incr->is_number_unsigned() && incr->get<std::uint64_t>() > std::uint64_t(model::max_counter)
                           ? model::max_counter + 1
                           : incr->get<std::int64_t>();
        if (v > model::max_counter || v < -model::max_counter)
            return errors::invalid_field("incr", "must be within ±9007199254740991");
        r.op = model::key_op::incr;
        r.incr = v;
    } else if (has_delete) {
        if (!del->is_boolean()) return errors::invalid_field("delete", "must be true or false");
        r.op = model::key_op::remove;
    }
    if (r.op != model::key_op::set) {
        if (r.key.empty()) return errors::missing_field("key");
        if (j.contains("data"))
            return errors::bad_request(std::string("'data' goes with a set; '") +
                                       (r.op == model::key_op::incr ? "incr" : "delete") + "' computes the event itself");
        needs_data = false;
        r.kind = model::data_kind::json;
    }
    return std::nullopt;
}

void set_data(model::publish_request& r, const json& data) {
    if (data.is_string()) {
        r.kind = model::data_kind::text;
        r.data = data.get<std::string>();
    } else {
        r.kind = model::data_kind::json;
        r.data = data.dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

model::result<publish_item> parse_item(const json& j) {
    if (!j.is_object()) return errors::bad_request("each event must be a JSON object");
    model::publish_request base;
    bool needs_data = true;
    if (auto e = parse_key_fields(j, base, needs_data)) return *e;
    auto data = j.find("data");
    if (needs_data) {
        if (data == j.end()) return errors::missing_field("data");
        set_data(base, *data);
    }
    if (auto ev = j.find("event"); ev != j.end() && !ev->is_null()) {
        if (!ev->is_string()) return errors::invalid_field("event", "must be a string");
        base.name = ev->get<std::string>();
        if (auto e = validate_event_name(base.name)) return *e;
    }
    if (auto key = j.find("idempotency_key"); key != j.end() && !key->is_null()) {
        if (!key->is_string()) return errors::invalid_field("idempotency_key", "must be a string");
        base.idempotency_key = key->get<std::string>();
        if (base.idempotency_key.empty() || base.idempotency_key.size() > 200)
            return errors::invalid_field("idempotency_key", "must be 1-200 bytes");
    }
    publish_item item;
    auto ch = j.find("channel");
    auto chs = j.find("channels");
    if (ch != j.end() && chs != j.end())
        return errors::bad_request("give either 'channel' or 'channels', not both");
    std::vector<std::string> names;
    if (ch != j.end()) {
        if (!ch->is_string()) return errors::invalid_field("channel", "must be a string");
        names.push_back(ch->get<std::string>());
    } else if (chs != j.end()) {
        if (!chs->is_array() || chs->empty())
            return errors::invalid_field("channels", "must be a non-empty array of channel names");
        if (chs->size() > 100) return errors::too_many_channels(chs->size(), 100);
        for (const auto& c : *chs) {
            if (!c.is_string()) return errors::invalid_field("channels", "must contain only strings");
            names.push_back(c.get<std::string>());
        }
        item.multi = true;
    } else {
        return errors::missing_field("channel");
    }
    for (auto& name : names) {
        if (auto e = model::validate_channel(name)) return *e;
        model::publish_request r = base;
        r.channel = std::move(name);
        item.requests.push_back(std::move(r));
    }
    return item;
}

}  // namespace

model::result<publish_body> parse_publish_body(std::string_view body, std::size_t max_publishes) {
    if (json_nesting_exceeds(body)) return too_deep();
    json j;
    try {
        j = json::parse(body);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number such as 1e400
        return errors::invalid_json(e.what());
    }
    // Counted before any request is built: a small body must not expand into a large amount of
    // work or memory (each publish copies the event's data).
    auto fan = [](const json& item) -> std::size_t {
        if (!item.is_object()) return 1;
        auto chs = item.find("channels");
        return chs != item.end() && chs->is_array() && !chs->empty() ? chs->size() : 1;
    };
    std::size_t total = 0;
    if (j.is_object() && j.contains("events") && j["events"].is_array()) {
        if (j["events"].size() <= 1000)  // past that the batch is refused below, naming the item limit
            for (const auto& item : j["events"]) total += fan(item);
    }
    else
        total = fan(j);
    if (total > max_publishes) return errors::too_many_publishes(total, max_publishes);
    publish_body out;
    if (j.is_object() && j.contains("events")) {
        const auto& evs = j["events"];
        if (!evs.is_array() || evs.empty()) return errors::invalid_field("events", "must be a non-empty array");
        if (evs.size() > 1000) return errors::invalid_field("events", "holds more than 1000 items");
        out.batch = true;
        for (const auto& item : evs) out.items.push_back(parse_item(item));
        return out;
    }
    auto item = parse_item(j);
    if (!item) return item.err();
    out.items.push_back(std::move(item));
    return out;
}

model::result<model::publish_request> raw_publish_request(std::string channel, std::string body, bool is_json,
                                                          std::string name, std::string idempotency_key,
                                                          std::optional<std::string> key) {
    if (auto e = model::validate_channel(channel)) return *e;
    if (!name.empty())
        if (auto e = validate_event_name(name)) return *e;
    if (key)
        if (auto e = validate_key(*key)) return *e;
    model::publish_request r;
    r.channel = std::move(channel);
    r.name = std::move(name);
    r.idempotency_key = std::move(idempotency_key);
    if (key) r.key = std::move(*key);
    if (r.idempotency_key.size() > 200) return errors::invalid_field("idempotency_key", "must be 1-200 bytes");
    if (is_json) {
        // Stored as it came, with no parse and dump; it nests within the limit by construction.
        static_assert(compact_json_max_depth <= max_json_depth);
        if (already_compact_json(body)) {
            r.kind = model::data_kind::json;
            r.data = std::move(body);
            return r;
        }
        if (json_nesting_exceeds(body)) return too_deep();
        json j = json::parse(body, nullptr, false);
        if (j.is_discarded()) return errors::invalid_json("the body is sent as application/json but does not parse");
        set_data(r, j);
    } else {
        r.kind = model::data_kind::text;
        r.data = std::move(body);
    }
    return r;
}

std::string event_envelope_json(const model::event& ev, std::string_view leading_members) {
    std::string out;
    out.reserve(ev.data.size() + ev.channel.size() + ev.name.size() + leading_members.size() + 96);
    out.append("{").append(leading_members).append("\"channel\":").append(json_quote(ev.channel));
    out.append(",\"offset\":").append(std::to_string(ev.offset));
    out.append(",\"epoch\":").append(json_quote(ev.epoch));
    if (!ev.key.empty()) out.append(",\"key\":").append(json_quote(ev.key));
    if (!ev.name.empty()) out.append(",\"event\":").append(json_quote(ev.name));
    if (ev.deleted)
        out.append(",\"deleted\":true");
    else if (ev.kind == model::data_kind::json)
        out.append(",\"data\":").append(ev.data);
    else
        out.append(",\"data\":").append(json_quote(ev.data));
    out.append(",\"published_at\":").append(std::to_string(ev.published_at)).push_back('}');
    return out;
}

std::string publish_result_json(const model::publish_result& r) {
    json j{{"channel", r.channel}, {"offset", r.offset}, {"epoch", r.epoch}, {"delivered_local", r.delivered_local}};
    if (r.value) j["value"] = *r.value;
    if (r.duplicate) j["duplicate"] = true;
    return j.dump();
}

std::string error_json(const model::error& e) {
    json j{{"error", {{"code", e.code}, {"message", e.message}, {"hint", e.hint}}}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace herald::protocol
