// Reading hiredis replies: a string's text, an integer (or a decimal string), an array of at least
// n elements, and the event JSON the publish script writes (history entries and pub/sub messages).
// Each takes nullptr as "no reply". No state, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/model/event.hpp"

struct redisReply;

namespace herald::broker {

std::string reply_text(const redisReply* r);  // "" when not a string
std::int64_t reply_integer(const redisReply* r);  // 0 when not a number
bool reply_is_array(const redisReply* r, std::size_t min_elements);
// The event the publish script wrote; nullptr if `data` is not one.
model::event_ptr decode_event(const char* data, std::size_t len);

}  // namespace herald::broker
