// auth/jwt: the RFC 7515 A.1-A.3 example tokens (valid before their exp, token_expired after),
// sign_jwt/verify_jwt round trips for all nine algorithms, key rotation by secret and by kid, and
// every refusal with its code and a message naming the reason (never the token): alg none and
// unknown algs, algorithm confusion, bad and tampered signatures (every byte of a token),
// malformed base64url and JSON, crit, part counts, size, exp/nbf/aud/iss, channels and sub.
#include "lib/auth/jwt.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/auth/base64url.hpp"
#include "lib/auth/signature.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/unit/auth/test_keys.hpp"

namespace herald::auth {
namespace {

using nlohmann::json;

const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::int64_t start_ms = 1'700'000'000'000;  // the manual clock's default start
constexpr std::int64_t start_s = start_ms / 1000;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// header.payload.signature from raw JSON texts, signed by `key` with `alg` (any header at all).
std::string make_token(const std::string& header, const std::string& payload, const verify_key& key,
                       jwt_alg alg = jwt_alg::hs256) {
    const auto input = base64url_encode(header) + "." + base64url_encode(payload);
    auto sig = create_signature(info(alg), key, input);
    if (!sig) throw std::runtime_error(sig.err().message);
    return input + "." + base64url_encode(*sig);
}

std::string hs256(const std::string& header, const std::string& payload, const std::string& secret = "secret") {
    return make_token(header, payload, test_keys::secret_key(secret));
}

std::string hs256_claims(const std::string& payload) { return hs256(R"({"alg":"HS256","typ":"JWT"})", payload); }

std::string sign(jwt_alg alg, const verify_key& key, const json& payload, const std::string& kid = "") {
    auto t = sign_jwt(info(alg), key, payload, kid);
    if (!t) throw std::runtime_error(t.err().message);
    return *t;
}

// A refusal with this code, status 401, a hint, and a message that names `why` and not the token.
void expect_refused(const model::result<claims>& r, std::string_view code, std::string_view why,
                    std::string_view token) {
    ASSERT_FALSE(r) << "accepted: " << token;
    EXPECT_EQ(r.err().code, code) << r.err().message;
    EXPECT_EQ(r.err().status, 401);
    EXPECT_FALSE(r.err().hint.empty());
    EXPECT_TRUE(contains(r.err().message, why)) << "'" << why << "' not in: " << r.err().message;
    if (token.size() >= 20) {
        EXPECT_FALSE(contains(r.err().message, token)) << r.err().message;
    }
    const auto dot = token.rfind('.');
    if (dot != std::string_view::npos && token.size() - dot > 20) {
        EXPECT_FALSE(contains(r.err().message, token.substr(dot + 1))) << r.err().message;
    }
}

void expect_invalid(const model::result<claims>& r, std::string_view why, std::string_view token) {
    expect_refused(r, "invalid_token", why, token);
}

class JwtVerify : public ::testing::Test {
protected:
    JwtVerify() { keys.add_secret("secret", "secret #1"); }
    model::result<claims> verify(std::string_view token) const { return verify_jwt(token, keys, clock.now_ms(), opt); }

    test::manual_clock clock{start_ms};
    key_set keys;
    verify_options opt;
};

// ---- RFC 7515 Appendix A ----------------------------------------------------------------------

TEST(JwtRfc7515, A1Hs256VerifiesBeforeExpAndIsExpiredFromExpOn) {
    auto k = base64url_decode(test_keys::rfc7515_a1_jwk_k);
    ASSERT_TRUE(k);
    key_set keys;
    keys.add_secret(*k, "rfc7515 A.1 k");
    test::manual_clock clock(test_keys::rfc7515_exp_ms - 1000);
    verify_options opt;
    opt.issuer = "joe";

    auto c = verify_jwt(test_keys::rfc7515_a1_token, keys, clock.now_ms(), opt);
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->alg, "HS256");
    EXPECT_EQ(c->kid, "");
    EXPECT_FALSE(c->sub);
    EXPECT_EQ(c->exp_ms, test_keys::rfc7515_exp_ms);
    EXPECT_FALSE(c->nbf_ms);
    EXPECT_TRUE(c->channels.empty());

    clock.set(test_keys::rfc7515_exp_ms - 1);
    EXPECT_TRUE(verify_jwt(test_keys::rfc7515_a1_token, keys, clock.now_ms(), opt));

    clock.set(test_keys::rfc7515_exp_ms);  // exp itself is already too late
    auto at_exp = verify_jwt(test_keys::rfc7515_a1_token, keys, clock.now_ms(), opt);
    expect_refused(at_exp, "token_expired", "exp 1300819380", test_keys::rfc7515_a1_token);
    EXPECT_TRUE(contains(at_exp.err().message, "0 s ago")) << at_exp.err().message;

