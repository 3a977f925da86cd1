// Signature primitives over OpenSSL's EVP interfaces; constant-time HMAC comparison.
#include "lib/auth/signature.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace herald::auth {

namespace {

const EVP_MD* digest(int bits) {
    switch (bits) {
        case 384:
            return EVP_sha384();
        case 512:
            return EVP_sha512();
        default:
            return EVP_sha256();
    }
}

std::string hmac(const alg_info& alg, const std::string& secret, std::string_view input) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(digest(alg.digest_bits), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::size_t ec_part_bytes(int ec_bits) { return static_cast<std::size_t>((ec_bits + 7) / 8); }

using md_ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// ECDSA: JWS carries R||S, OpenSSL speaks DER.
std::string raw_to_der(std::string_view raw) {
    const std::size_t half = raw.size() / 2;
    ECDSA_SIG* s = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(half), nullptr);
    BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half, static_cast<int>(half), nullptr);
    ECDSA_SIG_set0(s, r, ss);
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(s, &der);
    std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)) : std::string();
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return out;
}

std::string der_to_raw(std::string_view der, std::size_t part) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (!s) return {};
    std::string out(2 * part, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(s), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(part));
    BN_bn2binpad(ECDSA_SIG_get0_s(s), reinterpret_cast<unsigned char*>(out.data()) + part, static_cast<int>(part));
    ECDSA_SIG_free(s);
    return out;
}

bool family_fits(const alg_info& alg, const verify_key& key) {
    if (alg.family != key.family) return false;
    return alg.family != key_family::ec || alg.ec_bits == key.ec_bits;
}

}  // namespace

bool verify_signature(const alg_info& alg, const verify_key& key, std::string_view input, std::string_view sig) {
    if (!family_fits(alg, key)) return false;
    if (alg.family == key_family::hmac) {
        auto mac = hmac(alg, key.secret, input);
        return sig.size() == mac.size() && CRYPTO_memcmp(sig.data(), mac.data(), mac.size()) == 0;
    }
    std::string der;
    if (alg.family == key_family::ec) {
        if (sig.size() != 2 * ec_part_bytes(alg.ec_bits)) return false;
        der = raw_to_der(sig);
        if (der.empty()) return false;
        sig = der;
    }
    md_ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, digest(alg.digest_bits), nullptr, key.pkey.get()) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

model::result<std::string> create_signature(const alg_info& alg, const verify_key& key, std::string_view input) {
    if (!family_fits(alg, key))
        return model::error{"invalid_key", 400, std::string(alg.name) + " cannot sign with the key from " + key.source,
                            "HS* signs with a secret, RS* with an RSA key, ES256/384/512 with an EC P-256/384/521 key"};
    if (alg.family == key_family::hmac) return hmac(alg, key.secret, input);
    md_ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t len = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, digest(alg.digest_bits), nullptr, key.pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        return model::errors::internal("cannot sign with the key from " + key.source);
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        return model::errors::internal("cannot sign with the key from " + key.source);
    sig.resize(len);
    if (alg.family == key_family::ec) return der_to_raw(sig, ec_part_bytes(alg.ec_bits));
    return sig;
}

}  // namespace herald::auth
