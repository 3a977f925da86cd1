// Herald-Signature: HMAC-SHA256 over "<t>.<body>", lowercase hex; verification parses the
// header strictly and compares with CRYPTO_memcmp. Pure, any thread.
#include "lib/presence/webhook_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <string>
#include <vector>

namespace herald::presence {

namespace {

std::string hmac_hex(std::string_view secret, std::string_view t, std::string_view body) {
    std::string text;
    text.reserve(t.size() + 1 + body.size());
    text.append(t).append(".").append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
    static const char empty = 0;
    HMAC(EVP_sha256(), secret.empty() ? &empty : secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[mac[i] >> 4]);
        out.push_back(hex[mac[i] & 15]);
    }
    return out;
}

bool all_digits(std::string_view s) {
    if (s.empty() || s.size() > 18) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool lower_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

std::string sign_webhook(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
    const std::string t = std::to_string(unix_seconds);
    return "t=" + t + ",v1=" + hmac_hex(secret, t, body);
}

std::string_view signature_check_name(signature_check c) {
    switch (c) {
        case signature_check::valid:
            return "valid";
        case signature_check::malformed:
            return "malformed";
        case signature_check::too_old:
            return "too_old";
        case signature_check::mismatch:
            return "mismatch";
    }
    return "malformed";
}

signature_check verify_webhook(std::string_view secret, std::string_view header, std::string_view body,
                               std::int64_t now_s, std::int64_t tolerance_s) {
    if (header.size() > 4096) return signature_check::malformed;
    std::string_view t;
    std::vector<std::string_view> v1s;
    while (!header.empty()) {
        const auto comma = header.find(',');
        const auto part = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        const auto eq = part.find('=');
        if (eq == std::string_view::npos) return signature_check::malformed;
        const auto key = part.substr(0, eq), value = part.substr(eq + 1);
        if (key == "t") {
            if (!t.empty() || !all_digits(value)) return signature_check::malformed;
            t = value;
        } else if (key == "v1") {
            if (!lower_hex64(value)) return signature_check::malformed;
            v1s.push_back(value);
        }  // other schemes (v0, v2...) are ignored, as a newer herald may add them
    }
    if (t.empty() || v1s.empty()) return signature_check::malformed;
    std::int64_t when = 0;
    std::from_chars(t.data(), t.data() + t.size(), when);
    const std::int64_t skew = when > now_s ? when - now_s : now_s - when;
    if (skew > tolerance_s) return signature_check::too_old;
    const std::string expected = hmac_hex(secret, t, body);
    bool match = false;
    for (auto v : v1s) match |= CRYPTO_memcmp(v.data(), expected.data(), expected.size()) == 0;
    return match ? signature_check::valid : signature_check::mismatch;
}

}  // namespace herald::presence