    clock.advance(3'600'000);
    auto later = verify_jwt(test_keys::rfc7515_a1_token, keys, clock.now_ms(), opt);
    expect_refused(later, "token_expired", "expired 3600 s ago", test_keys::rfc7515_a1_token);
}

TEST(JwtRfc7515, A1IsRefusedWithAnyOtherSecret) {
    key_set keys;
    keys.add_secret(std::string(test_keys::rfc7515_a1_jwk_k), "the base64url text, not the key");
    auto c = verify_jwt(test_keys::rfc7515_a1_token, keys, test_keys::rfc7515_exp_ms - 1000, {});
    expect_invalid(c, "signature does not verify (HS256, 1 key(s) tried)", test_keys::rfc7515_a1_token);
}

TEST(JwtRfc7515, A2Rs256VerifiesWithTheRfcPublicKey) {
    key_set keys;
    ASSERT_FALSE(keys.add_pem(test_keys::rfc7515_a2_public_pem, "", "rfc7515 A.2"));
    test::manual_clock clock(test_keys::rfc7515_exp_ms - 60'000);
    auto c = verify_jwt(test_keys::rfc7515_a2_token, keys, clock.now_ms(), {});
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->alg, "RS256");
    EXPECT_EQ(c->exp_ms, test_keys::rfc7515_exp_ms);

    clock.set(test_keys::rfc7515_exp_ms + 1);
    expect_refused(verify_jwt(test_keys::rfc7515_a2_token, keys, clock.now_ms(), {}), "token_expired", "exp 1300819380",
                   test_keys::rfc7515_a2_token);
}

TEST(JwtRfc7515, A3Es256VerifiesWithTheRfcPublicKey) {
    key_set keys;
    ASSERT_FALSE(keys.add_pem(test_keys::rfc7515_a3_public_pem, "", "rfc7515 A.3"));
    test::manual_clock clock(test_keys::rfc7515_exp_ms - 60'000);
    auto c = verify_jwt(test_keys::rfc7515_a3_token, keys, clock.now_ms(), {});
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->alg, "ES256");
    EXPECT_EQ(c->exp_ms, test_keys::rfc7515_exp_ms);

    clock.set(test_keys::rfc7515_exp_ms);
    expect_refused(verify_jwt(test_keys::rfc7515_a3_token, keys, clock.now_ms(), {}), "token_expired", "exp 1300819380",
                   test_keys::rfc7515_a3_token);
}

TEST(JwtRfc7515, ExamplesAreRefusedByKeysOfAnotherFamily) {
    key_set ec_only;
    ASSERT_FALSE(ec_only.add_pem(test_keys::rfc7515_a3_public_pem, "", "rfc7515 A.3"));
    const auto now = test_keys::rfc7515_exp_ms - 1000;
    expect_invalid(verify_jwt(test_keys::rfc7515_a2_token, ec_only, now, {}),
                   "no configured key can verify RS256 tokens", test_keys::rfc7515_a2_token);
    expect_invalid(verify_jwt(test_keys::rfc7515_a1_token, ec_only, now, {}),
                   "no configured key can verify HS256 tokens", test_keys::rfc7515_a1_token);
    key_set rsa_only;
    ASSERT_FALSE(rsa_only.add_pem(test_keys::rfc7515_a2_public_pem, "", "rfc7515 A.2"));
    expect_invalid(verify_jwt(test_keys::rfc7515_a3_token, rsa_only, now, {}),
                   "no configured key can verify ES256 tokens", test_keys::rfc7515_a3_token);
}

TEST(JwtRfc7515, A5UnsecuredExampleIsRefused) {
    // RFC 7515 A.5: {"alg":"none"} with the same payload and an empty signature.
    const std::string token = "eyJhbGciOiJub25lIn0." + std::string(test_keys::rfc7515_payload_b64) + ".";
    key_set keys;
    keys.add_secret("secret", "secret #1");
    expect_invalid(verify_jwt(token, keys, test_keys::rfc7515_exp_ms - 1000, {}), "algorithm 'none' is not accepted",
                   token);
}

// ---- round trips ------------------------------------------------------------------------------

struct algorithm_keys {
    jwt_alg alg;
    std::string_view private_pem;  // empty for HMAC
    std::string_view public_pem;
    std::string_view other_public_pem;  // a key of the same family and curve that did not sign, if any
};

const algorithm_keys all_algorithms[] = {
    {jwt_alg::hs256, "", "", ""},
    {jwt_alg::hs384, "", "", ""},
    {jwt_alg::hs512, "", "", ""},
    {jwt_alg::rs256, test_keys::rsa_private_pem, test_keys::rsa_public_pem, test_keys::rsa2_public_pem},
    {jwt_alg::rs384, test_keys::rsa_private_pem, test_keys::rsa_public_pem, test_keys::rsa2_public_pem},
    {jwt_alg::rs512, test_keys::rsa_private_pem, test_keys::rsa_public_pem, test_keys::rfc7515_a2_public_pem},
    {jwt_alg::es256, test_keys::p256_private_pem, test_keys::p256_public_pem, test_keys::rfc7515_a3_public_pem},
    {jwt_alg::es384, test_keys::p384_private_pem, test_keys::p384_public_pem, ""},
    {jwt_alg::es512, test_keys::p521_private_pem, test_keys::p521_public_pem, ""},
};

// The signing key and a key_set that verifies it, for one algorithm.
std::pair<verify_key, key_set> keys_for(const algorithm_keys& a) {
    key_set ks;
    if (a.private_pem.empty()) {
        ks.add_secret("round-trip secret", "secret #1");
        return {ks.keys().front(), ks};
    }
    if (auto e = ks.add_pem(a.public_pem, "k1", "public.pem")) throw std::runtime_error(e->message);
    return {test_keys::private_key(a.private_pem), ks};
}

TEST_F(JwtVerify, SignThenVerifyRoundTripsForEveryAlgorithm) {
    const json payload = {{"sub", "alice"},
                          {"exp", start_s + 60},
                          {"nbf", start_s - 60},
                          {"channels", {"news", "stocks.*"}},
                          {"extra", {{"ignored", true}}}};
    for (const auto& a : all_algorithms) {
        const auto name = std::string(info(a.alg).name);
        auto [signing, verifying] = keys_for(a);
        auto token = sign_jwt(info(a.alg), signing, payload, "k1");
        ASSERT_TRUE(token) << name << ": " << token.err().message;

        auto header = json::parse(*base64url_decode(token->substr(0, token->find('.'))));
        EXPECT_EQ(header["alg"], name);
        EXPECT_EQ(header["typ"], "JWT");
        EXPECT_EQ(header["kid"], "k1");

        auto c = verify_jwt(*token, verifying, clock.now_ms(), opt);
        ASSERT_TRUE(c) << name << ": " << c.err().message;
        EXPECT_EQ(c->alg, name);
        EXPECT_EQ(c->kid, "k1");
        EXPECT_EQ(c->sub, "alice");
        EXPECT_EQ(c->exp_ms, (start_s + 60) * 1000);
        EXPECT_EQ(c->nbf_ms, (start_s - 60) * 1000);
        EXPECT_EQ(c->channels, (std::vector<std::string>{"news", "stocks.*"}));

        // The same token against a key of the same family that did not sign it.
        key_set other;
        if (a.private_pem.empty()) {
            other.add_secret("another secret", "secret #1");
        } else if (!a.other_public_pem.empty()) {
            ASSERT_FALSE(other.add_pem(a.other_public_pem, "k1", "other.pem"));
        }
        if (!other.empty())
            expect_invalid(verify_jwt(*token, other, clock.now_ms(), opt),
                           "signature does not verify (" + name + ", 1 key(s) tried, kid 'k1')", *token);
    }
}

TEST_F(JwtVerify, SignJwtWithoutKidLeavesItOutOfTheHeader) {
    auto token = sign_jwt(info(jwt_alg::hs256), test_keys::secret_key("secret"), json{{"sub", "bob"}}, "");
    ASSERT_TRUE(token);
    auto header = json::parse(*base64url_decode(token->substr(0, token->find('.'))));
    EXPECT_FALSE(header.contains("kid"));
    auto c = verify(*token);
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->kid, "");
    EXPECT_EQ(c->sub, "bob");
    EXPECT_FALSE(c->exp_ms);  // no exp: never expires
    clock.advance(100LL * 365 * 24 * 3600 * 1000);
    EXPECT_TRUE(verify(*token));
}

