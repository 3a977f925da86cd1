// The CLI with auth, running the real binary: `herald token create` (secret and private key,
// --json, every usage error), tokens it makes accepted by a gateway over `herald tail --token`,
// API keys for publish and tail (flag and HERALD_API_KEY), and `herald serve` refusing an
// internal listener off loopback without a key, and saying loudly when auth is off.
#include <gtest/gtest.h>

#include <filesystem>

#include "lib/auth/jwt.hpp"
#include "tests/support/cli_support.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/tokens.hpp"

namespace herald::test {
namespace {

config::config keyed_config() {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.api_keys = {"app-key"};
    return cfg;
}

TEST(CliToken, CreatesATokenTheGatewayAcceptsForTail) {
    test_server srv(keyed_config());
    auto made = run_herald({"token", "create", "--sub", "42", "--channel", "news", "--ttl", "10m"}, {},
                           {{"HERALD_JWT_SECRET", test_secret}}, quick);
    ASSERT_EQ(made.exit_code, 0) << describe(made);
    auto token = made.out.substr(0, made.out.find('\n'));
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
    process tail({"tail", "news", "--url", srv.public_url(), "--count", "2", "--since", "earliest", "--token", token});
    ASSERT_TRUE(wait_subscribed(srv, 2)) << tail.err();
    srv.publish("user:42", "for you");
    srv.publish("news", "for all");
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("user:42 #1: for you"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("news #1: for all"), std::string::npos) << r.out;
}

TEST(CliToken, JsonShowsClaimsAndExpiry) {
    auto r = run_herald({"token", "create", "--sub", "7", "-c", "a", "-c", "b.*", "--ttl", "90s", "--aud", "app", "--json",
                         "--secret", test_secret},
                        {}, {}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto j = parse_json(r.out);
    EXPECT_EQ(j["alg"], "HS256");
    EXPECT_EQ(j["claims"]["sub"], "7");
    EXPECT_EQ(j["claims"]["channels"], (json{"a", "b.*"}));
    EXPECT_EQ(j["claims"]["aud"], "app");
    const auto exp = j["expires_at"].get<std::int64_t>();
    EXPECT_NEAR(static_cast<double>(exp - unix_now()), 90.0, 5.0);
    // The printed token verifies with the secret and carries the same claims.
    auth::key_set keys;
    keys.add_secret(test_secret, "test");
    auth::verify_options opt;
    opt.audience = "app";
    auto c = auth::verify_jwt(j["token"].get<std::string>(), keys, unix_now() * 1000, opt);
    ASSERT_TRUE(c) << c.err().message;
    EXPECT_EQ(c->sub, "7");
    EXPECT_EQ(c->exp_ms, exp * 1000);
}

TEST(CliToken, SignsWithAPrivateKeyForAGatewayWithThePublicKey) {
    auto dir = std::filesystem::temp_directory_path() / ("herald-cli-keys-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto keys = write_ec_key_pair(dir.string(), "2026-11");
    auto cfg = test_config();
    cfg.auth.jwt_public_key_files = {keys.public_path};
    test_server srv(cfg);
    auto r = run_herald({"token", "create", "--sub", "9", "--private-key", keys.private_path, "--json"}, {}, {}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto j = parse_json(r.out);
    EXPECT_EQ(j["alg"], "ES256");
    EXPECT_EQ(j["kid"], "2026-11");  // the stem, so it names the public key file 2026-11.pem
    sse_client s(srv.public_port(), "/v1/sse?token=" + j["token"].get<std::string>());
    EXPECT_TRUE(s.ok()) << s.error_body();
    std::filesystem::remove_all(dir);
}

TEST(CliToken, UsageErrorsExit2WithAHint) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"token", "create", "--sub", "1"}, "no signing key"},
        {{"token", "create", "--sub", "1", "--secret", "s", "--ttl", "soon"}, "--ttl"},
        {{"token", "create", "--sub", "1", "--secret", "s", "--alg", "none"}, "--alg"},
        {{"token", "create", "--sub", "1", "--secret", "s", "--alg", "RS256"}, "RS256"},
        {{"token", "create", "--secret", "s", "--channel", "a*b"}, "a*b"},
        {{"token"}, "create"},
    };
    for (const auto& [args, needle] : cases) {
        auto r = run_herald(args, {}, {}, quick);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
        EXPECT_NE(r.err.find(needle), std::string::npos) << needle << "\n" << describe(r);
        EXPECT_EQ(r.out, "");
    }
    auto missing = run_herald({"token", "create", "--private-key", "/nonexistent.pem"}, {}, {}, quick);
    EXPECT_EQ(missing.exit_code, 1) << describe(missing);
    EXPECT_NE(missing.err.find("/nonexistent.pem"), std::string::npos) << missing.err;
}

// The token's user: channel is followed on both transports, and survives reconnects with its
// position (over WebSocket it resumes in the query, so the server does not also subscribe it live).
class CliTailToken : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Transports, CliTailToken, ::testing::Values("sse", "ws"));

