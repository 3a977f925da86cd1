// Subscriber tokens for tests: HS256 tokens from a secret and claims, EC key pairs written as PEM
// files (for --jwt-public-key), and one-byte tampering. Built on lib/auth's signer, which the
// unit tests check against RFC 7515 vectors. Test thread only.
#pragma once

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string>

#include "lib/auth/jwt.hpp"
#include "lib/auth/key_set.hpp"

namespace herald::test {

inline constexpr const char* test_secret = "test-secret-of-at-least-32-bytes-0123456789";

inline std::int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// An HS256 token over `claims`; "exp" defaults to an hour from now unless given (null: none).
inline std::string hs256_token(nlohmann::json claims, const std::string& secret = test_secret) {
    if (!claims.contains("exp")) claims["exp"] = unix_now() + 3600;
    if (claims["exp"].is_null()) claims.erase("exp");
    auth::verify_key key;
    key.family = auth::key_family::hmac;
    key.secret = secret;
    return *auth::sign_jwt(*auth::find_alg("HS256"), key, claims, "");
}

inline std::string user_token(const std::string& sub, const std::vector<std::string>& channels = {},
                              const std::string& secret = test_secret) {
    nlohmann::json c{{"sub", sub}};
    if (!channels.empty()) c["channels"] = channels;
    return hs256_token(c, secret);
}

// A fresh EC P-256 key pair: the private key's PEM file path and the public key's, in dir, named
// <stem>.key.pem and <stem>.pem (so the public key's kid is <stem>).
struct ec_key_files {
    std::string private_path, public_path;
};
inline ec_key_files write_ec_key_pair(const std::string& dir, const std::string& stem) {
    EVP_PKEY* k = EVP_EC_gen("P-256");
    ec_key_files out{dir + "/" + stem + ".key.pem", dir + "/" + stem + ".pem"};
    FILE* f = std::fopen(out.private_path.c_str(), "w");
    PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen(out.public_path.c_str(), "w");
    PEM_write_PUBKEY(f, k);
    std::fclose(f);
    EVP_PKEY_free(k);
    return out;
}

inline std::string es256_token(const std::string& private_path, nlohmann::json claims, const std::string& kid) {
    if (!claims.contains("exp")) claims["exp"] = unix_now() + 3600;
    auto key = auth::load_private_key_file(private_path);
    return *auth::sign_jwt(*auth::find_alg("ES256"), *key, claims, kid);
}

// The token with the character at `pos` replaced by a different base64url character.
inline std::string tamper(std::string token, std::size_t pos) {
    char& c = token[pos];
    if (c == '.') return token;
    c = c == 'A' ? 'B' : 'A';
    return token;
}

}  // namespace herald::test