TEST_F(JwtVerify, SignJwtRefusesAKeyThatCannotSignTheAlgorithm) {
    const auto p256 = test_keys::private_key(test_keys::p256_private_pem);
    auto t = sign_jwt(info(jwt_alg::rs256), p256, json{{"sub", "x"}}, "");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.err().code, "invalid_key");
    EXPECT_TRUE(contains(t.err().message, "RS256")) << t.err().message;
    EXPECT_FALSE(sign_jwt(info(jwt_alg::es384), p256, json{{"sub", "x"}}, ""));
    EXPECT_FALSE(sign_jwt(info(jwt_alg::hs256), p256, json{{"sub", "x"}}, ""));
}

TEST_F(JwtVerify, FractionalDatesAreTakenToTheMillisecond) {
    auto c = verify(hs256_claims(R"({"exp":1700000060.25,"nbf":1699999999.5})"));
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->exp_ms, 1'700'000'060'250);
    EXPECT_EQ(c->nbf_ms, 1'699'999'999'500);
    clock.set(1'700'000'060'249);
    EXPECT_TRUE(verify(hs256_claims(R"({"exp":1700000060.25})")));
    clock.set(1'700'000'060'250);
    expect_refused(verify(hs256_claims(R"({"exp":1700000060.25})")), "token_expired", "exp 1700000060", "");
}

// ---- refusals: algorithms ---------------------------------------------------------------------

TEST_F(JwtVerify, RefusesAlgNoneWithAnEmptySignature) {
    const std::string payload = R"({"sub":"admin","channels":["*"]})";
    for (const std::string& alg : std::vector<std::string>{"none", "None", "NONE", "nOnE"}) {
        const auto token =
            base64url_encode(R"({"alg":")" + alg + R"(","typ":"JWT"})") + "." + base64url_encode(payload) + ".";
        expect_invalid(verify(token), "algorithm '" + alg + "' is not accepted", token);
    }
    // Even with a signature part made by the configured secret.
    const auto signed_none = hs256(R"({"alg":"none"})", payload);
    expect_invalid(verify(signed_none), "algorithm 'none' is not accepted", signed_none);
}

TEST_F(JwtVerify, RefusesAlgorithmsNotInTheList) {
    for (const std::string& alg :
         std::vector<std::string>{"PS256", "EdDSA", "HS1", "hs256", "HS256 ", "RS1", "ES256K", "HS", ""}) {
        const auto token = hs256(R"({"alg":")" + alg + R"("})", R"({"sub":"alice"})");
        auto r = verify(token);
        expect_invalid(r, "algorithm '" + alg + "' is not accepted", token);
        EXPECT_TRUE(
            contains(r.err().message, "accepted: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512"))
            << r.err().message;
    }
}

TEST(JwtAlgorithmConfusion, AnHs256TokenKeyedWithTheRsaPublicKeyTextIsRefused) {
    // The classic attack: sign HS256 with the server's RSA public key (PEM text) as the HMAC secret.
    key_set keys;
    ASSERT_FALSE(keys.add_pem(test_keys::rsa_public_pem, "", "rsa.pub.pem"));
    const std::string payload = R"({"sub":"admin","channels":["*"],"exp":)" + std::to_string(start_s + 600) + "}";
    for (const auto& secret : {std::string(test_keys::rsa_public_pem), std::string(test_keys::rsa_public_pem.substr(
                                                                           0, test_keys::rsa_public_pem.size() - 1))}) {
        for (const std::string& alg : std::vector<std::string>{"HS256", "HS384", "HS512"}) {
            const auto a = find_alg(alg);
            ASSERT_TRUE(a);
            const auto token =
                make_token(R"({"alg":")" + alg + R"(","typ":"JWT"})", payload, test_keys::secret_key(secret), a->alg);
            expect_invalid(verify_jwt(token, keys, start_ms, {}), "no configured key can verify " + alg + " tokens",
                           token);
        }
    }
    // Same with the RSA key served as a certificate.
    key_set cert_keys;
    ASSERT_FALSE(cert_keys.add_pem(test_keys::rsa_cert_pem, "", "rsa.crt"));
    const auto token =
        make_token(R"({"alg":"HS256"})", payload, test_keys::secret_key(std::string(test_keys::rsa_cert_pem)));
    expect_invalid(verify_jwt(token, cert_keys, start_ms, {}), "no configured key can verify HS256 tokens", token);
}

