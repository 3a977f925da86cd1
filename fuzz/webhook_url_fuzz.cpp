// Fuzzes lifecycle webhook endpoint URLs (lib/presence/webhook_url parse_webhook_url), a setting
// read from flags, variables and config files. No exception; a refusal is invalid_webhook_url with
// a message; an accepted URL is http:// (any case), has a host without space or control bytes, a port of
// digits in 1-65535 and a target starting with '/'; written out again from its parts
// (http://host_header()target) it parses to the same parts.
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "lib/presence/webhook_url.hpp"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::as_text(data, size));
    const auto url = presence::parse_webhook_url(text);
    if (!url) {
        FUZZ_CHECK(url.err().code == "invalid_webhook_url", "unexpected error code");
        FUZZ_CHECK(!url.err().message.empty(), "an error without a message");
        return 0;
    }
    std::string scheme = text.substr(0, 7);  // schemes are case-insensitive (RFC 3986)
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    FUZZ_CHECK(scheme == "http://", "accepted a scheme other than http");
    FUZZ_CHECK(!url->host.empty(), "accepted an empty host");
    for (char c : url->host)
        FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f, "host with a space or control byte");
    int port = 0;
    const auto [end, ec] = std::from_chars(url->port.data(), url->port.data() + url->port.size(), port);
    FUZZ_CHECK(ec == std::errc() && end == url->port.data() + url->port.size() && port >= 1 && port <= 65535,
               "port out of range");
    FUZZ_CHECK(!url->target.empty() && url->target[0] == '/', "target not starting with /");
    const auto again = presence::parse_webhook_url("http://" + url->host_header() + url->target);
    FUZZ_CHECK(again && again->host == url->host && again->port == url->port && again->target == url->target,
               "written out again, the URL parses differently");
    return 0;
}
