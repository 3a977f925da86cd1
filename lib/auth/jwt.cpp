// JWT verification and signing; claims parsing per RFC 7519 §4.1.
#include "lib/auth/jwt.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "lib/auth/base64url.hpp"
#include "lib/auth/signature.hpp"

namespace herald::auth {

namespace {

using nlohmann::json;
using model::errors::invalid_token;

std::optional<json> decode_object(std::string_view part) {
    auto bytes = base64url_decode(part);
    if (!bytes) return std::nullopt;
    auto j = json::parse(*bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

// NumericDate (seconds, maybe fractional) → ms; nullopt when the member is absent.
model::result<std::optional<std::int64_t>> numeric_date(const json& payload, const char* name) {
    auto it = payload.find(name);
    if (it == payload.end()) return std::optional<std::int64_t>();
    if (!it->is_number() || !std::isfinite(it->get<double>()) || std::abs(it->get<double>()) > 1e13)
        return invalid_token(std::string("claim '") + name + "' is not a NumericDate (seconds since 1970)");
    if (it->is_number_integer()) return std::optional<std::int64_t>(it->get<std::int64_t>() * 1000);
    return std::optional<std::int64_t>(static_cast<std::int64_t>(std::floor(it->get<double>() * 1000)));
}

std::optional<model::error> read_claims(const json& p, claims& c) {
    if (auto it = p.find("sub"); it != p.end()) {
        if (it->is_string())
            c.sub = it->get<std::string>();
        else if (it->is_number_unsigned())  // above INT64_MAX too: its own text, never wrapped negative
            c.sub = std::to_string(it->get<std::uint64_t>());
        else if (it->is_number_integer())
            c.sub = std::to_string(it->get<std::int64_t>());
        else
            return invalid_token("claim 'sub' is not a string");
        if (c.sub->empty()) return invalid_token("claim 'sub' is empty");
    }
    auto exp = numeric_date(p, "exp");
    if (!exp) return exp.err();
    c.exp_ms = *exp;
    auto nbf = numeric_date(p, "nbf");
    if (!nbf) return nbf.err();
    c.nbf_ms = *nbf;
    if (auto it = p.find("channels"); it != p.end()) {
        if (!it->is_array()) return invalid_token("claim 'channels' is not an array of channel names");
        for (const auto& ch : *it) {
            if (!ch.is_string()) return invalid_token("claim 'channels' holds a value that is not a string");
            c.channels.push_back(ch.get<std::string>());
        }
    }
    return std::nullopt;
}

std::optional<model::error> check_audience(const json& p, const std::string& audience) {
    if (audience.empty()) return std::nullopt;
    auto it = p.find("aud");
    if (it == p.end()) return invalid_token("claim 'aud' is missing; this gateway requires '" + audience + "'");
    if (it->is_string() && it->get<std::string>() == audience) return std::nullopt;
    if (it->is_array())
        for (const auto& a : *it)
            if (a.is_string() && a.get<std::string>() == audience) return std::nullopt;
    return invalid_token("claim 'aud' does not name this gateway's audience '" + audience + "'");
}

}  // namespace

model::result<claims> verify_jwt(std::string_view token, const key_set& keys, std::int64_t now_ms,
                                 const verify_options& opt) {
    if (token.empty()) return invalid_token("token is empty");
    if (token.size() > opt.max_token_bytes)
        return invalid_token("token is " + std::to_string(token.size()) + " bytes, over the " +
                       std::to_string(opt.max_token_bytes) + "-byte limit");
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return invalid_token("not a JWS compact token (expected three base64url parts separated by '.')");
    const auto header_part = token.substr(0, dot1);
    const auto payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const auto sig_part = token.substr(dot2 + 1);

    auto header = decode_object(header_part);
    if (!header) return invalid_token("header is not base64url-encoded JSON object");
    auto alg_it = header->find("alg");
    if (alg_it == header->end() || !alg_it->is_string()) return invalid_token("header has no 'alg'");
    const auto alg_name = alg_it->get<std::string>();
    auto alg = find_alg(alg_name);
    if (!alg) return invalid_token("algorithm '" + alg_name + "' is not accepted (accepted: " + std::string(alg_names) + ")");
    if (header->contains("crit")) return invalid_token("header has 'crit' extensions, which this gateway does not understand");
    std::string kid;
    if (auto k = header->find("kid"); k != header->end()) {
        if (!k->is_string()) return invalid_token("header 'kid' is not a string");
        kid = k->get<std::string>();
    }
    auto sig = base64url_decode(sig_part);
    if (!sig) return invalid_token("signature is not base64url");

    // Keys of the alg's family only (an RSA public key is never an HMAC secret); a matching kid first.
    const auto input = token.substr(0, dot2);
    std::size_t tried = 0;
    bool verified = false;
    for (int pass = 0; pass < 2 && !verified; ++pass) {
        for (const auto& k : keys.keys()) {
            if (k.family != alg->family || (alg->family == key_family::ec && k.ec_bits != alg->ec_bits)) continue;
            const bool kid_match = !kid.empty() && k.kid == kid;
            if ((pass == 0) != kid_match) continue;
            ++tried;
            if (verify_signature(*alg, k, input, *sig)) {
                verified = true;
                break;
            }
        }
    }
    if (tried == 0) return invalid_token("no configured key can verify " + alg_name + " tokens");
    if (!verified)
        return invalid_token("signature does not verify (" + alg_name + ", " + std::to_string(tried) + " key(s) tried" +
                       (kid.empty() ? "" : ", kid '" + kid + "'") + ")");

    // Only a signed payload is parsed.
    auto payload = decode_object(payload_part);
    if (!payload) return invalid_token("payload is not base64url-encoded JSON object");
    claims c;
    c.alg = alg_name;
    c.kid = kid;
    if (auto e = read_claims(*payload, c)) return *e;
    if (c.exp_ms && now_ms >= *c.exp_ms) return model::errors::token_expired(*c.exp_ms, now_ms);
    if (c.nbf_ms && now_ms + opt.nbf_leeway_ms < *c.nbf_ms) return model::errors::token_not_yet_valid(*c.nbf_ms, now_ms);
    if (auto e = check_audience(*payload, opt.audience)) return *e;
    if (!opt.issuer.empty()) {
        auto it = payload->find("iss");
        if (it == payload->end() || !it->is_string() || it->get<std::string>() != opt.issuer)
            return invalid_token("claim 'iss' is not the configured issuer '" + opt.issuer + "'");
    }
    return c;
}

model::result<std::string> sign_jwt(const alg_info& alg, const verify_key& key, const json& payload,
                                    const std::string& kid) {
    json header = {{"alg", std::string(alg.name)}, {"typ", "JWT"}};
    if (!kid.empty()) header["kid"] = kid;
    std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
    auto sig = create_signature(alg, key, input);
    if (!sig) return sig.err();
    return input + "." + base64url_encode(*sig);
}

}  // namespace herald::auth
