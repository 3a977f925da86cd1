// Who may subscribe to what, and who may publish. Built once from configuration; immutable and
// safe to share between threads.
//
// Subscribers (public listener): with no verification key configured the gateway is open
// (every channel, no token needed; a token is refused since it cannot be checked). With keys:
// - a presented token must verify, or the request is refused (never treated as anonymous);
// - `user:<sub>` is readable only with a token whose sub is <sub>: no pattern grants it;
// - other channels: public ones need no token (public patterns, or the channel policy by pattern
//   when is_public is set); otherwise the token's `channels` must match.
// Publishers and trusted tools (internal listener): any configured API key as a Bearer token;
// with no API key configured the internal listener is open (it is loopback-only then).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/jwt.hpp"
#include "lib/auth/key_set.hpp"
#include "lib/model/channel.hpp"
#include "lib/model/error.hpp"
#include "lib/util/clock.hpp"

namespace herald::auth {

using model::user_channel_prefix;

struct identity {
    bool trusted = false;        // API key holder (or the open internal listener): every channel
    bool authenticated = false;  // a verified token
    std::optional<std::string> sub;
    std::optional<std::int64_t> exp_ms;
    std::vector<std::string> channels;  // patterns the token grants

    // "user:<sub>", or empty when there is no sub.
    std::string personal_channel() const { return sub ? std::string(user_channel_prefix) + *sub : std::string(); }
};

struct policy_config {
    key_set keys;
    std::vector<std::string> public_patterns;  // validated by the caller (validate_pattern)
    // When set, decides instead of public_patterns whether a (non-user:) channel needs no token:
    // the channel policies by pattern, which fall back to the public patterns. Any thread.
    std::function<bool(std::string_view channel)> is_public;
    verify_options verify;
    std::vector<std::string> api_keys;
};

class access_policy {
public:
    access_policy(policy_config cfg, const util::clock& clock);

    bool open() const { return cfg_.keys.empty(); }
    bool publisher_keys() const { return !cfg_.api_keys.empty(); }
    std::size_t key_count() const { return cfg_.keys.keys().size(); }

    // The identity a subscriber presents: no token → anonymous; a token → verified or refused.
    model::result<identity> authenticate(const std::optional<std::string>& token) const;
    // nullopt when `who` may subscribe to `channel`; else token_required (401) or forbidden (403).
    std::optional<model::error> subscribe_refusal(const identity& who, std::string_view channel) const;
    // Internal listener: nullopt when `bearer` is a configured API key (or none is configured).
    std::optional<model::error> check_api_key(const std::optional<std::string>& bearer) const;

private:
    policy_config cfg_;
    const util::clock& clock_;
};

}  // namespace herald::auth
