// auth/signature: HMAC against RFC 4231, the RFC 7515 A.1-A.3 signatures, sign-then-verify for
// every algorithm, raw R||S sizes for ECDSA, and refusals: tampered input or signature, a key of
// the wrong family or curve, wrong-length or DER-encoded ECDSA signatures.
#include "lib/auth/signature.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "lib/auth/base64url.hpp"
#include "tests/unit/auth/test_keys.hpp"

namespace herald::auth {
namespace {

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

verify_key public_key(std::string_view pem) {
    key_set ks;
    if (auto e = ks.add_pem(pem, "", "test")) throw std::runtime_error(e->message);
    return ks.keys().front();
}

const alg_info& alg(jwt_alg a) { return info(a); }

// Splits a compact JWS into signing input and decoded signature.
std::pair<std::string, std::string> split(std::string_view token) {
    const auto dot = token.rfind('.');
    auto sig = base64url_decode(token.substr(dot + 1));
    if (!sig) throw std::runtime_error("bad signature encoding");
    return {std::string(token.substr(0, dot)), *sig};
}

TEST(Signature, HmacMatchesRfc4231TestCase2) {
    const auto key = test_keys::secret_key("Jefe");
    const std::string input = "what do ya want for nothing?";
    const std::vector<std::pair<jwt_alg, std::string>> expected = {
        {jwt_alg::hs256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {jwt_alg::hs384,
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
        {jwt_alg::hs512,
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6"
         "b4b"
         "636e070a38bce737"},
    };
    for (const auto& [a, hex] : expected) {
        auto sig = create_signature(alg(a), key, input);
        ASSERT_TRUE(sig) << alg(a).name;
        EXPECT_EQ(*sig, from_hex(hex)) << alg(a).name;
        EXPECT_TRUE(verify_signature(alg(a), key, input, from_hex(hex))) << alg(a).name;
    }
}

TEST(Signature, VerifiesTheRfc7515A1HmacSignature) {
    auto k = base64url_decode(test_keys::rfc7515_a1_jwk_k);
    ASSERT_TRUE(k);
    const auto key = test_keys::secret_key(*k);
    const auto [input, sig] = split(test_keys::rfc7515_a1_token);
    EXPECT_TRUE(verify_signature(alg(jwt_alg::hs256), key, input, sig));
    auto again = create_signature(alg(jwt_alg::hs256), key, input);  // HMAC is deterministic
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, sig);
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs384), key, input, sig));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs256), test_keys::secret_key("other"), input, sig));
}

TEST(Signature, VerifiesTheRfc7515A2RsaSignature) {
    const auto key = public_key(test_keys::rfc7515_a2_public_pem);
    const auto [input, sig] = split(test_keys::rfc7515_a2_token);
    EXPECT_EQ(sig.size(), 256u);
    EXPECT_TRUE(verify_signature(alg(jwt_alg::rs256), key, input, sig));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs384), key, input, sig));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), key, input + " ", sig));
}

TEST(Signature, VerifiesTheRfc7515A3EcdsaSignature) {
    const auto key = public_key(test_keys::rfc7515_a3_public_pem);
    EXPECT_EQ(key.family, key_family::ec);
    EXPECT_EQ(key.ec_bits, 256);
    const auto [input, sig] = split(test_keys::rfc7515_a3_token);
    EXPECT_EQ(sig.size(), 64u);
    EXPECT_TRUE(verify_signature(alg(jwt_alg::es256), key, input, sig));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), key, input.substr(1), sig));
}

struct signer {
    jwt_alg alg;
    std::string_view private_pem;
    std::string_view public_pem;
    std::size_t sig_bytes;
};

std::vector<signer> asymmetric_signers() {
    return {
        {jwt_alg::rs256, test_keys::rsa_private_pem, test_keys::rsa_public_pem, 256},
        {jwt_alg::rs384, test_keys::rsa_private_pem, test_keys::rsa_public_pem, 256},
        {jwt_alg::rs512, test_keys::rsa_private_pem, test_keys::rsa_public_pem, 256},
        {jwt_alg::es256, test_keys::p256_private_pem, test_keys::p256_public_pem, 64},
        {jwt_alg::es384, test_keys::p384_private_pem, test_keys::p384_public_pem, 96},
        {jwt_alg::es512, test_keys::p521_private_pem, test_keys::p521_public_pem, 132},
    };
}

TEST(Signature, SignsAndVerifiesWithEveryAsymmetricAlgorithm) {
    const std::string input = "eyJhbGciOiJub3QgcmVhbGx5In0.eyJzdWIiOiJhbGljZSJ9";
    for (const auto& s : asymmetric_signers()) {
        const auto& a = alg(s.alg);
        const auto priv = test_keys::private_key(s.private_pem);
        const auto pub = public_key(s.public_pem);
        // Many signatures, so ECDSA's R or S with leading zero bytes gets exercised too.
        for (int i = 0; i < 20; ++i) {
            const auto msg = input + std::to_string(i);
            auto sig = create_signature(a, priv, msg);
            ASSERT_TRUE(sig) << a.name << ": " << sig.err().message;
            EXPECT_EQ(sig->size(), s.sig_bytes) << a.name;
            EXPECT_TRUE(verify_signature(a, pub, msg, *sig)) << a.name;
            EXPECT_TRUE(verify_signature(a, priv, msg, *sig)) << a.name << " (private key verifies too)";
            EXPECT_FALSE(verify_signature(a, pub, msg + "x", *sig)) << a.name;
            auto flipped = *sig;
            flipped[flipped.size() / 2] ^= 0x01;
            EXPECT_FALSE(verify_signature(a, pub, msg, flipped)) << a.name;
        }
    }
}

