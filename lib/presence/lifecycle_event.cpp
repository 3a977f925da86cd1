// JSON of the lifecycle webhook items and of a POST body. Pure; any thread.
// A transition names its subject by kind ("user" for user.*, "channel" for channel.*); a resync
// has "reason" and no subject. Strings are escaped by nlohmann/json (invalid UTF-8 replaced).
#include "lib/presence/lifecycle_event.hpp"

#include <nlohmann/json.hpp>

namespace herald::presence {

namespace {

nlohmann::ordered_json item(const lifecycle_event& e) {
    nlohmann::ordered_json j;
    j["id"] = e.id();
    j["type"] = e.type;
    if (e.type.rfind("user.", 0) == 0)
        j["user"] = e.subject;
    else if (e.type.rfind("channel.", 0) == 0)
        j["channel"] = e.subject;
    else if (e.type == "resync")
        j["reason"] = e.reason;
    j["position"] = e.position;
    j["node"] = e.node;
    j["node_seq"] = e.node_seq;
    j["at"] = e.at_ms;
    return j;
}

std::string dump(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string to_json(const lifecycle_event& e) { return dump(item(e)); }

std::string batch_json(const std::vector<lifecycle_event>& items) {
    nlohmann::ordered_json events = nlohmann::ordered_json::array();
    for (const auto& e : items) events.push_back(item(e));
    nlohmann::ordered_json body;
    body["events"] = std::move(events);
    return dump(body);
}

}  // namespace herald::presence
