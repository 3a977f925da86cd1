// JSON Web Tokens in JWS compact form (RFC 7519, RFC 7515): verification against a key_set and
// signing for `herald token create`. Verification checks, in order: shape and size, header
// (base64url JSON, alg from the accepted list, no `crit`), signature (keys of the alg's family
// only, those with the token's kid first), and only then the payload: JSON, claims, exp, nbf,
// aud and iss. Each refusal is a named error whose message says what was wrong and never
// contains the token.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/key_set.hpp"
#include "lib/model/error.hpp"

namespace herald::auth {

struct claims {
    std::optional<std::string> sub;        // a number is taken as its decimal text
    std::optional<std::int64_t> exp_ms;    // absent: never expires
    std::optional<std::int64_t> nbf_ms;
    std::vector<std::string> channels;     // channel names or trailing-* patterns
    std::string alg;
    std::string kid;
};

struct verify_options {
    std::string audience;  // when set, `aud` must name it
    std::string issuer;    // when set, `iss` must equal it
    std::int64_t nbf_leeway_ms = 5000;  // clock skew allowed for nbf; exp gets none
    std::size_t max_token_bytes = 8192;
};

model::result<claims> verify_jwt(std::string_view token, const key_set& keys, std::int64_t now_ms,
                                 const verify_options& opt);

// header.payload.signature for `payload` (a JSON object), with kid in the header when not empty.
model::result<std::string> sign_jwt(const alg_info& alg, const verify_key& key, const nlohmann::json& payload,
                                    const std::string& kid);

}  // namespace herald::auth
