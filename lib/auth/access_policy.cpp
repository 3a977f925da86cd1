// Access decisions; the API key comparison is constant-time in the key's contents.
#include "lib/auth/access_policy.hpp"

#include <openssl/crypto.h>

#include "lib/auth/channel_pattern.hpp"
#include "lib/model/channel.hpp"

namespace herald::auth {

access_policy::access_policy(policy_config cfg, const util::clock& clock) : cfg_(std::move(cfg)), clock_(clock) {}

model::result<identity> access_policy::authenticate(const std::optional<std::string>& token) const {
    identity who;
    if (!token) return who;
    if (open()) return model::errors::auth_not_configured();
    auto c = verify_jwt(*token, cfg_.keys, clock_.now_ms(), cfg_.verify);
    if (!c) return c.err();
    if (c->sub) {
        if (auto e = model::validate_channel(std::string(user_channel_prefix) + *c->sub))
            return model::errors::invalid_token("claim 'sub' cannot name a personal channel: " + e->message);
    }
    who.authenticated = true;
    who.sub = std::move(c->sub);
    who.exp_ms = c->exp_ms;
    who.channels = std::move(c->channels);
    return who;
}

std::optional<model::error> access_policy::subscribe_refusal(const identity& who, std::string_view channel) const {
    if (open() || who.trusted) return std::nullopt;
    if (channel.substr(0, user_channel_prefix.size()) == user_channel_prefix) {
        if (who.sub && channel.substr(user_channel_prefix.size()) == *who.sub) return std::nullopt;
        return who.authenticated ? model::errors::forbidden_channel(channel) : model::errors::token_required(channel);
    }
    if (cfg_.is_public) {
        if (cfg_.is_public(channel)) return std::nullopt;
    } else {
        for (const auto& p : cfg_.public_patterns)
            if (pattern_matches(p, channel)) return std::nullopt;
    }
    if (!who.authenticated) return model::errors::token_required(channel);
    for (const auto& p : who.channels)
        if (pattern_matches(p, channel)) return std::nullopt;
    return model::errors::forbidden_channel(channel);
}

std::optional<model::error> access_policy::check_api_key(const std::optional<std::string>& bearer) const {
    if (cfg_.api_keys.empty()) return std::nullopt;
    if (!bearer) return model::errors::api_key_required();
    bool ok = false;
    for (const auto& k : cfg_.api_keys)  // every key is compared, so timing tells nothing
        ok |= k.size() == bearer->size() && CRYPTO_memcmp(k.data(), bearer->data(), k.size()) == 0;
    if (!ok) return model::errors::invalid_api_key();
    return std::nullopt;
}

}  // namespace herald::auth
