// Key loading through OpenSSL's PEM readers; every refusal names the file and what was wrong.
#include "lib/auth/key_set.hpp"

#include <cstring>
#include <fstream>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sstream>

namespace herald::auth {

namespace {

model::error key_error(const std::string& source, const std::string& what) {
    return {"invalid_key", 400, source + ": " + what,
            "give a PEM file with a PUBLIC KEY or CERTIFICATE block (RSA of 2048 bits or more, or EC "
            "P-256/P-384/P-521), e.g. from: openssl pkey -in private.pem -pubout"};
}

pkey_ptr own(EVP_PKEY* k) { return pkey_ptr(k, EVP_PKEY_free); }

// Fills family and curve size, or says why this key cannot verify JWTs.
std::optional<std::string> classify(EVP_PKEY* k, verify_key& out) {
    const int id = EVP_PKEY_get_base_id(k);
    if (id == EVP_PKEY_RSA) {
        if (EVP_PKEY_get_bits(k) < 2048)
            return "RSA key of " + std::to_string(EVP_PKEY_get_bits(k)) + " bits is too short (need 2048 or more)";
        out.family = key_family::rsa;
        return std::nullopt;
    }
    if (id == EVP_PKEY_EC) {
        char group[64] = {0};
        std::size_t len = 0;
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
        std::string g(group, len);
        if (g == "prime256v1" || g == "P-256")
            out.ec_bits = 256;
        else if (g == "secp384r1" || g == "P-384")
            out.ec_bits = 384;
        else if (g == "secp521r1" || g == "P-521")
            out.ec_bits = 521;
        else
            return "EC curve '" + g + "' is not one JWS uses (P-256, P-384, P-521)";
        out.family = key_family::ec;
        return std::nullopt;
    }
    return "key type is neither RSA nor EC";
}

std::optional<std::string> read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot open " + path + ": " + std::strerror(errno);
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return std::nullopt;
}

}  // namespace

std::string file_stem(const std::string& path) {
    auto slash = path.find_last_of('/');
    auto name = slash == std::string::npos ? path : path.substr(slash + 1);
    auto strip_last = [&name] {
        auto dot = name.rfind('.');
        if (dot == std::string::npos || dot == 0) return std::string();
        auto ext = name.substr(dot);
        name.resize(dot);
        return ext;
    };
    strip_last();  // the file type: .pem, .crt, ...
    // A role marker before it, so a private key file names the kid of its public key file.
    auto dot = name.rfind('.');
    if (dot != std::string::npos && dot > 0) {
        auto role = name.substr(dot);
        if (role == ".key" || role == ".pub" || role == ".public" || role == ".private") name.resize(dot);
    }
    return name;
}

void key_set::add_secret(std::string secret, std::string source) {
    verify_key k;
    k.family = key_family::hmac;
    k.secret = std::move(secret);
    k.source = std::move(source);
    keys_.push_back(std::move(k));
}

std::optional<model::error> key_set::add_pem(std::string_view pem, const std::string& kid, const std::string& source) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::vector<verify_key> found;
    for (int block = 1;; ++block) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* data = nullptr;
        long len = 0;
        if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
        std::string type(name);
        const unsigned char* p = data;
        EVP_PKEY* k = nullptr;
        if (type == "PUBLIC KEY") {
            k = d2i_PUBKEY(nullptr, &p, len);
        } else if (type == "CERTIFICATE") {
            if (X509* cert = d2i_X509(nullptr, &p, len)) {
                k = X509_get_pubkey(cert);
                X509_free(cert);
            }
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        const std::string where = source + " block " + std::to_string(block);
        if (!k) {
            if (type.find("PRIVATE") != std::string::npos)
                return key_error(where, "is a private key; herald only needs the public half");
            return key_error(where, "'" + type + "' is not a readable public key or certificate");
        }
        verify_key v;
        v.pkey = own(k);
        v.kid = kid;
        v.source = source;
        if (auto why = classify(k, v)) return key_error(where, *why);
        found.push_back(std::move(v));
    }
    if (found.empty()) return key_error(source, "no PEM block found");
    for (auto& v : found) keys_.push_back(std::move(v));
    return std::nullopt;
}

std::optional<model::error> key_set::add_pem_file(const std::string& path) {
    std::string text;
    if (auto why = read_file(path, text)) return key_error(path, *why);
    return add_pem(text, file_stem(path), path);
}

model::result<verify_key> load_private_key_file(const std::string& path) {
    std::string text;
    if (auto why = read_file(path, text)) return key_error(path, *why);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
    // No passphrase prompt: an encrypted key fails here instead of waiting on the terminal.
    auto no_passphrase = [](char*, int, int, void*) { return 0; };
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
    if (!k) return key_error(path, "no readable private key (unencrypted PEM expected)");
    verify_key v;
    v.pkey = own(k);
    v.kid = file_stem(path);
    v.source = path;
    if (auto why = classify(k, v)) return key_error(path, *why);
    return v;
}

}  // namespace herald::auth
