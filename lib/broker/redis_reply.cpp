// Reading hiredis replies and the event JSON the publish script writes. No state, no I/O.
#include "lib/broker/redis_reply.hpp"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

namespace herald::broker {

std::string reply_text(const redisReply* r) { return r && r->str ? std::string(r->str, r->len) : std::string(); }

std::int64_t reply_integer(const redisReply* r) {
    if (!r) return 0;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return std::strtoll(reply_text(r).c_str(), nullptr, 10);
    return 0;
}

bool reply_is_array(const redisReply* r, std::size_t min_elements) {
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= min_elements;
}

model::event_ptr decode_event(const char* data, std::size_t len) {
    auto j = nlohmann::json::parse(data, data + len, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return nullptr;
    auto ev = std::make_shared<model::event>();
    try {
        ev->published_at = j.at("published_at").get<std::int64_t>();
        ev->offset = j.at("offset").get<std::uint64_t>();
        ev->epoch = j.at("epoch").get<std::string>();
        ev->channel = j.at("channel").get<std::string>();
        ev->name = j.at("name").get<std::string>();
        ev->kind = j.at("kind").get<std::string>() == "text" ? model::data_kind::text : model::data_kind::json;
        ev->data = j.at("data").get<std::string>();
        if (auto key = j.find("key"); key != j.end()) ev->key = key->get<std::string>();  // a keyed channel's
        if (auto del = j.find("deleted"); del != j.end()) ev->deleted = del->get<bool>();
    } catch (const nlohmann::json::exception&) {
        return nullptr;
    }
    return ev;
}

}  // namespace herald::broker
