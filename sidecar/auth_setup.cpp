// Access policy construction and the start-up checks and notices about it.
#include "sidecar/auth_setup.hpp"

#include <stdexcept>

#include "lib/auth/channel_pattern.hpp"
#include "lib/config/channel_policies.hpp"
#include "sidecar/listener.hpp"

namespace herald::sidecar {

namespace {
// Builds the policy inputs, reporting every problem (nothing is thrown).
auth::policy_config policy_settings(const config::config& cfg, std::vector<config::problem>& problems) {
    const auto& a = cfg.auth;
    auth::policy_config pc;
    for (std::size_t i = 0; i < a.jwt_secrets.size(); ++i) {
        if (a.jwt_secrets[i].empty())
            problems.push_back({"auth.jwt_secret", "", "\"\"", "secret #" + std::to_string(i + 1) + " is empty"});
        else
            pc.keys.add_secret(a.jwt_secrets[i], "secret #" + std::to_string(i + 1));
    }
    for (const auto& f : a.jwt_public_key_files)
        if (auto e = pc.keys.add_pem_file(f)) problems.push_back({"auth.jwt_public_key", "", f, e->message + " (" + e->hint + ")"});
    for (const auto& p : a.public_channels)
        if (auto e = auth::validate_pattern(p)) problems.push_back({"auth.public_channels", "", p, e->message + " (" + e->hint + ")"});
    for (const auto& k : a.api_keys)
        if (k.empty()) problems.push_back({"auth.api_key", "", "\"\"", "an API key is empty"});
    pc.public_patterns = a.public_channels;
    auto policies = std::make_shared<const config::channel_policies>(cfg);
    pc.is_public = [policies](std::string_view channel) { return policies->resolve(channel).public_channel; };
    pc.api_keys = a.api_keys;
    pc.verify.audience = a.jwt_audience;
    pc.verify.issuer = a.jwt_issuer;
    bool loopback = true;
    try {
        loopback = parse_endpoint(cfg.internal_address).address().is_loopback();
    } catch (const std::exception& e) {
        problems.push_back({"internal", "", cfg.internal_address, e.what()});
    }
    if (!loopback && pc.api_keys.empty())
        problems.push_back({"internal", "", cfg.internal_address,
                            "the internal listener " + cfg.internal_address +
                                " is not on loopback and no API key is set: anyone who can reach it could publish. "
                                "Set --api-key KEY (or HERALD_API_KEY), or bind it to loopback with --internal "
                                "127.0.0.1:PORT"});
    return pc;
}
}  // namespace

std::vector<config::problem> check_access_setup(const config::config& cfg) {
    std::vector<config::problem> problems;
    policy_settings(cfg, problems);
    return problems;
}

std::unique_ptr<auth::access_policy> make_access_policy(const config::config& cfg, const util::clock& clock) {
    std::vector<config::problem> problems;
    auto pc = policy_settings(cfg, problems);
    if (!problems.empty()) {
        std::string message;
        for (const auto& p : problems)
            message += (message.empty() ? "" : "; ") + (p.key == "internal" ? p.message : config::format_problem(p));
        throw std::runtime_error(message);
    }
    return std::make_unique<auth::access_policy>(std::move(pc), clock);
}

void announce_access_policy(const config::config& cfg, const auth::access_policy& policy, spdlog::logger& log) {
    const auto& a = cfg.auth;
    for (std::size_t i = 0; i < a.jwt_secrets.size(); ++i)
        if (a.jwt_secrets[i].size() < 32)
            log.warn("JWT secret #{} is {} bytes; use at least 32 random bytes (openssl rand -base64 32)", i + 1,
                     a.jwt_secrets[i].size());
    if (policy.open()) {
        for (std::size_t i = 0; i < cfg.channels.size(); ++i)
            if (cfg.channels[i].public_channel == false)
                log.warn("channels[{}] ({}) says \"public\": false, but auth is off: anyone may subscribe to it", i,
                         cfg.channels[i].pattern);
        log.warn("AUTH IS OFF: no --jwt-secret or --jwt-public-key is set, so anyone who reaches the public "
                 "listener can subscribe to any channel, including user:* channels. Set a key before exposing it.");
    } else {
        std::string patterns;
        for (const auto& p : a.public_channels) patterns += (patterns.empty() ? "" : ", ") + p;
        for (const auto& r : cfg.channels)  // channel policies may open (or close) patterns too
            if (r.public_channel)
                patterns += (patterns.empty() ? "" : ", ") + r.pattern + (*r.public_channel ? " (policy)" : " (policy: not public)");
        log.info("auth: subscriber tokens verified with {} key(s){}{}; public channels: {}", policy.key_count(),
                 a.jwt_audience.empty() ? "" : ", aud " + a.jwt_audience,
                 a.jwt_issuer.empty() ? "" : ", iss " + a.jwt_issuer, patterns.empty() ? "none" : patterns);
    }
    if (policy.publisher_keys())
        log.info("auth: the internal listener needs one of {} API key(s) (Authorization: Bearer)", a.api_keys.size());
}

}  // namespace herald::sidecar
