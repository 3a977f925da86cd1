// The keys tokens are verified with: HMAC secrets (HS*) and PEM public keys (RS*, ES*), several
// at once so keys can be rotated. A PEM file may hold several keys (PUBLIC KEY or CERTIFICATE
// blocks); its keys carry the file's stem as `kid` ("keys/2026-11.pem" → "2026-11", see file_stem).
// Also loads private keys for `herald token create`. Immutable once built; share freely.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/jwt_alg.hpp"
#include "lib/model/error.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace herald::auth {

using pkey_ptr = std::shared_ptr<EVP_PKEY>;

struct verify_key {
    key_family family;
    std::string kid;     // empty: no kid
    std::string secret;  // HMAC only
    pkey_ptr pkey;       // RSA/EC only
    int ec_bits = 0;     // EC curve size
    std::string source;  // where it came from, for messages ("secret #2", a file path); never the secret
};

class key_set {
public:
    void add_secret(std::string secret, std::string source);
    // Every public key in `pem`; an error names the source when none can be read, or a key is
    // neither RSA (≥ 2048 bits) nor EC P-256/384/521.
    std::optional<model::error> add_pem(std::string_view pem, const std::string& kid, const std::string& source);
    std::optional<model::error> add_pem_file(const std::string& path);

    const std::vector<verify_key>& keys() const { return keys_; }
    bool empty() const { return keys_.empty(); }

private:
    std::vector<verify_key> keys_;
};

// A private key for signing: RSA or EC, from a PEM file ("PRIVATE KEY", "RSA/EC PRIVATE KEY").
model::result<verify_key> load_private_key_file(const std::string& path);

// The kid of a key file: its name without the type extension and a .key/.pub role marker:
// "dir/2026-11.pem" and "dir/2026-11.key.pem" → "2026-11"; "2026.11.pem" → "2026.11".
std::string file_stem(const std::string& path);

}  // namespace herald::auth
