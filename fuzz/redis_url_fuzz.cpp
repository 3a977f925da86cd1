// Fuzzes Redis broker URLs (lib/broker/redis_url parse_redis_url). An accepted URL has a host, a
// port in 1-65535 and a db in 0-1000000, and written out again (display() without a password,
// by hand with one) parses to the same parts; display() and every error message keep the
// password out.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "lib/broker/redis_url.hpp"

using namespace herald;

namespace {

bool same(const broker::redis_url& a, const broker::redis_url& b) {
    return a.host == b.host && a.port == b.port && a.user == b.user && a.password == b.password && a.db == b.db;
}

std::string with_password(const broker::redis_url& u) {
    const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    return "redis://" + u.user + ":" + u.password + "@" + host + ":" + std::to_string(u.port) + "/" + std::to_string(u.db);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    const auto url = broker::parse_redis_url(text);
    if (!url) {
        FUZZ_CHECK(url.err().code == "invalid_broker_url" && url.err().status == 400, "unexpected error");
        // The password is whatever lies between the first ':' and the last '@' after the scheme:
        // with another password in its place, the message must be the same (it never shows it).
        if (text.starts_with("redis://")) {
            const auto rest = text.substr(8);
            const auto at = rest.rfind('@');
            const auto colon = at == std::string_view::npos ? at : rest.substr(0, at).find(':');
            if (colon != std::string_view::npos && colon + 1 < at) {
                const std::string other = "redis://" + std::string(rest.substr(0, colon + 1)) + "x" +
                                          std::string(rest.substr(at));
                const auto other_url = broker::parse_redis_url(other);
                FUZZ_CHECK(!other_url && other_url.err().message == url.err().message, "an error shows the password");
            }
        }
        return 0;
    }
    FUZZ_CHECK(!url->host.empty(), "accepted an empty host");
    FUZZ_CHECK(url->port >= 1 && url->port <= 65535, "port out of range");
    FUZZ_CHECK(url->db >= 0 && url->db <= 1000000, "db out of range");
    FUZZ_CHECK(url->password.empty() || url->user.empty() || url->user.find(':') == std::string::npos,
               "a user with ':'");

    const auto shown = url->display();
    if (url->password.empty()) {
        auto back = broker::parse_redis_url(shown);
        FUZZ_CHECK(back && same(back.value(), url.value()), "display() does not parse back to the same URL");
    } else {
        const std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
        FUZZ_CHECK(shown == "redis://" + url->user + ":***@" + host + ":" + std::to_string(url->port) + "/" +
                                std::to_string(url->db),
                   "display() is not the URL with exactly its password masked");
        auto back = broker::parse_redis_url(with_password(url.value()));
        FUZZ_CHECK(back && same(back.value(), url.value()), "the URL written out again parses differently");
    }
    return 0;
}