TEST(Signature, EcdsaSignaturesAreRawRAndSNotDer) {
    const auto priv = test_keys::private_key(test_keys::p256_private_pem);
    const auto pub = public_key(test_keys::p256_public_pem);
    auto sig = create_signature(alg(jwt_alg::es256), priv, "input");
    ASSERT_TRUE(sig);
    ASSERT_EQ(sig->size(), 64u);
    // A DER SEQUENCE of the same R and S is refused: JWS carries exactly 2 x 32 bytes.
    std::string der = "\x30";
    auto integer = [](std::string v) {
        while (v.size() > 1 && v[0] == '\0' && !(static_cast<unsigned char>(v[1]) & 0x80)) v.erase(0, 1);
        if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(0, 1, '\0');
        return std::string("\x02") + static_cast<char>(v.size()) + v;
    };
    const auto body = integer(sig->substr(0, 32)) + integer(sig->substr(32));
    der += static_cast<char>(body.size());
    der += body;
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", der));
}

TEST(Signature, EcdsaRefusesSignaturesOfTheWrongLength) {
    const auto priv = test_keys::private_key(test_keys::p256_private_pem);
    const auto pub = public_key(test_keys::p256_public_pem);
    auto sig = create_signature(alg(jwt_alg::es256), priv, "input");
    ASSERT_TRUE(sig);
    EXPECT_TRUE(verify_signature(alg(jwt_alg::es256), pub, "input", *sig));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", ""));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", sig->substr(0, 63)));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", *sig + '\0'));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", std::string(1, '\0') + *sig));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", std::string(64, '\0')));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), pub, "input", std::string(64, '\xff')));
}

TEST(Signature, RsaRefusesTruncatedAndEmptySignatures) {
    const auto priv = test_keys::private_key(test_keys::rsa_private_pem);
    const auto pub = public_key(test_keys::rsa_public_pem);
    auto sig = create_signature(alg(jwt_alg::rs256), priv, "input");
    ASSERT_TRUE(sig);
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), pub, "input", ""));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), pub, "input", sig->substr(1)));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), pub, "input", *sig + '\0'));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), pub, "input", std::string(256, '\0')));
}

TEST(Signature, HmacRefusesTruncatedOrExtendedMacs) {
    const auto key = test_keys::secret_key("secret");
    auto mac = create_signature(alg(jwt_alg::hs256), key, "input");
    ASSERT_TRUE(mac);
    EXPECT_EQ(mac->size(), 32u);
    EXPECT_TRUE(verify_signature(alg(jwt_alg::hs256), key, "input", *mac));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs256), key, "input", mac->substr(0, 16)));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs256), key, "input", ""));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs256), key, "input", *mac + "x"));
    EXPECT_EQ(create_signature(alg(jwt_alg::hs384), key, "input")->size(), 48u);
    EXPECT_EQ(create_signature(alg(jwt_alg::hs512), key, "input")->size(), 64u);
}

TEST(Signature, AKeyOfTheWrongFamilyOrCurveNeverVerifiesOrSigns) {
    const auto hmac = test_keys::secret_key(std::string(test_keys::rsa_public_pem));
    const auto rsa = test_keys::private_key(test_keys::rsa_private_pem);
    const auto p256 = test_keys::private_key(test_keys::p256_private_pem);
    const auto p384 = test_keys::private_key(test_keys::p384_private_pem);

    // An HMAC over the RSA public key's PEM text (the classic algorithm confusion) is not an RS256 signature.
    auto confused = create_signature(alg(jwt_alg::hs256), hmac, "input");
    ASSERT_TRUE(confused);
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs256), rsa, "input", *confused));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), rsa, "input", *confused));

    auto rs = create_signature(alg(jwt_alg::rs256), rsa, "input");
    ASSERT_TRUE(rs);
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), hmac, "input", *rs));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), rsa, "input", *rs));

    auto es = create_signature(alg(jwt_alg::es256), p256, "input");
    ASSERT_TRUE(es);
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es384), p256, "input", *es));  // P-256 key, ES384 alg
    EXPECT_FALSE(verify_signature(alg(jwt_alg::es256), p384, "input", *es));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::rs256), p256, "input", *es));
    EXPECT_FALSE(verify_signature(alg(jwt_alg::hs256), p256, "input", *es));

    struct wrong {
        jwt_alg alg;
        const verify_key* key;
    };
    for (const auto& w : {wrong{jwt_alg::hs256, &rsa}, wrong{jwt_alg::rs256, &hmac}, wrong{jwt_alg::rs256, &p256},
                          wrong{jwt_alg::es256, &rsa}, wrong{jwt_alg::es384, &p256}, wrong{jwt_alg::es512, &p384},
                          wrong{jwt_alg::es256, &hmac}}) {
        auto sig = create_signature(alg(w.alg), *w.key, "input");
        ASSERT_FALSE(sig) << alg(w.alg).name << " with " << w.key->source;
        EXPECT_EQ(sig.err().code, "invalid_key");
        EXPECT_NE(sig.err().message.find(alg(w.alg).name), std::string::npos) << sig.err().message;
        EXPECT_NE(sig.err().message.find(w.key->source), std::string::npos) << sig.err().message;
        EXPECT_FALSE(sig.err().hint.empty());
    }
}

}  // namespace
}  // namespace herald::auth
