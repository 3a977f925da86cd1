// auth/key_set: HMAC secrets and PEM public keys (PUBLIC KEY and CERTIFICATE blocks, bundles of
// several), kids from file stems, and every refusal naming the file and the reason: missing file,
// private key, short RSA, a curve JWS does not use, a key type that is neither RSA nor EC.
// Also load_private_key_file for RSA and EC in PKCS#8 and traditional forms, and file_stem.
#include "lib/auth/key_set.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <vector>

#include "lib/auth/signature.hpp"
#include "tests/unit/auth/test_keys.hpp"

namespace herald::auth {
namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

void expect_key_error(const std::optional<model::error>& e, std::initializer_list<std::string_view> parts) {
    ASSERT_TRUE(e) << "expected a refusal";
    EXPECT_EQ(e->code, "invalid_key");
    EXPECT_EQ(e->status, 400);
    EXPECT_FALSE(e->hint.empty());
    for (auto p : parts) EXPECT_TRUE(contains(e->message, p)) << "'" << p << "' not in: " << e->message;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// ---- secrets --------------------------------------------------------------------------------

TEST(KeySet, StartsEmpty) {
    key_set ks;
    EXPECT_TRUE(ks.empty());
    EXPECT_TRUE(ks.keys().empty());
}

TEST(KeySet, AddSecretKeepsTheSecretAndASourceThatIsNotTheSecret) {
    key_set ks;
    ks.add_secret("s3cret-one", "secret #1");
    ks.add_secret("s3cret-two", "secret #2");
    ASSERT_EQ(ks.keys().size(), 2u);
    EXPECT_FALSE(ks.empty());
    EXPECT_EQ(ks.keys()[0].family, key_family::hmac);
    EXPECT_EQ(ks.keys()[0].secret, "s3cret-one");
    EXPECT_EQ(ks.keys()[0].source, "secret #1");
    EXPECT_TRUE(ks.keys()[0].kid.empty());
    EXPECT_FALSE(ks.keys()[0].pkey);
    EXPECT_EQ(ks.keys()[1].secret, "s3cret-two");
    EXPECT_FALSE(contains(ks.keys()[1].source, "s3cret"));
}

// ---- PEM text ---------------------------------------------------------------------------------

TEST(KeySet, ReadsAnRsaPublicKey) {
    key_set ks;
    ASSERT_FALSE(ks.add_pem(test_keys::rsa_public_pem, "k1", "inline"));
    ASSERT_EQ(ks.keys().size(), 1u);
    const auto& k = ks.keys()[0];
    EXPECT_EQ(k.family, key_family::rsa);
    EXPECT_EQ(k.kid, "k1");
    EXPECT_EQ(k.source, "inline");
    EXPECT_TRUE(k.pkey);
    EXPECT_TRUE(k.secret.empty());
}

TEST(KeySet, ReadsTheRfc7515A2RsaKey) {
    key_set ks;
    ASSERT_FALSE(ks.add_pem(test_keys::rfc7515_a2_public_pem, "", "rfc7515-a2"));
    ASSERT_EQ(ks.keys().size(), 1u);
    EXPECT_EQ(ks.keys()[0].family, key_family::rsa);
}

TEST(KeySet, ReadsEcKeysOfEveryJwsCurve) {
    const std::vector<std::pair<std::string_view, int>> cases = {{test_keys::p256_public_pem, 256},
                                                                 {test_keys::p384_public_pem, 384},
                                                                 {test_keys::p521_public_pem, 521},
                                                                 {test_keys::rfc7515_a3_public_pem, 256}};
    for (const auto& [pem, bits] : cases) {
        key_set ks;
        auto e = ks.add_pem(pem, "", "ec");
        ASSERT_FALSE(e) << e->message;
        ASSERT_EQ(ks.keys().size(), 1u);
        EXPECT_EQ(ks.keys()[0].family, key_family::ec);
        EXPECT_EQ(ks.keys()[0].ec_bits, bits);
    }
}

TEST(KeySet, AcceptsACertificateAndVerifiesWithItsKey) {
    key_set ks;
    auto e = ks.add_pem(test_keys::rsa_cert_pem, "cert", "cert.pem");
    ASSERT_FALSE(e) << e->message;
    ASSERT_EQ(ks.keys().size(), 1u);
    EXPECT_EQ(ks.keys()[0].family, key_family::rsa);
    const auto priv = test_keys::private_key(test_keys::rsa_private_pem);
    auto sig = create_signature(info(jwt_alg::rs256), priv, "signed input");
    ASSERT_TRUE(sig);
    EXPECT_TRUE(verify_signature(info(jwt_alg::rs256), ks.keys()[0], "signed input", *sig));
}

TEST(KeySet, ABundleOfTwoKeysLoadsTwoWithTheSameKid) {
    key_set ks;
    const std::string bundle = std::string(test_keys::rsa_public_pem) + std::string(test_keys::p256_public_pem);
    ASSERT_FALSE(ks.add_pem(bundle, "2026-11", "bundle.pem"));
    ASSERT_EQ(ks.keys().size(), 2u);
    EXPECT_EQ(ks.keys()[0].family, key_family::rsa);
    EXPECT_EQ(ks.keys()[1].family, key_family::ec);
    EXPECT_EQ(ks.keys()[0].kid, "2026-11");
    EXPECT_EQ(ks.keys()[1].kid, "2026-11");
}

TEST(KeySet, ABundleMayMixPublicKeysAndCertificatesWithTextBetween) {
    key_set ks;
    const std::string bundle = "# rotated 2026-11\n" + std::string(test_keys::rsa_cert_pem) + "\nnext key:\n" +
                               std::string(test_keys::rsa2_public_pem) + "\n" + std::string(test_keys::p384_public_pem);
    auto e = ks.add_pem(bundle, "", "mixed.pem");
    ASSERT_FALSE(e) << e->message;
    EXPECT_EQ(ks.keys().size(), 3u);
}

TEST(KeySet, ReadsPemWithCrlfLineEnds) {
    key_set ks;
    auto e = ks.add_pem(replace_all(std::string(test_keys::p256_public_pem), "\n", "\r\n"), "", "crlf.pem");
    ASSERT_FALSE(e) << e->message;
    EXPECT_EQ(ks.keys().size(), 1u);
}

TEST(KeySet, KeysAccumulateAcrossCalls) {
    key_set ks;
    ks.add_secret("s", "secret #1");
    ASSERT_FALSE(ks.add_pem(test_keys::rsa_public_pem, "a", "a.pem"));
    ASSERT_FALSE(ks.add_pem(test_keys::p256_public_pem, "b", "b.pem"));
    ASSERT_EQ(ks.keys().size(), 3u);
    EXPECT_EQ(ks.keys()[0].family, key_family::hmac);
    EXPECT_EQ(ks.keys()[1].kid, "a");
    EXPECT_EQ(ks.keys()[2].kid, "b");
}

TEST(KeySet, RefusesAPrivateKeySayingOnlyThePublicHalfIsNeeded) {
    for (auto pem : {test_keys::rsa_private_pem, test_keys::rsa_private_traditional_pem, test_keys::p256_private_pem,
                     test_keys::p256_private_sec1_pem}) {
        key_set ks;
        expect_key_error(ks.add_pem(pem, "", "private.pem"), {"private.pem", "block 1", "private key", "public half"});
        EXPECT_TRUE(ks.empty());
    }
}

TEST(KeySet, RefusesRsaShorterThan2048Bits) {
    key_set ks;
    expect_key_error(ks.add_pem(test_keys::rsa1024_public_pem, "", "short.pem"),
                     {"short.pem", "RSA", "1024 bits", "too short", "2048"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, RefusesAnEcCurveJwsDoesNotUse) {
    key_set ks;
    expect_key_error(ks.add_pem(test_keys::secp256k1_public_pem, "", "k1.pem"), {"k1.pem", "secp256k1", "P-256"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, RefusesAKeyThatIsNeitherRsaNorEc) {
    key_set ks;
    expect_key_error(ks.add_pem(test_keys::ed25519_public_pem, "", "ed.pem"), {"ed.pem", "neither RSA nor EC"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, RefusesTextWithNoPemBlock) {
    for (std::string_view text : {std::string_view(""), std::string_view("not a key\n"),
                                  std::string_view("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n")}) {
        key_set ks;
        expect_key_error(ks.add_pem(text, "", "empty.pem"), {"empty.pem", "no PEM block"});
        EXPECT_TRUE(ks.empty());
    }
}

TEST(KeySet, RefusesABlockOfAnotherTypeOrWithUnreadableContents) {
    key_set ks;
    expect_key_error(ks.add_pem("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", "", "foo.pem"),
                     {"foo.pem", "'FOO'", "not a readable public key or certificate"});
    expect_key_error(ks.add_pem("-----BEGIN PUBLIC KEY-----\nAAAAAAAA\n-----END PUBLIC KEY-----\n", "", "junk.pem"),
                     {"junk.pem", "'PUBLIC KEY'"});
    expect_key_error(ks.add_pem("-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n", "", "junk.crt"),
                     {"junk.crt", "'CERTIFICATE'"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, RefusesAPkcs1RsaPublicKeyBlockNamingItsType) {
    // Only PUBLIC KEY (SubjectPublicKeyInfo) and CERTIFICATE blocks are read; the hint says how to convert.
    key_set ks;
    auto e = ks.add_pem(test_keys::rsa_public_pkcs1_pem, "", "pkcs1.pem");
    expect_key_error(e, {"pkcs1.pem block 1", "'RSA PUBLIC KEY'"});
    EXPECT_TRUE(contains(e->hint, "-pubout")) << e->hint;
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, RefusesEmptyTextWithoutTouchingMemory) {
    key_set ks;
    expect_key_error(ks.add_pem(std::string_view(), "", "nothing"), {"nothing", "no PEM block"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, OneBadBlockInABundleAddsNoneOfItsKeysAndNamesTheBlock) {
    key_set ks;
    ks.add_secret("s", "secret #1");
    const std::string bundle = std::string(test_keys::rsa_public_pem) + std::string(test_keys::rsa1024_public_pem);
    expect_key_error(ks.add_pem(bundle, "", "bundle.pem"), {"bundle.pem block 2", "1024"});
    ASSERT_EQ(ks.keys().size(), 1u);  // the secret only: nothing from the refused bundle
    EXPECT_EQ(ks.keys()[0].family, key_family::hmac);
}

// ---- PEM files --------------------------------------------------------------------------------

TEST(KeySet, AddPemFileTakesTheKidFromTheFileStemAndTheSourceFromItsPath) {
    test_keys::scratch_dir dir;
    const auto path = dir.write("2026-11.pem", test_keys::rsa_public_pem);
    key_set ks;
    auto e = ks.add_pem_file(path);
    ASSERT_FALSE(e) << e->message;
    ASSERT_EQ(ks.keys().size(), 1u);
    EXPECT_EQ(ks.keys()[0].kid, "2026-11");
    EXPECT_EQ(ks.keys()[0].source, path);
}

TEST(KeySet, AddPemFileLoadsEveryKeyOfABundle) {
    test_keys::scratch_dir dir;
    const auto path =
        dir.write("bundle.pem", std::string(test_keys::rsa_public_pem) + std::string(test_keys::rsa2_public_pem));
    key_set ks;
    auto e = ks.add_pem_file(path);
    ASSERT_FALSE(e) << e->message;
    ASSERT_EQ(ks.keys().size(), 2u);
    EXPECT_EQ(ks.keys()[0].kid, "bundle");
    EXPECT_EQ(ks.keys()[1].kid, "bundle");
}

TEST(KeySet, AddPemFileAcceptsACertificateFile) {
    test_keys::scratch_dir dir;
    key_set ks;
    auto e = ks.add_pem_file(dir.write("issuer.crt", test_keys::rsa_cert_pem));
    ASSERT_FALSE(e) << e->message;
    ASSERT_EQ(ks.keys().size(), 1u);
    EXPECT_EQ(ks.keys()[0].kid, "issuer");
    EXPECT_EQ(ks.keys()[0].family, key_family::rsa);
}

TEST(KeySet, AMissingFileIsRefusedNamingThePath) {
    test_keys::scratch_dir dir;
    const auto path = dir.path("nope.pem");
    key_set ks;
    expect_key_error(ks.add_pem_file(path), {path, "cannot open"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, APrivateKeyFileIsRefusedNamingThePath) {
    test_keys::scratch_dir dir;
    const auto path = dir.write("signing.pem", test_keys::rsa_private_pem);
    key_set ks;
    expect_key_error(ks.add_pem_file(path), {path, "private key", "herald only needs the public half"});
    EXPECT_TRUE(ks.empty());
}

TEST(KeySet, FileRefusalsNameThePath) {
    test_keys::scratch_dir dir;
    const std::vector<std::pair<std::string_view, std::string_view>> cases = {
        {test_keys::rsa1024_public_pem, "too short"},
        {test_keys::secp256k1_public_pem, "secp256k1"},
        {"", "no PEM block"},
    };
    for (const auto& [text, why] : cases) {
        const auto path = dir.write("bad.pem", text);
        key_set ks;
        expect_key_error(ks.add_pem_file(path), {path, why});
    }
}

// ---- private keys ---------------------------------------------------------------------------

TEST(KeySetPrivate, LoadsRsaInPkcs8AndTraditionalForms) {
    test_keys::scratch_dir dir;
    for (auto pem : {test_keys::rsa_private_pem, test_keys::rsa_private_traditional_pem}) {
        const auto path = dir.write("2026-11.pem", pem);
        auto k = load_private_key_file(path);
        ASSERT_TRUE(k) << k.err().message;
        EXPECT_EQ(k->family, key_family::rsa);
        EXPECT_EQ(k->kid, "2026-11");
        EXPECT_EQ(k->source, path);
        EXPECT_TRUE(k->pkey);
    }
}

TEST(KeySetPrivate, LoadsEcKeysOfEveryJwsCurve) {
    test_keys::scratch_dir dir;
    const std::vector<std::pair<std::string_view, int>> cases = {{test_keys::p256_private_pem, 256},
                                                                 {test_keys::p256_private_sec1_pem, 256},
                                                                 {test_keys::p384_private_pem, 384},
                                                                 {test_keys::p521_private_pem, 521}};
    for (const auto& [pem, bits] : cases) {
        auto k = load_private_key_file(dir.write("ec.key", pem));
        ASSERT_TRUE(k) << k.err().message;
        EXPECT_EQ(k->family, key_family::ec);
        EXPECT_EQ(k->ec_bits, bits);
        EXPECT_EQ(k->kid, "ec");
    }
}

TEST(KeySetPrivate, RefusesAMissingFileNamingThePath) {
    test_keys::scratch_dir dir;
    const auto path = dir.path("absent.pem");
    auto k = load_private_key_file(path);
    ASSERT_FALSE(k);
    EXPECT_EQ(k.err().code, "invalid_key");
    EXPECT_TRUE(contains(k.err().message, path)) << k.err().message;
}

TEST(KeySetPrivate, RefusesAPublicKeyOrGarbage) {
    test_keys::scratch_dir dir;
    for (std::string_view text : {test_keys::rsa_public_pem, test_keys::rsa_cert_pem, std::string_view("hello\n")}) {
        const auto path = dir.write("pub.pem", text);
        auto k = load_private_key_file(path);
        ASSERT_FALSE(k);
        EXPECT_EQ(k.err().code, "invalid_key");
        EXPECT_TRUE(contains(k.err().message, path)) << k.err().message;
        EXPECT_TRUE(contains(k.err().message, "no readable private key")) << k.err().message;
    }
}

TEST(KeySetPrivate, RefusesKeysJwsCannotUse) {
    test_keys::scratch_dir dir;
    auto short_rsa = load_private_key_file(dir.write("short.pem", test_keys::rsa1024_private_pem));
    ASSERT_FALSE(short_rsa);
    EXPECT_TRUE(contains(short_rsa.err().message, "1024 bits")) << short_rsa.err().message;
    auto k1 = load_private_key_file(dir.write("k1.pem", test_keys::secp256k1_private_pem));
    ASSERT_FALSE(k1);
    EXPECT_TRUE(contains(k1.err().message, "secp256k1")) << k1.err().message;
}

TEST(KeySetPrivate, AnEncryptedPrivateKeyFailsWithoutPromptingForAPassphrase) {
    EVP_PKEY* k = EVP_EC_gen("P-256");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    char pass[] = "passphrase";
    ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), k, EVP_aes_256_cbc(), nullptr, 0, nullptr, pass), 1);
    EVP_PKEY_free(k);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    test_keys::scratch_dir dir;
    auto path = dir.write("locked.key.pem", std::string(data, static_cast<std::size_t>(len)));
    auto r = load_private_key_file(path);  // would block on the terminal if OpenSSL prompted
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find(path), std::string::npos) << r.err().message;
}

// ---- file_stem --------------------------------------------------------------------------------

TEST(KeySetFileStem, DropsTheDirectoryAndTheExtension) {
    EXPECT_EQ(file_stem("keys/2026-11.pem"), "2026-11");
    EXPECT_EQ(file_stem("/etc/herald/keys/2026-11.pem"), "2026-11");
    EXPECT_EQ(file_stem("2026-11.pem"), "2026-11");
    EXPECT_EQ(file_stem("./issuer.crt"), "issuer");
    EXPECT_EQ(file_stem("../a/b/key.pub"), "key");
    EXPECT_EQ(file_stem("keys/2026.11.pem"), "2026.11");  // dots inside the name stay
}

TEST(KeySetFileStem, APrivateKeyFileNamesTheKidOfItsPublicKeyFile) {
    EXPECT_EQ(file_stem("keys/2026-11.key.pem"), "2026-11");
    EXPECT_EQ(file_stem("keys/2026-11.pub.pem"), "2026-11");
    EXPECT_EQ(file_stem("keys/2026-11.private.pem"), "2026-11");
    EXPECT_EQ(file_stem("keys/signing.key"), "signing");
}

TEST(KeySetFileStem, KeepsNamesWithoutAnExtensionAndHiddenFiles) {
    EXPECT_EQ(file_stem("keys/current"), "current");
    EXPECT_EQ(file_stem("current"), "current");
    EXPECT_EQ(file_stem("keys/.hidden"), ".hidden");
    EXPECT_EQ(file_stem(".pem"), ".pem");
    EXPECT_EQ(file_stem("keys.d/current"), "current");  // a dot in a directory is not an extension
    EXPECT_EQ(file_stem(""), "");
    EXPECT_EQ(file_stem("keys/"), "");
}

}  // namespace
}  // namespace herald::auth