TEST_F(JwtVerify, AnEmptyKeySetVerifiesNothing) {
    const auto token = hs256_claims(R"({"sub":"alice"})");
    expect_invalid(verify_jwt(token, key_set{}, start_ms, opt), "no configured key can verify HS256 tokens", token);
}

TEST_F(JwtVerify, RefusesATokenWhoseAlgFamilyHasNoConfiguredKey) {
    key_set ec_keys;
    ASSERT_FALSE(ec_keys.add_pem(test_keys::p256_public_pem, "", "p256.pem"));
    const auto p384 = test_keys::private_key(test_keys::p384_private_pem);
    const auto token = sign(jwt_alg::es384, p384, json{{"sub", "alice"}});
    expect_invalid(verify_jwt(token, ec_keys, start_ms, opt), "no configured key can verify ES384 tokens", token);
    // A P-384 key does not stand in for a P-256 one either.
    key_set p384_keys;
    ASSERT_FALSE(p384_keys.add_pem(test_keys::p384_public_pem, "", "p384.pem"));
    const auto es256 = sign(jwt_alg::es256, test_keys::private_key(test_keys::p256_private_pem), json{{"sub", "a"}});
    expect_invalid(verify_jwt(es256, p384_keys, start_ms, opt), "no configured key can verify ES256 tokens", es256);
}

// ---- refusals: signatures ---------------------------------------------------------------------

TEST_F(JwtVerify, RefusesABadSignature) {
    const auto token = hs256_claims(R"({"sub":"alice"})");
    ASSERT_TRUE(verify(token));
    const auto forged = hs256(R"({"alg":"HS256","typ":"JWT"})", R"({"sub":"alice"})", "not the secret");
    expect_invalid(verify(forged), "signature does not verify (HS256, 1 key(s) tried)", forged);
    // A valid signature moved onto another payload.
    const auto other = hs256_claims(R"({"sub":"mallory"})");
    const auto spliced = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
    expect_invalid(verify(spliced), "signature does not verify", spliced);
    // No signature at all.
    const auto stripped = token.substr(0, token.rfind('.') + 1);
    expect_invalid(verify(stripped), "signature does not verify", stripped);
}

TEST_F(JwtVerify, ChecksTheSignatureBeforeAnyClaim) {
    // Forged tokens are refused as forged, whatever their claims say: nothing about exp leaks.
    const auto expired = hs256(R"({"alg":"HS256"})", R"({"exp":1000})", "wrong");
    expect_invalid(verify(expired), "signature does not verify", expired);
    const auto bad_claims = hs256(R"({"alg":"HS256"})", R"({"sub":[],"channels":7,"exp":"soon"})", "wrong");
    expect_invalid(verify(bad_claims), "signature does not verify", bad_claims);
}

// Every single-character change to a valid token must be refused as invalid_token. Canonical
// base64url is one-to-one, so a changed character either changes the decoded bytes (breaking the
// JSON, the alg, or the signature) or leaves a non-canonical text that the decoder refuses; a
// changed '.' changes the number of parts.
void expect_every_change_refused(const std::string& token, const key_set& keys, std::int64_t now_ms,
                                 std::size_t alternatives) {
    ASSERT_TRUE(verify_jwt(token, keys, now_ms, {})) << "the unchanged token must verify";
    std::size_t tried = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        const auto at = alphabet.find(token[i]);
        for (std::size_t n = 1; n <= alternatives; ++n) {
            auto changed = token;
            // Spread the alternatives over the alphabet: neighbours and far-away characters.
            const std::size_t step = alternatives >= 63 ? n : (n * 64 / (alternatives + 1));
            changed[i] = alphabet[((at == std::string::npos ? 0 : at) + step) % 64];
            if (changed[i] == token[i]) continue;
            ++tried;
            auto r = verify_jwt(changed, keys, now_ms, {});
            ASSERT_FALSE(r) << "position " << i << ": '" << token[i] << "' -> '" << changed[i] << "' was accepted";
            EXPECT_EQ(r.err().code, "invalid_token") << "position " << i << ": " << r.err().message;
            EXPECT_FALSE(contains(r.err().message, changed)) << r.err().message;
        }
        // Bit flips, which can also leave the alphabet.
        for (unsigned char bit : {0x01, 0x02, 0x20, 0x40, 0x80}) {
            auto changed = token;
            changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ bit);
            ++tried;
            auto r = verify_jwt(changed, keys, now_ms, {});
            ASSERT_FALSE(r) << "position " << i << ": bit 0x" << std::hex << int(bit) << " was accepted";
            EXPECT_EQ(r.err().code, "invalid_token") << "position " << i << ": " << r.err().message;
        }
    }
    EXPECT_GE(tried, token.size() * alternatives);
}

TEST(JwtTamper, EveryCharacterOfAnHs256TokenMatters) {
    key_set keys;
    keys.add_secret("secret", "secret #1");
    const auto token = sign(jwt_alg::hs256, keys.keys()[0],
                            json{{"sub", "alice"}, {"exp", start_s + 600}, {"channels", {"news"}}}, "k1");
    expect_every_change_refused(token, keys, start_ms, 63);  // every other character, at every position
}