TEST_P(CliTailToken, FollowsTheUserChannelAcrossReconnectsWithoutLossOrDuplicates) {
    auto cfg = keyed_config();
    cfg.auth.public_channels = {"news"};
    test_server srv(cfg);
    tcp_proxy proxy(srv.public_port());
    std::vector<std::string> args{"tail", "news", "--json", "--token", user_token("42"), "--url",
                                  "http://127.0.0.1:" + std::to_string(proxy.port())};
    if (GetParam() == "ws") args.push_back("--ws");
    process tail(args);
    ASSERT_TRUE(wait_subscribed(srv, 2)) << tail.err();
    int n = 0;
    auto publish_both = [&] {
        ++n;
        srv.publish("user:42", "u" + std::to_string(n));
        srv.publish("news", "n" + std::to_string(n));
    };
    publish_both();
    ASSERT_TRUE(wait_lines(tail, 2)) << tail.out() << tail.err();
    for (int round = 0; round < 2; ++round) {
        proxy.set_refusing(true);
        proxy.cut();
        ASSERT_TRUE(eventually([&] { return count_of(tail.err(), "connection lost") > static_cast<std::size_t>(round); }))
            << tail.err();
        publish_both();  // missed while away
        proxy.set_refusing(false);
        ASSERT_TRUE(wait_lines(tail, static_cast<std::size_t>(2 * n))) << tail.out() << tail.err();
    }
    publish_both();
    ASSERT_TRUE(wait_lines(tail, static_cast<std::size_t>(2 * n))) << tail.out() << tail.err();
    tail.kill(SIGTERM);
    auto r = tail.wait(quick);
    std::vector<std::string> user, news, want_user, want_news;
    for (const auto& l : json_lines(r.out)) (l["channel"] == "user:42" ? user : news).push_back(l.value("data", ""));
    for (int i = 1; i <= n; ++i) {
        want_user.push_back("u" + std::to_string(i));
        want_news.push_back("n" + std::to_string(i));
    }
    EXPECT_EQ(user, want_user) << r.out;
    EXPECT_EQ(news, want_news) << r.out;
}

TEST(CliApiKey, PublishAndTailSendTheKeyFromFlagOrEnvironment) {
    test_server srv(keyed_config());
    auto refused = run_herald({"publish", "news", "x", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(refused.exit_code, 1) << describe(refused);
    EXPECT_NE(refused.err.find("API key"), std::string::npos) << refused.err;
    auto flag = run_herald({"publish", "news", "one", "--url", srv.internal_url(), "--api-key", "app-key"}, {}, {}, quick);
    EXPECT_EQ(flag.exit_code, 0) << describe(flag);
    auto env = run_herald({"publish", "news", "two", "--url", srv.internal_url()}, {}, {{"HERALD_API_KEY", "app-key"}}, quick);
    EXPECT_EQ(env.exit_code, 0) << describe(env);
    auto tail = run_herald({"tail", "news", "--since", "earliest", "--count", "2", "--url", srv.internal_url()}, {},
                           {{"HERALD_API_KEY", "app-key"}}, quick);
    EXPECT_EQ(tail.exit_code, 0) << describe(tail);
    EXPECT_EQ(tail.out, "news #1: one\nnews #2: two\n");
    auto no_key = run_herald({"tail", "news", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(no_key.exit_code, 1) << describe(no_key);
    EXPECT_NE(no_key.err.find("API key"), std::string::npos) << no_key.err;
}

TEST(CliServe, InternalListenerOffLoopbackWithoutAKeyExits1SayingHowToFixIt) {
    auto r = run_herald({"serve", "--public", "127.0.0.1:0", "--internal", "0.0.0.0:0"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    auto lines = split_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find("--api-key"), std::string::npos) << r.err;
    EXPECT_NE(lines[0].find("0.0.0.0:0"), std::string::npos) << r.err;
}

TEST(CliServe, SaysLoudlyWhenAuthIsOffAndNeverLogsSecrets) {
    for (bool with_keys : {false, true}) {
        std::vector<std::string> args{"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0"};
        std::map<std::string, std::string> env;
        if (with_keys) env = {{"HERALD_JWT_SECRET", test_secret}, {"HERALD_API_KEY", "very-secret-api-key"}};
        process p(args, {}, env);
        ASSERT_TRUE(p.wait_err("listening")) << p.err();
        p.kill(SIGTERM);
        auto r = p.wait(quick);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_EQ(r.err.find("AUTH IS OFF") != std::string::npos, !with_keys) << r.err;
        EXPECT_EQ(r.err.find(test_secret), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("very-secret-api-key"), std::string::npos) << r.err;
    }
}

}  // namespace
}  // namespace herald::test
