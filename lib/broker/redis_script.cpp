// A Lua script with its SHA1: see redis_script.hpp.
#include "lib/broker/redis_script.hpp"

#include <openssl/sha.h>

namespace herald::broker {

redis_script make_redis_script(std::string_view prelude, std::string_view body) {
    redis_script s;
    s.text.reserve(prelude.size() + body.size());
    s.text.append(prelude).append(body);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(s.text.data()), s.text.size(), digest);
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char c : digest) {
        s.sha.push_back(hex[c >> 4]);
        s.sha.push_back(hex[c & 15]);
    }
    return s;
}

}  // namespace herald::broker