TEST(JwtTamper, EveryCharacterOfAnRs256TokenMatters) {
    key_set keys;
    ASSERT_FALSE(keys.add_pem(test_keys::rsa_public_pem, "", "rsa.pem"));
    const auto token = sign(jwt_alg::rs256, test_keys::private_key(test_keys::rsa_private_pem),
                            json{{"sub", "alice"}, {"exp", start_s + 600}});
    expect_every_change_refused(token, keys, start_ms, 3);
}

TEST(JwtTamper, EveryCharacterOfAnEs256TokenMatters) {
    key_set keys;
    ASSERT_FALSE(keys.add_pem(test_keys::p256_public_pem, "", "p256.pem"));
    const auto token = sign(jwt_alg::es256, test_keys::private_key(test_keys::p256_private_pem),
                            json{{"sub", "alice"}, {"exp", start_s + 600}});
    expect_every_change_refused(token, keys, start_ms, 3);
}

TEST(JwtTamper, EveryCharacterOfTheRfcExamplesMatters) {
    const auto now = test_keys::rfc7515_exp_ms - 1000;
    key_set hs;
    hs.add_secret(*base64url_decode(test_keys::rfc7515_a1_jwk_k), "rfc7515 A.1");
    expect_every_change_refused(std::string(test_keys::rfc7515_a1_token), hs, now, 8);
    key_set rs;
    ASSERT_FALSE(rs.add_pem(test_keys::rfc7515_a2_public_pem, "", "rfc7515 A.2"));
    expect_every_change_refused(std::string(test_keys::rfc7515_a2_token), rs, now, 1);
    key_set es;
    ASSERT_FALSE(es.add_pem(test_keys::rfc7515_a3_public_pem, "", "rfc7515 A.3"));
    expect_every_change_refused(std::string(test_keys::rfc7515_a3_token), es, now, 1);
}

// ---- refusals: shape and encoding -------------------------------------------------------------

TEST_F(JwtVerify, RefusesAnEmptyToken) { expect_invalid(verify(""), "token is empty", ""); }

TEST_F(JwtVerify, RefusesTwoOrFourParts) {
    const auto token = hs256_claims(R"({"sub":"alice"})");
    const auto first_dot = token.find('.');
    const std::vector<std::string> bad = {
        token.substr(0, token.rfind('.')),  // header.payload
        token + ".",                        // a fourth, empty part
        token + "." + token.substr(token.rfind('.') + 1),
        token.substr(0, first_dot),  // one part
        "a.b",
        "a.b.c.d",
        "...",
        ".",
    };
    for (const auto& t : bad) expect_invalid(verify(t), "not a JWS compact token (expected three base64url parts", t);
}

TEST_F(JwtVerify, RefusesAnOversizeTokenBeforeLookingAtIt) {
    const std::string huge(8193, 'a');
    expect_invalid(verify(huge), "token is 8193 bytes, over the 8192-byte limit", huge);

    // A correctly signed token is refused too once it is over the limit.
    const auto big = hs256_claims(R"({"sub":"alice","pad":")" + std::string(9000, 'x') + "\"}");
    expect_invalid(verify(big), "over the 8192-byte limit", big);

    const auto token = hs256_claims(R"({"sub":"alice"})");
    opt.max_token_bytes = token.size();
    EXPECT_TRUE(verify(token));
    opt.max_token_bytes = token.size() - 1;
    expect_invalid(verify(token),
                   "token is " + std::to_string(token.size()) + " bytes, over the " + std::to_string(token.size() - 1) +
                       "-byte limit",
                   token);
}

TEST_F(JwtVerify, RefusesMalformedBase64urlInTheHeader) {
    const auto good = hs256_claims(R"({"sub":"alice"})");
    const auto rest = good.substr(good.find('.'));
    const auto header = good.substr(0, good.find('.'));
    const std::vector<std::string> bad_headers = {
        base64url_encode(R"({"alg":"HS256"})") + "=",  // padding ({"alg":"HS256"} is 15 bytes: 20 chars, no pad)
        header + "==",
        "eyJhbGciOiJIUzI1NiJ9+",  // standard alphabet
        "eyJhbGciOiJIUzI1NiJ9/",
        "eyJhbGciOiJIUzI1NiJ9 ",
        "eyJhbGciOiJIUzI1NiJ9A",  // length % 4 == 1
        "eyJhbGciOiJIUzI1NiJ",    // non-canonical trailing bits ("J" ends in 01001)
        "eyJhbGciOiJIUzI1NiJ!",
    };
    for (const auto& h : bad_headers) {
        const auto token = h + rest;
        expect_invalid(verify(token), "header is not base64url-encoded JSON object", token);
    }
}

TEST_F(JwtVerify, RefusesMalformedBase64urlInThePayload) {
    const std::string header = base64url_encode(R"({"alg":"HS256"})");
    // Payloads signed as they stand, so only the encoding is wrong.
    const auto p = base64url_encode(R"({"sub":"alice"})");    // 15 bytes: 20 characters
    const auto pf = base64url_encode(R"({"sub":"alicef"})");  // 16 bytes: 22 characters
    const std::vector<std::string> bad_payloads = {
        pf + "==",
        pf + "=",
        p + "A",
        "*" + p,
        p.substr(0, 10) + "+" + p.substr(11),
        pf.substr(0, 21) + alphabet[static_cast<std::size_t>(alphabet.find(pf.back())) | 1],  // stray low bits
    };
    const auto key = test_keys::secret_key("secret");
    for (const auto& payload : bad_payloads) {
        const auto input = header + "." + payload;
        const auto token = input + "." + base64url_encode(*create_signature(info(jwt_alg::hs256), key, input));
        expect_invalid(verify(token), "payload is not base64url-encoded JSON object", token);
    }
}

