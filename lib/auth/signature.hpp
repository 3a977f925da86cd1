// JWS signatures (RFC 7518 §3): HMAC-SHA2, RSASSA-PKCS1-v1_5 and ECDSA with the raw R||S
// encoding, computed and checked with OpenSSL. A key of the wrong family never verifies.
#pragma once

#include <string>
#include <string_view>

#include "lib/auth/jwt_alg.hpp"
#include "lib/auth/key_set.hpp"

namespace herald::auth {

// True only when `sig` is a valid signature of `input` under `key` with `alg`.
bool verify_signature(const alg_info& alg, const verify_key& key, std::string_view input, std::string_view sig);
// The signature bytes, or an error when the key cannot sign with `alg`.
model::result<std::string> create_signature(const alg_info& alg, const verify_key& key, std::string_view input);

}  // namespace herald::auth
