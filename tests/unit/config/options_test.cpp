// The option table: every kind parsed from text and JSON, ranges, unknown keys, list layering,
// cross-setting checks, secrets masked, and the rendered reference naming every option.
#include "lib/config/options.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>

namespace herald::config {
namespace {

using nlohmann::json;

const option_spec& spec(std::string_view key) {
    const auto* s = find_option(key);
    EXPECT_NE(s, nullptr) << key;
    return *s;
}

TEST(Options, KeysFlagsAndVariablesAreUnique) {
    std::set<std::string> keys, flags, envs;
    for (const auto& o : options()) {
        EXPECT_TRUE(keys.insert(std::string(o.key)).second) << o.key;
        EXPECT_TRUE(flags.insert(std::string(o.flag)).second) << o.flag;
        EXPECT_TRUE(envs.insert(std::string(o.env)).second) << o.env;
    }
}

TEST(Options, TextSetsEveryKind) {
    config c;
    std::vector<problem> p;
    EXPECT_TRUE(set_from_text(c, spec("public"), "127.0.0.1:9000", "--public", p));
    EXPECT_TRUE(set_from_text(c, spec("log.level"), "debug", "--log-level", p));
    EXPECT_TRUE(set_from_text(c, spec("history.size"), "500", "--history-size", p));
    EXPECT_TRUE(set_from_text(c, spec("history.ttl"), "30m", "--history-ttl", p));
    EXPECT_TRUE(set_from_text(c, spec("sse.keepalive"), "2500", "--keepalive", p));
    EXPECT_TRUE(set_from_text(c, spec("auth.public_channels"), "news", "--public-channels", p));
    EXPECT_TRUE(set_from_text(c, spec("auth.public_channels"), "stocks.*", "--public-channels", p));
    EXPECT_TRUE(p.empty());
    EXPECT_EQ(c.public_address, "127.0.0.1:9000");
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.history.size, 500u);
    EXPECT_EQ(c.history.ttl_ms, 30 * 60 * 1000);
    EXPECT_EQ(c.sse.keepalive_ms, 2500);
    EXPECT_EQ(c.auth.public_channels, (std::vector<std::string>{"news", "stocks.*"}));
}

TEST(Options, BadTextIsAProblemNamingKeySourceAndValue) {
    config c;
    const config before;
    std::vector<problem> p;
    EXPECT_FALSE(set_from_text(c, spec("log.level"), "loud", "--log-level", p));
    EXPECT_FALSE(set_from_text(c, spec("history.size"), "lots", "HERALD_HISTORY_SIZE", p));
    EXPECT_FALSE(set_from_text(c, spec("history.size"), "0", "--history-size", p));
    EXPECT_FALSE(set_from_text(c, spec("history.ttl"), "1x", "--history-ttl", p));
    EXPECT_FALSE(set_from_text(c, spec("public"), "localhost", "--public", p));
    EXPECT_FALSE(set_from_text(c, spec("public"), "1.2.3.4:99999", "--public", p));
    ASSERT_EQ(p.size(), 6u);
    EXPECT_EQ(p[0].key, "log.level");
    EXPECT_EQ(p[0].source, "--log-level");
    EXPECT_EQ(p[0].value, "loud");
    EXPECT_NE(p[0].message.find("trace debug info"), std::string::npos);
    EXPECT_EQ(p[1].source, "HERALD_HISTORY_SIZE");
    EXPECT_NE(p[2].message.find("out of range"), std::string::npos) << p[2].message;
    EXPECT_EQ(c.log_level, before.log_level);  // nothing bad is applied
    EXPECT_EQ(c.history.size, before.history.size);
    EXPECT_EQ(format_problem(p[1]), "HERALD_HISTORY_SIZE: history.size: got lots: " + p[1].message);
}

TEST(Options, JsonFileNestsKeysAndReportsEveryProblem) {
    config c;
    std::vector<problem> p;
    apply_json(c,
               json::parse(R"({"public":"127.0.0.1:1","log":{"level":"warn","colour":"red"},"limits":{"max_body_bytes":"x",
                               "outbox_bytes":4096},"history":{"ttl":"1h","size":-1},"auth":{"api_key":["a",3],"jwt_secret":7},
                               "extra":1,"threads":"2"})"),
               "f.json", p);
    EXPECT_EQ(c.public_address, "127.0.0.1:1");
    EXPECT_EQ(c.log_level, "warn");
    EXPECT_EQ(c.limits.outbox_bytes, 4096u);
    EXPECT_EQ(c.history.ttl_ms, 3600000);
    EXPECT_EQ(c.threads, 2u);  // a number given as a string is fine
    std::set<std::string> keys;
    for (const auto& x : p) {
        keys.insert(x.key);
        EXPECT_EQ(x.source, "f.json");
    }
    EXPECT_EQ(keys, (std::set<std::string>{"log.colour", "limits.max_body_bytes", "history.size", "auth.api_key",
                                           "auth.jwt_secret", "extra"}));
    for (const auto& x : p)
        if (x.key.rfind("auth.", 0) == 0) {
            EXPECT_EQ(x.value, "***") << "secrets are never shown";
        }
}

