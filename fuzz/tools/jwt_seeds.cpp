// Writes valid signed tokens (HS256 with the fuzz secret, ES256 and RS256 with fuzz/keys/) as
// seeds for jwt_fuzz, each prefixed with the mode byte 0 (a token). Usage: jwt_seeds KEYS_DIR OUT_DIR.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/jwt_keys.hpp"
#include "lib/auth/jwt.hpp"
#include "lib/auth/key_set.hpp"

using namespace herald;
using nlohmann::json;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: jwt_seeds KEYS_DIR OUT_DIR\n");
        return 2;
    }
    const std::string keys = argv[1], out = argv[2];
    auth::verify_key hs;
    hs.family = auth::key_family::hmac;
    hs.secret = fuzz::hs_secret;
    auto ec = auth::load_private_key_file(keys + "/ec_private.pem");
    auto rsa = auth::load_private_key_file(keys + "/rsa_private.pem");
    if (!ec || !rsa) {
        std::fprintf(stderr, "cannot load the private keys from %s\n", keys.c_str());
        return 1;
    }
    const json payloads[] = {
        {{"sub", "42"}},
        {{"sub", 7}, {"exp", 1900000000}, {"nbf", 1700000000}, {"channels", {"news", "prices:*"}}},
        {{"sub", "u"}, {"aud", {"x", "herald-fuzz"}}, {"iss", "fuzz-issuer"}, {"exp", 1900000000.5}},
        {{"channels", json::array()}, {"exp", 1}},
    };
    struct signer { const char* alg; const auth::verify_key* key; const char* kid; };
    const signer signers[] = {{"HS256", &hs, ""}, {"HS384", &hs, "hs"}, {"ES256", &*ec, "ec"}, {"RS256", &*rsa, ""}};
    int n = 0;
    for (const auto& s : signers)
        for (const auto& p : payloads) {
            auto token = auth::sign_jwt(*auth::find_alg(s.alg), *s.key, p, s.kid);
            if (!token) return 1;
            std::ofstream(out + "/token_" + std::to_string(n++)) << '\0' << *token;
        }
    std::printf("wrote %d tokens to %s\n", n, out.c_str());
    return 0;
}
