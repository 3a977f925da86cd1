// Fuzzes JWT verification (lib/auth/jwt verify_jwt over a key_set with a fixed HS256 secret and
// fixed EC P-256 and RSA public keys). Input byte 0 picks the mode: even, the rest is a token;
// odd, the rest is a payload that is signed with the secret first, so the claims checks are
// reached. No exception may escape; refusals are 401 with a known code and never quote the
// token; stricter options never accept more; accepted claims obey exp/nbf and survive re-signing.
#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "fuzz/jwt_keys.hpp"
#include "lib/auth/base64url.hpp"
#include "lib/auth/jwt.hpp"
#include "lib/protocol/json_codec.hpp"

using namespace herald;
using nlohmann::json;

namespace {

constexpr std::int64_t now_ms = 1'800'000'000'000;

const auth::key_set& keys() {
    static const auth::key_set k = [] {
        auth::key_set s;
        s.add_secret(fuzz::hs_secret, "secret #1");
        FUZZ_CHECK(!s.add_pem(fuzz::ec_public_pem, "ec", "ec_public.pem"), "EC key refused");
        FUZZ_CHECK(!s.add_pem(fuzz::rsa_public_pem, "rsa", "rsa_public.pem"), "RSA key refused");
        return s;
    }();
    return k;
}

auth::verify_key hs_key() {
    auth::verify_key k;
    k.family = auth::key_family::hmac;
    k.secret = fuzz::hs_secret;
    return k;
}

void check_refusal(const model::error& e, std::string_view token) {
    FUZZ_CHECK(e.code == "invalid_token" || e.code == "token_expired" || e.code == "token_not_yet_valid",
               "unknown refusal code");
    FUZZ_CHECK(e.status == 401, "refusals are 401");
    // Only a JWS-shaped token (two dots) counts: a shorter text may be a piece of a fixed message.
    const bool jws_shaped = std::count(token.begin(), token.end(), '.') == 2 && token.size() >= 16;
    FUZZ_CHECK(!jws_shaped || e.message.find(token) == std::string::npos, "the message quotes the token");
    FUZZ_CHECK(!json::parse(protocol::error_json(e), nullptr, false).is_discarded(), "error_json is not JSON");
}

void check_claims(const auth::claims& c, const auth::verify_options& opt) {
    FUZZ_CHECK(auth::find_alg(c.alg).has_value(), "accepted an unknown alg");
    FUZZ_CHECK(!c.exp_ms || now_ms < *c.exp_ms, "accepted an expired token");
    FUZZ_CHECK(!c.nbf_ms || *c.nbf_ms <= now_ms + opt.nbf_leeway_ms, "accepted a token before nbf");
    FUZZ_CHECK(!c.sub || !c.sub->empty(), "accepted an empty sub");
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// Accepted claims signed again with the secret must verify to the same claims.
void check_resign(const auth::claims& c) {
    json p = json::object();
    if (c.sub) p["sub"] = *c.sub;
    // Whole seconds, rounded the safe way: exp up, nbf down.
    if (c.exp_ms) p["exp"] = -floor_div(-*c.exp_ms, 1000);
    if (c.nbf_ms) p["nbf"] = floor_div(*c.nbf_ms, 1000);
    if (!c.channels.empty()) p["channels"] = c.channels;
    auto token = auth::sign_jwt(*auth::find_alg("HS256"), hs_key(), p, c.kid);
    FUZZ_CHECK(token, "signing failed");
    auto back = auth::verify_jwt(*token, keys(), now_ms, {});
    FUZZ_CHECK(back, "re-signed claims refused");
    FUZZ_CHECK(back->sub == c.sub && back->channels == c.channels && back->kid == c.kid, "re-signed claims changed");
    FUZZ_CHECK(back->exp_ms.has_value() == c.exp_ms.has_value() && back->nbf_ms.has_value() == c.nbf_ms.has_value(),
               "re-signed claims lost a date");
}

void verify(std::string_view token, bool self_signed) {
    // Each part that decodes must be canonical base64url: encoding it again gives it back.
    for (std::size_t start = 0;;) {
        auto dot = token.find('.', start);
        auto part = token.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (auto bytes = auth::base64url_decode(part)) FUZZ_CHECK(auth::base64url_encode(*bytes) == part, "base64url not canonical");
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }

    const auth::verify_options lax;
    auth::verify_options strict;
    strict.audience = "herald-fuzz";
    strict.issuer = "fuzz-issuer";
    auto a = auth::verify_jwt(token, keys(), now_ms, lax);
    auto b = auth::verify_jwt(token, keys(), now_ms, strict);
    FUZZ_CHECK(a || !b, "stricter options accepted what lax ones refused");
    if (!a) {
        check_refusal(a.err(), token);
        if (self_signed) FUZZ_CHECK(a.err().message.find("signature") == std::string::npos, "own signature refused");
    } else {
        check_claims(*a, lax);
        check_resign(*a);
    }
    if (!b)
        check_refusal(b.err(), token);
    else
        check_claims(*b, strict);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto rest = fuzz::as_text(data + 1, size - 1);
    if ((data[0] & 1) == 0) {
        verify(rest, false);
        return 0;
    }
    const auto payload = json::parse(rest, nullptr, false);
    if (!payload.is_object()) return 0;
    const std::string kid = (data[0] & 2) ? "hs" : "";
    auto token = auth::sign_jwt(*auth::find_alg("HS256"), hs_key(), payload, kid);
    FUZZ_CHECK(token, "signing failed");
    verify(*token, true);
    return 0;
}