TEST(Options, ATopLevelThatIsNotAnObjectIsOneProblem) {
    config c;
    std::vector<problem> p;
    apply_json(c, json::parse("[1,2]"), "f.json", p);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NE(p[0].message.find("object"), std::string::npos);
}

TEST(Options, ALaterLayerReplacesAListWhole) {
    config c;
    std::vector<problem> p;
    apply_json(c, json::parse(R"({"auth":{"public_channels":["a","b"]}})"), "f", p);
    clear_list(c, spec("auth.public_channels"));
    set_from_text(c, spec("auth.public_channels"), "c", "--public-channels", p);
    EXPECT_EQ(c.auth.public_channels, (std::vector<std::string>{"c"}));
}

TEST(Options, ValidateChecksAcrossSettings) {
    config c;
    std::vector<problem> p;
    validate(c, p);
    EXPECT_TRUE(p.empty()) << format_problem(p[0]);
    c.shutdown.drain_window_ms = c.shutdown.timeout_ms;
    c.limits.max_event_bytes = c.limits.max_body_bytes + 1;
    c.history.max_bytes = 4 * c.limits.max_body_bytes;  // still holds one event: not a problem here
    c.broker = "etcd";
    validate(c, p);
    std::set<std::string> keys;
    for (const auto& x : p) keys.insert(x.key);
    EXPECT_EQ(keys, (std::set<std::string>{"shutdown.drain_window", "limits.max_event_bytes", "broker"}));
}

TEST(Options, ShowValueMasksSecrets) {
    config c;
    c.auth.api_keys = {"k1", "k2"};
    c.auth.public_channels = {"a", "b.*"};
    EXPECT_EQ(show_value(c, spec("auth.api_key")), "*** (2)");
    EXPECT_EQ(show_value(c, spec("auth.public_channels")), "a,b.*");
    EXPECT_EQ(show_value(c, spec("auth.jwt_secret")), "(none)");
    EXPECT_EQ(show_value(c, spec("limits.max_body_bytes")), "1048576");
}

// Found by fuzz/config_fuzz: the mask stopped at the first '@', so a password holding '@'
// ("p@ss") showed its tail ("redis://user:***@ss@host...").
TEST(Options, ShowValueMasksAWholeBrokerPasswordHoldingAt) {
    config c;
    c.broker = "redis://user:p@ss@host:6379/0";
    EXPECT_EQ(show_value(c, spec("broker")), "redis://user:***@host:6379/0");
    c.broker = "redis://:s3cr@t@h:1/2";
    EXPECT_EQ(show_value(c, spec("broker")), "redis://:***@h:1/2");
    c.broker = "redis://h:1";
    EXPECT_EQ(show_value(c, spec("broker")), "redis://h:1");
}

TEST(Options, TheReferenceNamesEveryOption) {
    const auto md = render_markdown();
    for (const auto& o : options()) {
        EXPECT_NE(md.find("`" + std::string(o.key) + "`"), std::string::npos) << o.key;
        EXPECT_NE(md.find("`--" + std::string(o.flag) + "`"), std::string::npos) << o.flag;
        EXPECT_NE(md.find("`" + std::string(o.env) + "`"), std::string::npos) << o.env;
    }
}

}  // namespace
}  // namespace herald::config

namespace herald::config {
namespace {

TEST(Options, CookieAuthNeedsAnAllowListOfOrigins) {
    config c;
    c.auth.token_cookie = "herald_token";
    std::vector<problem> problems;
    validate(c, problems);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].key, "auth.token_cookie");
    EXPECT_NE(problems[0].message.find("auth.allowed_origins"), std::string::npos);
    EXPECT_NE(problems[0].message.find("--allowed-origin"), std::string::npos);
    c.auth.allowed_origins = {"https://app.example.com", "http://localhost:3000", "http://[::1]:8080"};
    problems.clear();
    validate(c, problems);
    EXPECT_TRUE(problems.empty()) << format_problem(problems[0]);
}

TEST(Options, AllowedOriginsMustBeOrigins) {
    for (const char* bad : {"*", "app.example.com", "https://app.example.com/", "https://app.example.com/path",
                            "ftp://x", "https://", "https://a:99999999", "null", "https://*.example.com"}) {
        config c;
        c.auth.allowed_origins = {bad};
        std::vector<problem> problems;
        validate(c, problems);
        ASSERT_EQ(problems.size(), 1u) << bad;
        EXPECT_EQ(problems[0].key, "auth.allowed_origins");
        EXPECT_EQ(problems[0].value, bad);
    }
}

TEST(Options, ShowValueMasksAPasswordWithoutAColon) {
    config c;
    c.broker = "redis://p@ss@host:6379";
    std::vector<problem> problems;
    validate(c, problems);
    EXPECT_EQ(show_value(c, *find_option("broker")), "redis://***@host:6379");
}

}  // namespace
}  // namespace herald::config
