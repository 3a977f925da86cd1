// base64url through OpenSSL's base64 block coder, translating the two alphabet differences.
#include "lib/auth/base64url.hpp"

#include <openssl/evp.h>

namespace herald::auth {

std::string base64url_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;  // no byte string encodes to this length
    std::string std_b64;
    std_b64.reserve(text.size() + 3);
    for (char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            std_b64 += c;
        else if (c == '-')
            std_b64 += '+';
        else if (c == '_')
            std_b64 += '/';
        else
            return std::nullopt;
    }
    const std::size_t pad = (4 - text.size() % 4) % 4;
    std_b64.append(pad, '=');
    std::string out(std_b64.size() / 4 * 3, '\0');
    if (std_b64.empty()) return out;
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(std_b64.data()), static_cast<int>(std_b64.size()));
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
    // Canonical only: re-encoding must give the input back (no stray bits in the last character).
    if (base64url_encode(out) != text) return std::nullopt;
    return out;
}

}  // namespace herald::auth
