// `herald token create`: signs a subscriber JWT (sub, channels, exp) with the gateway's secret or
// a private key, for development and scripts. Prints the token (or, with --json, the token with
// its claims and expiry).
#include <chrono>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "lib/auth/channel_pattern.hpp"
#include "lib/auth/jwt.hpp"
#include "lib/auth/key_set.hpp"
#include "lib/util/duration.hpp"

namespace herald::cmd {

namespace {

using nlohmann::json;

struct token_options {
    std::string sub;
    std::vector<std::string> channels;
    std::string ttl = "1h";
    std::string secret;
    std::string private_key;
    std::string alg;
    std::string kid;
    std::string aud;
    std::string iss;
    bool json_out = false;
};

int usage(context& ctx, const std::string& message, const std::string& hint) {
    ctx.err << "herald: " << message << "\nhint: " << hint << "\n";
    return exit_usage;
}

int create(context& ctx, const token_options& o) {
    auto ttl = util::parse_duration_ms(o.ttl);
    if (!ttl || *ttl <= 0) return usage(ctx, "--ttl '" + o.ttl + "' is not a duration", "use e.g. 90s, 15m, 1h, 7d");
    for (const auto& c : o.channels)
        if (auto e = auth::validate_pattern(c)) return usage(ctx, "--channel: " + e->message, e->hint);
    if (o.secret.empty() == o.private_key.empty())
        return usage(ctx, o.secret.empty() ? "no signing key: give --secret (HERALD_JWT_SECRET) or --private-key FILE"
                                           : "--secret and --private-key both given",
                     "sign with the secret herald serve verifies (--jwt-secret), or the private half of a --jwt-public-key");
    auth::verify_key key;
    std::string alg_name = o.alg;
    if (!o.secret.empty()) {
        key.family = auth::key_family::hmac;
        key.secret = o.secret;
        key.source = "--secret";
        if (alg_name.empty()) alg_name = "HS256";
    } else {
        auto k = auth::load_private_key_file(o.private_key);
        if (!k) {
            ctx.err << "herald: " << k.err().message << "\nhint: " << k.err().hint << "\n";
            return exit_failure;
        }
        key = std::move(*k);
        if (alg_name.empty())
            alg_name = key.family == auth::key_family::rsa ? "RS256"
                       : key.ec_bits == 384               ? "ES384"
                       : key.ec_bits == 521               ? "ES512"
                                                          : "ES256";
    }
    auto alg = auth::find_alg(alg_name);
    if (!alg) return usage(ctx, "--alg '" + alg_name + "' is not known", "use one of " + std::string(auth::alg_names));
    using namespace std::chrono;
    const auto now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    const auto exp = now + (*ttl + 999) / 1000;
    json claims = json::object();
    if (!o.sub.empty()) claims["sub"] = o.sub;
    if (!o.channels.empty()) claims["channels"] = o.channels;
    if (!o.aud.empty()) claims["aud"] = o.aud;
    if (!o.iss.empty()) claims["iss"] = o.iss;
    claims["iat"] = now;
    claims["exp"] = exp;
    const std::string kid = !o.kid.empty() ? o.kid : (o.private_key.empty() ? "" : key.kid);
    auto token = auth::sign_jwt(*alg, key, claims, kid);
    if (!token) return usage(ctx, token.err().message, token.err().hint);
    if (o.json_out)
        ctx.out << json{{"token", *token}, {"alg", alg_name}, {"kid", kid}, {"claims", claims}, {"expires_at", exp}}.dump()
                << "\n";
    else
        ctx.out << *token << "\n";
    return exit_ok;
}

}  // namespace

runner register_token(CLI::App& app, context& ctx) {
    auto* tok = app.add_subcommand("token", "Make subscriber tokens (JWT) for development and scripts");
    tok->require_subcommand(1);
    tok->footer(
        "Examples:\n"
        "  herald token create --sub 42 --channel news --ttl 1h --secret \"$HERALD_JWT_SECRET\"");
    auto* sub = tok->add_subcommand("create", "Print a JWT signed with the gateway's secret or a private key");
    auto o = std::make_shared<token_options>();
    sub->add_option("--sub", o->sub, "User id: the token's holder also gets channel user:<sub>");
    sub->add_option("--channel,-c", o->channels, "Channel or trailing-* pattern the holder may subscribe to (repeat)");
    sub->add_option("--ttl", o->ttl, "Lifetime: 90s, 15m, 1h, 7d")->capture_default_str();
    sub->add_option("--secret", o->secret, "HMAC secret (what herald serve has as --jwt-secret)")->envname("HERALD_JWT_SECRET");
    sub->add_option("--private-key", o->private_key, "PEM private key (RSA or EC) instead of a secret")
        ->envname("HERALD_JWT_PRIVATE_KEY");
    sub->add_option("--alg", o->alg, "HS256/384/512 with --secret (default HS256); RS*/ES* with --private-key");
    sub->add_option("--kid", o->kid, "Key id for the header (default: the private key file's stem)");
    sub->add_option("--aud", o->aud, "Audience claim");
    sub->add_option("--iss", o->iss, "Issuer claim");
    sub->add_flag("--json", o->json_out, "Print {\"token\",\"claims\",\"expires_at\",...}");
    sub->footer(
        "Examples:\n"
        "  herald token create --sub 42 --channel news --channel 'stocks.*' --ttl 1h\n"
        "  herald token create --sub 42 --private-key keys/2026-11.pem --ttl 15m --json\n"
        "  TOKEN=$(herald token create --sub 42) && herald tail --url http://127.0.0.1:8080 --token \"$TOKEN\" news\n"
        "\n"
        "The secret comes from --secret or HERALD_JWT_SECRET, the same variable herald serve reads.");
    return [&ctx, o, sub]() -> int {
        if (!sub->parsed()) return exit_usage;
        return create(ctx, *o);
    };
}

}  // namespace herald::cmd
