// A Lua script as herald sends it to Redis: its text (a prelude of shared helpers plus the body)
// and the text's SHA1, for EVALSHA (EVAL when Redis answers NOSCRIPT). Pure, any thread.
#pragma once

#include <string>
#include <string_view>

namespace herald::broker {

struct redis_script {
    std::string text;
    std::string sha;  // lowercase hex SHA1 of text
};

redis_script make_redis_script(std::string_view prelude, std::string_view body);

}  // namespace herald::broker