TEST_F(JwtVerify, RefusesMalformedBase64urlInTheSignature) {
    const auto token = hs256_claims(R"({"sub":"alice"})");
    const auto input = token.substr(0, token.rfind('.'));
    const auto sig = token.substr(token.rfind('.') + 1);
    ASSERT_EQ(sig.size(), 43u);  // 32 bytes: the last character carries 2 unused bits
    const auto last = alphabet.find(sig.back());
    ASSERT_EQ(last % 4, 0u);
    const std::vector<std::string> bad = {
        sig + "=",
        sig.substr(0, 10) + "+" + sig.substr(11),
        sig.substr(0, 10) + "/" + sig.substr(11),
        sig + "AA",                              // length % 4 == 1
        sig.substr(0, 42) + alphabet[last + 1],  // same bytes, stray low bits
        sig.substr(0, 42) + alphabet[last + 3],
    };
    for (const auto& s : bad) {
        const auto t = input + "." + s;
        expect_invalid(verify(t), "signature is not base64url", t);
    }
}

TEST_F(JwtVerify, RefusesAHeaderThatIsNotAJsonObject) {
    for (const std::string& header : std::vector<std::string>{
             "not json", "[\"HS256\"]", "\"HS256\"", "42", "null", "true", "{", "", "{\"alg\":\"HS256\"}x",
             std::string("{\"alg\":\"HS256\"\0}", 16), "{\"alg\":\"HS\xff\"}"}) {
        const auto token = hs256(header, R"({"sub":"alice"})");
        expect_invalid(verify(token), "header is not base64url-encoded JSON object", token);
    }
}

TEST_F(JwtVerify, RefusesAPayloadThatIsNotAJsonObject) {
    for (const std::string& payload :
         std::vector<std::string>{"not json", "[1,2]", "\"alice\"", "42", "null", "{", "", "{\"sub\":\"a\"}{}"}) {
        const auto token = hs256(R"({"alg":"HS256"})", payload);
        expect_invalid(verify(token), "payload is not base64url-encoded JSON object", token);
    }
}

TEST_F(JwtVerify, RefusesAHeaderWithoutAStringAlg) {
    for (const std::string& header :
         std::vector<std::string>{R"({"typ":"JWT"})", R"({})", R"({"alg":256})", R"({"alg":null})",
                                  R"({"alg":["HS256"]})", R"({"ALG":"HS256"})"}) {
        const auto token = hs256(header, R"({"sub":"alice"})");
        expect_invalid(verify(token), "header has no 'alg'", token);
    }
}

TEST_F(JwtVerify, RefusesCritExtensions) {
    for (const std::string& header :
         std::vector<std::string>{R"({"alg":"HS256","crit":["exp"],"exp":1})", R"({"alg":"HS256","crit":[]})",
                                  R"({"alg":"HS256","crit":null})"}) {
        const auto token = hs256(header, R"({"sub":"alice"})");
        expect_invalid(verify(token), "'crit'", token);
    }
}

TEST_F(JwtVerify, RefusesANonStringKid) {
    for (const std::string& header : std::vector<std::string>{
             R"({"alg":"HS256","kid":1})", R"({"alg":"HS256","kid":null})", R"({"alg":"HS256","kid":["a"]})"}) {
        const auto token = hs256(header, R"({"sub":"alice"})");
        expect_invalid(verify(token), "header 'kid' is not a string", token);
    }
}

TEST_F(JwtVerify, IgnoresUnknownHeaderMembersAndClaims) {
    auto c = verify(hs256(R"({"alg":"HS256","typ":"at+jwt","cty":"x","x5t":"abc"})",
                          R"({"sub":"alice","iat":1,"jti":"j","custom":{"a":[1,2]}})"));
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->sub, "alice");
}

// ---- refusals: time ---------------------------------------------------------------------------

