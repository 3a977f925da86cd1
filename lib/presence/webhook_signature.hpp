// The Herald-Signature header of a webhook POST: `t=<unix seconds>,v1=<hex HMAC-SHA256>` where
// the HMAC key is the configured secret and the signed text is "<t>.<body>". The app recomputes
// it, compares in constant time and refuses a `t` too far from its clock (replays).
// Pure functions (OpenSSL HMAC), any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::presence {

// The header value for `body` sent at `unix_seconds`.
std::string sign_webhook(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

enum class signature_check {
    valid,
    malformed,  // not t=<digits>,v1=<64 hex digits>
    too_old,    // t is more than `tolerance_s` away from `now_s` (either way)
    mismatch,   // no v1 matches the HMAC of the body under `secret`
};
std::string_view signature_check_name(signature_check c);

// Checks a received header: every v1 in it is tried (several when a secret is being rotated).
signature_check verify_webhook(std::string_view secret, std::string_view header, std::string_view body,
                               std::int64_t now_s, std::int64_t tolerance_s);

}  // namespace herald::presence
