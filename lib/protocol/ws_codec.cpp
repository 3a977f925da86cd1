// WebSocket JSON codec on nlohmann/json; event payloads are assembled without re-parsing data.
#include "lib/protocol/ws_codec.hpp"

#include <nlohmann/json.hpp>

#include "lib/model/channel.hpp"
#include "lib/protocol/json_codec.hpp"

namespace herald::protocol {

using nlohmann::json;
namespace errors = model::errors;

std::optional<ws_command_error> parse_ws_command(std::string_view text, ws_command& out) {
    if (json_nesting_exceeds(text))
        return ws_command_error{"", errors::invalid_command_json("message nests deeper than " +
                                                                 std::to_string(max_json_depth) + " levels",
                                                                 "send one flat JSON command object per text frame")};
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded())
        return ws_command_error{"", errors::invalid_command_json(
                                        "message is not valid JSON",
                                        "send one JSON object per text frame, e.g. {\"op\":\"ping\"}")};
    if (!j.is_object())
        return ws_command_error{"", errors::invalid_command("message is not a JSON object",
                                                            "send {\"op\":\"subscribe\",\"channel\":\"news\"}")};
    if (auto id = j.find("id"); id != j.end()) {
        if (!id->is_number_integer() && !id->is_number_unsigned() && !id->is_string())
            return ws_command_error{"", errors::invalid_command("'id' must be a number or a string",
                                                                "use an increasing integer per command")};
        out.id = id->dump();
    }
    auto op = j.find("op");
    if (op == j.end() || !op->is_string())
        return ws_command_error{out.id, errors::invalid_command("missing 'op'",
                                                                "op is one of subscribe, unsubscribe, ping, refresh")};
    const auto name = op->get<std::string>();
    if (name == "ping") {
        out.op = ws_op::ping;
        return std::nullopt;
    }
    if (name == "refresh") {
        out.op = ws_op::refresh;
        auto t = j.find("token");
        if (t == j.end() || !t->is_string())
            return ws_command_error{out.id, errors::invalid_command("refresh needs a 'token' string",
                                                                    "send {\"op\":\"refresh\",\"token\":\"...\"}")};
        out.token = t->get<std::string>();
        return std::nullopt;
    }
    if (name != "subscribe" && name != "unsubscribe")
        return ws_command_error{out.id, errors::unknown_op(name)};
    out.op = name == "subscribe" ? ws_op::subscribe : ws_op::unsubscribe;
    auto ch = j.find("channel");
    if (ch == j.end() || !ch->is_string())
        return ws_command_error{out.id, errors::invalid_command(name + " needs a 'channel' string",
                                                                "send {\"op\":\"" + name + "\",\"channel\":\"news\"}")};
    out.channel = ch->get<std::string>();
    if (auto e = model::validate_channel(out.channel)) return ws_command_error{out.id, *e};
    if (out.op == ws_op::subscribe) {
        if (auto s = j.find("since"); s != j.end() && s->is_string() && s->get<std::string>() == "latest") {
            out.since = ws_since{std::nullopt, 0, true};
        } else if (s != j.end() && !s->is_null()) {
            if (!s->is_object() || !s->contains("offset") || !(*s)["offset"].is_number_unsigned())
                return ws_command_error{
                    out.id, errors::invalid_since("'since' must be {\"epoch\":..,\"offset\":N} or \"latest\"",
                                                  "pass the epoch and offset of the last event you processed")};
            ws_since since;
            since.offset = (*s)["offset"].get<std::uint64_t>();
            if (auto e = s->find("epoch"); e != s->end() && !e->is_null()) {
                if (!e->is_string())
                    return ws_command_error{out.id, errors::invalid_since("'since.epoch' must be a string",
                                                                          "pass the epoch from the last event")};
                since.epoch = e->get<std::string>();
            }
            out.since = since;
        }
    }
    return std::nullopt;
}

std::string ws_event_json(const model::event& ev) { return event_envelope_json(ev, "\"op\":\"event\","); }

std::string ws_error_json(std::string_view id, const model::error& e) {
    std::string out = "{\"op\":\"error\"";
    if (!id.empty()) out.append(",\"id\":").append(id);
    out.append(",\"code\":").append(json_quote(e.code));
    out.append(",\"message\":").append(json_quote(e.message));
    if (!e.hint.empty()) out.append(",\"hint\":").append(json_quote(e.hint));
    out.push_back('}');
    return out;
}

std::string ws_reply_json(std::string_view op, std::string_view id, std::string_view extra) {
    std::string out = "{\"op\":";
    out.append(json_quote(op));
    if (!id.empty()) out.append(",\"id\":").append(id);
    out.append(extra).push_back('}');
    return out;
}

}  // namespace herald::protocol
