// The JWS algorithms herald accepts (RFC 7518 §3.1), by name, with their key family and digest.
// "none" and anything not listed are not algorithms here: a token naming them is refused.
#pragma once

#include <optional>
#include <string_view>

namespace herald::auth {

enum class key_family { hmac, rsa, ec };

enum class jwt_alg { hs256, hs384, hs512, rs256, rs384, rs512, es256, es384, es512 };

struct alg_info {
    jwt_alg alg;
    std::string_view name;
    key_family family;
    int digest_bits;  // SHA-256/384/512
    int ec_bits;      // curve size for ES*, 0 otherwise (P-256, P-384, P-521)
};

inline constexpr alg_info alg_table[] = {
    {jwt_alg::hs256, "HS256", key_family::hmac, 256, 0}, {jwt_alg::hs384, "HS384", key_family::hmac, 384, 0},
    {jwt_alg::hs512, "HS512", key_family::hmac, 512, 0}, {jwt_alg::rs256, "RS256", key_family::rsa, 256, 0},
    {jwt_alg::rs384, "RS384", key_family::rsa, 384, 0},  {jwt_alg::rs512, "RS512", key_family::rsa, 512, 0},
    {jwt_alg::es256, "ES256", key_family::ec, 256, 256}, {jwt_alg::es384, "ES384", key_family::ec, 384, 384},
    {jwt_alg::es512, "ES512", key_family::ec, 512, 521},
};

inline std::optional<alg_info> find_alg(std::string_view name) {
    for (const auto& a : alg_table)
        if (a.name == name) return a;
    return std::nullopt;
}

inline const alg_info& info(jwt_alg alg) {
    for (const auto& a : alg_table)
        if (a.alg == alg) return a;
    return alg_table[0];
}

inline constexpr std::string_view alg_names = "HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512";

}  // namespace herald::auth