TEST_F(JwtVerify, ExpIsExclusiveAndHasNoLeeway) {
    const auto token = hs256_claims(R"({"sub":"alice","exp":)" + std::to_string(start_s + 10) + "}");
    clock.set((start_s + 10) * 1000 - 1);
    EXPECT_TRUE(verify(token));
    clock.set((start_s + 10) * 1000);  // exp == now: expired
    expect_refused(verify(token), "token_expired", "token expired 0 s ago (exp " + std::to_string(start_s + 10) + ")",
                   token);
    clock.advance(90'000);
    expect_refused(verify(token), "token_expired", "token expired 90 s ago", token);
}

TEST_F(JwtVerify, NbfAllowsFiveSecondsOfClockSkewAndNoMore) {
    const auto within = hs256_claims(R"({"nbf":)" + std::to_string(start_s + 5) + "}");
    EXPECT_TRUE(verify(within));  // nbf exactly now + leeway
    const auto past = hs256_claims(R"({"nbf":)" + std::to_string(start_s - 100) + "}");
    EXPECT_TRUE(verify(past));

    const auto beyond = hs256_claims(R"({"nbf":)" + std::to_string(start_s + 6) + "}");
    expect_refused(verify(beyond), "token_not_yet_valid",
                   "token is not valid for another 6 s (nbf " + std::to_string(start_s + 6) + ")", beyond);
    clock.advance(999);
    EXPECT_FALSE(verify(beyond));
    clock.advance(1);  // now + 5 s == nbf
    EXPECT_TRUE(verify(beyond));

    clock.set(start_ms);
    opt.nbf_leeway_ms = 0;
    expect_refused(verify(within), "token_not_yet_valid", "not valid for another 5 s", within);
    const auto now_nbf = hs256_claims(R"({"nbf":)" + std::to_string(start_s) + "}");
    EXPECT_TRUE(verify(now_nbf));
}

TEST_F(JwtVerify, ExpiryIsCheckedBeforeNotBefore) {
    const auto token =
        hs256_claims(R"({"exp":)" + std::to_string(start_s) + R"(,"nbf":)" + std::to_string(start_s + 60) + "}");
    expect_refused(verify(token), "token_expired", "exp", token);
}

TEST_F(JwtVerify, RefusesDatesThatAreNotNumericDates) {
    for (const std::string& claim : std::vector<std::string>{"exp", "nbf"}) {
        for (const std::string& value :
             std::vector<std::string>{"\"1700000060\"", "true", "null", "[1700000060]", "{}", "1e300", "-1e300",
                                      "18446744073709551615", "100000000000000"}) {
            const auto token = hs256_claims("{\"" + claim + "\":" + value + "}");
            expect_invalid(verify(token), "claim '" + claim + "' is not a NumericDate", token);
        }
    }
}

// ---- refusals: audience and issuer -------------------------------------------------------------

TEST_F(JwtVerify, AudienceIsIgnoredUnlessConfigured) {
    EXPECT_TRUE(verify(hs256_claims(R"({"aud":"someone-else"})")));
    EXPECT_TRUE(verify(hs256_claims(R"({"aud":42})")));
    EXPECT_TRUE(verify(hs256_claims(R"({})")));
}

TEST_F(JwtVerify, AudienceMustNameTheConfiguredOneAsStringOrInAnArray) {
    opt.audience = "herald";
    EXPECT_TRUE(verify(hs256_claims(R"({"aud":"herald"})")));
    EXPECT_TRUE(verify(hs256_claims(R"({"aud":["herald"]})")));
    EXPECT_TRUE(verify(hs256_claims(R"({"aud":["api","herald"]})")));
    EXPECT_TRUE(verify(hs256_claims(R"({"aud":[1,null,"herald"]})")));

    for (const std::string& aud :
         std::vector<std::string>{R"("api")", R"("Herald")", R"("herald ")", R"(["api","web"])", R"([])",
                                  R"(["herald2"])", R"(42)", R"(null)", R"({"aud":"herald"})", R"([["herald"]])"}) {
        const auto token = hs256_claims(R"({"aud":)" + aud + "}");
        expect_invalid(verify(token), "claim 'aud' does not name this gateway's audience 'herald'", token);
    }
    const auto missing = hs256_claims(R"({"sub":"alice"})");
    expect_invalid(verify(missing), "claim 'aud' is missing; this gateway requires 'herald'", missing);
}

TEST_F(JwtVerify, IssuerMustEqualTheConfiguredOne) {
    EXPECT_TRUE(verify(hs256_claims(R"({"iss":"anyone"})")));  // not configured: ignored
    opt.issuer = "https://app.example";
    EXPECT_TRUE(verify(hs256_claims(R"({"iss":"https://app.example"})")));
    for (const std::string& iss : std::vector<std::string>{R"("https://evil.example")", R"("https://app.example/")",
                                                           R"("")", R"(1)", R"(null)", R"(["https://app.example"])"}) {
        const auto token = hs256_claims(R"({"iss":)" + iss + "}");
        expect_invalid(verify(token), "claim 'iss' is not the configured issuer 'https://app.example'", token);
    }
    const auto missing = hs256_claims(R"({})");
    expect_invalid(verify(missing), "claim 'iss' is not the configured issuer", missing);
}

// ---- claims: channels and sub -----------------------------------------------------------------

TEST_F(JwtVerify, ReadsTheChannelsClaim) {
    auto c = verify(hs256_claims(R"({"channels":["news","stocks.*","*","user:bob"]})"));
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->channels, (std::vector<std::string>{"news", "stocks.*", "*", "user:bob"}));
    auto none = verify(hs256_claims(R"({"channels":[]})"));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->channels.empty());
}

TEST_F(JwtVerify, RefusesChannelsThatAreNotAnArray) {
    for (const std::string& v :
         std::vector<std::string>{R"("news")", R"({"news":true})", R"(1)", R"(true)", R"(null)"}) {
        const auto token = hs256_claims(R"({"channels":)" + v + "}");
        expect_invalid(verify(token), "claim 'channels' is not an array of channel names", token);
    }
}

TEST_F(JwtVerify, RefusesChannelsHoldingNonStrings) {
    for (const std::string& v : std::vector<std::string>{R"([1])", R"(["news",null])", R"(["news",["a"]])",
                                                         R"([{"name":"news"}])", R"([true])"}) {
        const auto token = hs256_claims(R"({"channels":)" + v + "}");
        expect_invalid(verify(token), "claim 'channels' holds a value that is not a string", token);
    }
}

TEST_F(JwtVerify, TakesAnIntegerSubAsItsDecimalText) {
    auto c = verify(hs256_claims(R"({"sub":42})"));
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->sub, "42");
    auto big = verify(hs256_claims(R"({"sub":9007199254740993})"));
    ASSERT_TRUE(big) << big.err().message;
    EXPECT_EQ(big->sub, "9007199254740993");
    auto neg = verify(hs256_claims(R"({"sub":-7})"));
    ASSERT_TRUE(neg) << neg.err().message;
    EXPECT_EQ(neg->sub, "-7");
    // Above INT64_MAX: still its own decimal text, not a wrapped-around negative number.
    auto huge = verify(hs256_claims(R"({"sub":18446744073709551615})"));
    ASSERT_TRUE(huge) << huge.err().message;
    EXPECT_EQ(huge->sub, "18446744073709551615");
    auto zero = verify(hs256_claims(R"({"sub":0})"));
    ASSERT_TRUE(zero);
    EXPECT_EQ(zero->sub, "0");
}

TEST_F(JwtVerify, RefusesASubThatIsNeitherStringNorInteger) {
    for (const std::string& v :
         std::vector<std::string>{R"(1.5)", R"(true)", R"(null)", R"(["alice"])", R"({"id":"alice"})"}) {
        const auto token = hs256_claims(R"({"sub":)" + v + "}");
        expect_invalid(verify(token), "claim 'sub' is not a string", token);
    }
}

TEST_F(JwtVerify, RefusesAnEmptySub) {
    const auto token = hs256_claims(R"({"sub":""})");
    expect_invalid(verify(token), "claim 'sub' is empty", token);
}

TEST_F(JwtVerify, AbsentSubIsNoSub) {
    auto c = verify(hs256_claims(R"({"channels":["news"]})"));
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->sub);
}

// ---- key rotation -----------------------------------------------------------------------------

TEST(JwtKeyRotation, TwoSecretsVerifyTokensFromEither) {
    key_set keys;
    keys.add_secret("old secret", "secret #1");
    keys.add_secret("new secret", "secret #2");
    const json payload = {{"sub", "alice"}, {"exp", start_s + 60}};
    for (const auto* secret : {"old secret", "new secret"}) {
        for (auto a : {jwt_alg::hs256, jwt_alg::hs384, jwt_alg::hs512}) {
            auto c = verify_jwt(sign(a, test_keys::secret_key(secret), payload), keys, start_ms, {});
            ASSERT_TRUE(c) << secret << ": " << c.err().message;
            EXPECT_EQ(c->sub, "alice");
        }
    }
    const auto retired = sign(jwt_alg::hs256, test_keys::secret_key("retired secret"), payload);
    expect_invalid(verify_jwt(retired, keys, start_ms, {}), "signature does not verify (HS256, 2 key(s) tried)",
                   retired);
}

class JwtKeyRotationFiles : public ::testing::Test {
protected:
    JwtKeyRotationFiles()
        : october_path(dir.write("2026-10.pem", test_keys::rsa_public_pem)),
          november_path(dir.write("2026-11.pem", test_keys::rsa2_public_pem)),
          october(test_keys::private_key(test_keys::rsa_private_pem)),
          november(test_keys::private_key(test_keys::rsa2_private_pem)) {}

    key_set both() const {
        key_set ks;
        if (auto e = ks.add_pem_file(october_path)) throw std::runtime_error(e->message);
        if (auto e = ks.add_pem_file(november_path)) throw std::runtime_error(e->message);
        return ks;
    }

    test_keys::scratch_dir dir;
    std::string october_path, november_path;
    verify_key october, november;
    json payload = {{"sub", "alice"}, {"exp", start_s + 600}};
};

TEST_F(JwtKeyRotationFiles, KidsComeFromTheFileStems) {
    const auto ks = both();
    ASSERT_EQ(ks.keys().size(), 2u);
    EXPECT_EQ(ks.keys()[0].kid, "2026-10");
    EXPECT_EQ(ks.keys()[1].kid, "2026-11");
}

TEST_F(JwtKeyRotationFiles, ATokenWithAKidVerifiesWithThatKey) {
    const auto ks = both();
    auto c10 = verify_jwt(sign(jwt_alg::rs256, october, payload, "2026-10"), ks, start_ms, {});
    ASSERT_TRUE(c10) << c10.err().message;
    EXPECT_EQ(c10->kid, "2026-10");
    auto c11 = verify_jwt(sign(jwt_alg::rs512, november, payload, "2026-11"), ks, start_ms, {});
    ASSERT_TRUE(c11) << c11.err().message;
    EXPECT_EQ(c11->kid, "2026-11");
}

TEST_F(JwtKeyRotationFiles, ATokenWithAnUnknownOrWrongKidStillVerifiesIfAnyKeyFits) {
    const auto ks = both();
    for (const std::string& kid :
         std::vector<std::string>{"2027-01", "", "2026-10"}) {  // "2026-10" names the other key
        auto c = verify_jwt(sign(jwt_alg::rs256, november, payload, kid), ks, start_ms, {});
        ASSERT_TRUE(c) << "kid '" << kid << "': " << c.err().message;
        EXPECT_EQ(c->kid, kid);
    }
}

TEST_F(JwtKeyRotationFiles, AForgedTokenIsTriedAgainstEveryKeyOfTheFamily) {
    auto ks = both();
    ks.add_secret("secret", "secret #1");  // another family: never tried for RS256
    const auto token = sign(jwt_alg::rs256, october, payload, "2026-11");
    auto tampered = token;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    expect_invalid(verify_jwt(tampered, ks, start_ms, {}),
                   "signature does not verify (RS256, 2 key(s) tried, kid '2026-11')", tampered);
}

TEST_F(JwtKeyRotationFiles, ATokenSignedByARemovedKeyIsRefused) {
    const auto token = sign(jwt_alg::rs256, october, payload, "2026-10");
    ASSERT_TRUE(verify_jwt(token, both(), start_ms, {}));
    key_set after_rotation;  // 2026-10.pem removed from the configuration
    ASSERT_FALSE(after_rotation.add_pem_file(november_path));
    expect_invalid(verify_jwt(token, after_rotation, start_ms, {}),
                   "signature does not verify (RS256, 1 key(s) tried, kid '2026-10')", token);
    EXPECT_TRUE(verify_jwt(sign(jwt_alg::rs256, november, payload, "2026-11"), after_rotation, start_ms, {}));
}

// ---- the error catalog --------------------------------------------------------------------------

}  // namespace
}  // namespace herald::auth
