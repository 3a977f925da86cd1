// auth/access_policy: open mode (no keys: every channel, a presented token refused), public
// patterns for anonymous subscribers, token channel grants, user:<sub> readable only by that sub
// whatever the token's channels say, trusted identities, subs that cannot name a channel, token
// time checked against the policy's clock, and API keys for the internal listener.
#include "lib/auth/access_policy.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/manual_clock.hpp"
#include "tests/unit/auth/test_keys.hpp"

namespace herald::auth {
namespace {

using nlohmann::json;

constexpr std::int64_t start_ms = 1'700'000'000'000;
constexpr std::int64_t start_s = start_ms / 1000;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string token(const json& payload, const std::string& secret = "secret") {
    auto t = sign_jwt(info(jwt_alg::hs256), test_keys::secret_key(secret), payload, "");
    if (!t) throw std::runtime_error(t.err().message);
    return *t;
}

void expect_error(const std::optional<model::error>& e, std::string_view code, int status,
                  std::string_view in_message) {
    ASSERT_TRUE(e) << "expected " << code;
    EXPECT_EQ(e->code, code) << e->message;
    EXPECT_EQ(e->status, status);
    EXPECT_TRUE(contains(e->message, in_message)) << "'" << in_message << "' not in: " << e->message;
    EXPECT_FALSE(e->hint.empty());
}

class AccessPolicy : public ::testing::Test {
protected:
    access_policy make(std::vector<std::string> public_patterns = {"public.*", "lobby"},
                       std::vector<std::string> api_keys = {}) {
        policy_config cfg;
        cfg.keys.add_secret("secret", "secret #1");
        cfg.public_patterns = std::move(public_patterns);
        cfg.api_keys = std::move(api_keys);
        return access_policy(std::move(cfg), clock);
    }
    identity who(const access_policy& p, const json& payload) {
        auto id = p.authenticate(token(payload));
        if (!id) throw std::runtime_error(id.err().message);
        return *id;
    }

    test::manual_clock clock{start_ms};
};

// ---- open mode ---------------------------------------------------------------------------------

TEST_F(AccessPolicy, WithNoKeysEveryChannelIsOpenToAnyone) {
    access_policy open_policy(policy_config{}, clock);
    EXPECT_TRUE(open_policy.open());
    EXPECT_EQ(open_policy.key_count(), 0u);
    auto anon = open_policy.authenticate(std::nullopt);
    ASSERT_TRUE(anon);
    EXPECT_FALSE(anon->authenticated);
    EXPECT_FALSE(anon->trusted);
    EXPECT_FALSE(anon->sub);
    for (const char* ch : {"news", "stocks.aapl", "user:alice", "private.x"})
        EXPECT_FALSE(open_policy.subscribe_refusal(*anon, ch)) << ch;
}

TEST_F(AccessPolicy, WithNoKeysAPresentedTokenIsRefusedAsUncheckable) {
    access_policy open_policy(policy_config{}, clock);
    for (const std::string& t :
         std::vector<std::string>{token(json{{"sub", "alice"}}), std::string("garbage"), std::string("")}) {
        auto id = open_policy.authenticate(t);
        ASSERT_FALSE(id);
        EXPECT_EQ(id.err().code, "auth_not_configured");
        EXPECT_EQ(id.err().status, 401);
        EXPECT_TRUE(contains(id.err().message, "no key to verify it")) << id.err().message;
    }
}

// ---- anonymous subscribers -----------------------------------------------------------------------

TEST_F(AccessPolicy, WithKeysNoTokenMeansAnonymous) {
    auto p = make();
    EXPECT_FALSE(p.open());
    EXPECT_EQ(p.key_count(), 1u);
    auto anon = p.authenticate(std::nullopt);
    ASSERT_TRUE(anon);
    EXPECT_FALSE(anon->authenticated);
    EXPECT_FALSE(anon->trusted);
    EXPECT_FALSE(anon->sub);
    EXPECT_TRUE(anon->channels.empty());
    EXPECT_EQ(anon->personal_channel(), "");
}

TEST_F(AccessPolicy, AnonymousMayReadPublicPatternsOnly) {
    auto p = make();
    const identity anon{};
    EXPECT_FALSE(p.subscribe_refusal(anon, "public.news"));
    EXPECT_FALSE(p.subscribe_refusal(anon, "public.a.b"));
    EXPECT_FALSE(p.subscribe_refusal(anon, "lobby"));
    for (const char* ch : {"news", "lobby2", "public", "private.x", "xpublic.news"})
        expect_error(p.subscribe_refusal(anon, ch), "token_required", 401,
                     "channel '" + std::string(ch) + "' needs a token");
}

TEST_F(AccessPolicy, AnonymousOnAUserChannelNeedsAToken) {
    auto p = make({"public.*", "user:*", "*"});  // no public pattern opens a user: channel
    const identity anon{};
    EXPECT_FALSE(p.subscribe_refusal(anon, "news"));  // "*" is public here
    expect_error(p.subscribe_refusal(anon, "user:alice"), "token_required", 401, "channel 'user:alice' needs a token");
}

TEST_F(AccessPolicy, APresentedTokenMustVerifyAndIsNeverTreatedAsAnonymous) {
    auto p = make();
    auto forged = p.authenticate(token(json{{"sub", "alice"}}, "wrong secret"));
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.err().code, "invalid_token");
    auto junk = p.authenticate(std::string("junk"));
    ASSERT_FALSE(junk);
    EXPECT_EQ(junk.err().code, "invalid_token");
    auto empty = p.authenticate(std::string(""));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.err().code, "invalid_token");
}

// ---- tokens ------------------------------------------------------------------------------------

TEST_F(AccessPolicy, AVerifiedTokenBecomesAnIdentity) {
    auto p = make();
    auto id = p.authenticate(token(json{{"sub", "alice"}, {"exp", start_s + 60}, {"channels", {"news", "stocks.*"}}}));
    ASSERT_TRUE(id) << id.err().message;
    EXPECT_TRUE(id->authenticated);
    EXPECT_FALSE(id->trusted);
    EXPECT_EQ(id->sub, "alice");
    EXPECT_EQ(id->exp_ms, (start_s + 60) * 1000);
    EXPECT_EQ(id->channels, (std::vector<std::string>{"news", "stocks.*"}));
    EXPECT_EQ(id->personal_channel(), "user:alice");
}

TEST_F(AccessPolicy, TokenChannelPatternsGrantChannels) {
    auto p = make();
    const auto id = who(p, json{{"sub", "alice"}, {"channels", {"news", "stocks.*"}}});
    EXPECT_FALSE(p.subscribe_refusal(id, "news"));
    EXPECT_FALSE(p.subscribe_refusal(id, "stocks.aapl"));
    EXPECT_FALSE(p.subscribe_refusal(id, "public.x"));  // public stays public with a token
    EXPECT_FALSE(p.subscribe_refusal(id, "lobby"));
    for (const char* ch : {"sports", "news2", "stocks", "bonds.x"})
        expect_error(p.subscribe_refusal(id, ch), "forbidden", 403,
                     "the token does not grant channel '" + std::string(ch) + "'");
}

TEST_F(AccessPolicy, ATokenWithoutChannelsGrantsOnlyPublicAndItsOwnChannel) {
    auto p = make();
    const auto id = who(p, json{{"sub", "alice"}});
    EXPECT_FALSE(p.subscribe_refusal(id, "public.x"));
    EXPECT_FALSE(p.subscribe_refusal(id, "user:alice"));
    expect_error(p.subscribe_refusal(id, "news"), "forbidden", 403, "'news'");
}

TEST_F(AccessPolicy, StarGrantsEveryChannelButOtherUsersChannels) {
    auto p = make();
    const auto id = who(p, json{{"sub", "alice"}, {"channels", {"*"}}});
    EXPECT_FALSE(p.subscribe_refusal(id, "anything"));
    EXPECT_FALSE(p.subscribe_refusal(id, "user:alice"));
    expect_error(p.subscribe_refusal(id, "user:bob"), "forbidden", 403, "'user:bob'");
}

// ---- personal channels -------------------------------------------------------------------------

TEST_F(AccessPolicy, AUserChannelIsReadableOnlyByThatSub) {
    auto p = make();
    const auto alice = who(p, json{{"sub", "alice"}});
    const auto bob = who(p, json{{"sub", "bob"}});
    EXPECT_FALSE(p.subscribe_refusal(alice, "user:alice"));
    EXPECT_FALSE(p.subscribe_refusal(bob, "user:bob"));
    auto e = p.subscribe_refusal(bob, "user:alice");
    expect_error(e, "forbidden", 403, "user:alice");
    EXPECT_TRUE(contains(e->hint, "sub")) << e->hint;
    expect_error(p.subscribe_refusal(alice, "user:alice2"), "forbidden", 403, "user:alice2");
    expect_error(p.subscribe_refusal(alice, "user:alic"), "forbidden", 403, "user:alic");
    expect_error(p.subscribe_refusal(alice, "user:"), "forbidden", 403, "user:");
}

TEST_F(AccessPolicy, NoChannelsClaimGrantsAnotherUsersChannel) {
    auto p = make();
    for (const auto& grants : {std::vector<std::string>{"user:*"}, std::vector<std::string>{"*"},
                               std::vector<std::string>{"user:alice"}, std::vector<std::string>{"user:a*", "*"}}) {
        const auto mallory = who(p, json{{"sub", "mallory"}, {"channels", grants}});
        expect_error(p.subscribe_refusal(mallory, "user:alice"), "forbidden", 403, "user:alice");
        EXPECT_FALSE(p.subscribe_refusal(mallory, "user:mallory"));
    }
}

TEST_F(AccessPolicy, ATokenWithoutSubHasNoUserChannel) {
    auto p = make();
    const auto id = who(p, json{{"channels", {"*", "user:*"}}});
    EXPECT_EQ(id.personal_channel(), "");
    expect_error(p.subscribe_refusal(id, "user:alice"), "forbidden", 403, "user:alice");
    expect_error(p.subscribe_refusal(id, "user:"), "forbidden", 403, "user:");
}

TEST_F(AccessPolicy, AnIntegerSubOwnsItsDecimalChannel) {
    auto p = make();
    const auto id = who(p, json{{"sub", 42}});
    EXPECT_EQ(id.personal_channel(), "user:42");
    EXPECT_FALSE(p.subscribe_refusal(id, "user:42"));
    expect_error(p.subscribe_refusal(id, "user:420"), "forbidden", 403, "user:420");
}

TEST_F(AccessPolicy, ASubThatCannotFormAChannelNameIsRefused) {
    auto p = make();
    for (const std::string& sub :
         std::vector<std::string>{"a b", "alice#1", "caf\xc3\xa9", std::string(196, 'a'), "tab\t"}) {
        auto id = p.authenticate(token(json{{"sub", sub}}));
        ASSERT_FALSE(id) << sub;
        EXPECT_EQ(id.err().code, "invalid_token");
        EXPECT_EQ(id.err().status, 401);
        EXPECT_TRUE(contains(id.err().message, "claim 'sub' cannot name a personal channel")) << id.err().message;
    }
    // The longest sub that still fits: "user:" + 195 bytes = 200.
    auto longest = p.authenticate(token(json{{"sub", std::string(195, 'a')}}));
    ASSERT_TRUE(longest) << longest.err().message;
    EXPECT_FALSE(p.subscribe_refusal(*longest, longest->personal_channel()));
    auto odd = p.authenticate(token(json{{"sub", "alice@example.com/x=1:y-z_w.v"}}));
    ASSERT_TRUE(odd) << odd.err().message;
}

TEST_F(AccessPolicy, TrustedIdentitiesMaySubscribeToEverything) {
    auto p = make();
    identity trusted;
    trusted.trusted = true;
    for (const char* ch : {"news", "user:alice", "user:bob", "private.x", "public.x"})
        EXPECT_FALSE(p.subscribe_refusal(trusted, ch)) << ch;
}

TEST_F(AccessPolicy, PersonalChannelIsUserColonSub) {
    identity id;
    EXPECT_EQ(id.personal_channel(), "");
    id.sub = "alice";
    EXPECT_EQ(id.personal_channel(), "user:alice");
    id.sub = "42";
    EXPECT_EQ(id.personal_channel(), "user:42");
    EXPECT_EQ(user_channel_prefix, "user:");
}

// ---- the clock and verify options --------------------------------------------------------------

TEST_F(AccessPolicy, TokenTimesAreCheckedAgainstThePolicyClock) {
    auto p = make();
    const auto t = token(json{{"sub", "alice"}, {"exp", start_s + 60}, {"nbf", start_s + 30}});
    auto early = p.authenticate(t);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.err().code, "token_not_yet_valid");
    clock.advance(25'000);  // within the 5 s nbf leeway
    EXPECT_TRUE(p.authenticate(t));
    clock.advance(34'999);
    EXPECT_TRUE(p.authenticate(t));
    clock.advance(1);  // now == exp
    auto late = p.authenticate(t);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.err().code, "token_expired");
}

TEST_F(AccessPolicy, VerifyOptionsApply) {
    policy_config cfg;
    cfg.keys.add_secret("secret", "secret #1");
    cfg.verify.audience = "herald";
    cfg.verify.issuer = "app";
    access_policy p(std::move(cfg), clock);
    EXPECT_TRUE(p.authenticate(token(json{{"sub", "a"}, {"aud", "herald"}, {"iss", "app"}})));
    auto no_aud = p.authenticate(token(json{{"sub", "a"}, {"iss", "app"}}));
    ASSERT_FALSE(no_aud);
    EXPECT_TRUE(contains(no_aud.err().message, "'aud'")) << no_aud.err().message;
    auto bad_iss = p.authenticate(token(json{{"sub", "a"}, {"aud", "herald"}, {"iss", "other"}}));
    ASSERT_FALSE(bad_iss);
    EXPECT_TRUE(contains(bad_iss.err().message, "'iss'")) << bad_iss.err().message;
}

TEST_F(AccessPolicy, PublicKeysWorkLikeSecrets) {
    policy_config cfg;
    ASSERT_FALSE(cfg.keys.add_pem(test_keys::p256_public_pem, "", "p256.pem"));
    access_policy p(std::move(cfg), clock);
    const auto priv = test_keys::private_key(test_keys::p256_private_pem);
    auto t = sign_jwt(info(jwt_alg::es256), priv, json{{"sub", "alice"}, {"channels", {"news"}}}, "");
    ASSERT_TRUE(t);
    auto id = p.authenticate(*t);
    ASSERT_TRUE(id) << id.err().message;
    EXPECT_FALSE(p.subscribe_refusal(*id, "news"));
    EXPECT_FALSE(p.subscribe_refusal(*id, "user:alice"));
    auto hs = p.authenticate(token(json{{"sub", "alice"}}));  // an HS256 token: no secret configured
    ASSERT_FALSE(hs);
    EXPECT_EQ(hs.err().code, "invalid_token");
}

// ---- API keys ----------------------------------------------------------------------------------

TEST_F(AccessPolicy, WithoutApiKeysTheInternalListenerIsOpen) {
    auto p = make();
    EXPECT_FALSE(p.publisher_keys());
    EXPECT_FALSE(p.check_api_key(std::nullopt));
    EXPECT_FALSE(p.check_api_key(std::string("anything")));
    EXPECT_FALSE(p.check_api_key(std::string("")));
}

TEST_F(AccessPolicy, WithAnApiKeyTheBearerMustBeIt) {
    auto p = make({}, {"k3y-0ne"});
    EXPECT_TRUE(p.publisher_keys());
    expect_error(p.check_api_key(std::nullopt), "api_key_required", 401, "needs an API key");
    for (const std::string& wrong : std::vector<std::string>{"wrong", "", "k3y-0n", "k3y-0ne ", " k3y-0ne", "K3Y-0NE",
                                                             "k3y-0nee", std::string("k3y-0ne\0", 8)})
        expect_error(p.check_api_key(wrong), "invalid_api_key", 401, "not one this gateway accepts");
    EXPECT_FALSE(p.check_api_key(std::string("k3y-0ne")));
}

TEST_F(AccessPolicy, EveryConfiguredApiKeyIsAccepted) {
    auto p = make({}, {"first-key", "second-longer-key"});
    EXPECT_FALSE(p.check_api_key(std::string("first-key")));
    EXPECT_FALSE(p.check_api_key(std::string("second-longer-key")));
    expect_error(p.check_api_key(std::string("third")), "invalid_api_key", 401, "API key");
    expect_error(p.check_api_key(std::string("first-keysecond-longer-key")), "invalid_api_key", 401, "API key");
}

TEST_F(AccessPolicy, ApiKeysAndTokenKeysAreIndependent) {
    // API keys alone leave subscribers open; token keys alone leave the internal listener open.
    policy_config only_api;
    only_api.api_keys = {"k"};
    access_policy p1(std::move(only_api), clock);
    EXPECT_TRUE(p1.open());
    EXPECT_FALSE(p1.subscribe_refusal(identity{}, "news"));
    expect_error(p1.check_api_key(std::nullopt), "api_key_required", 401, "API key");
    auto p2 = make();
    EXPECT_FALSE(p2.check_api_key(std::nullopt));
    // An API key is not a subscriber token.
    auto as_token = make({}, {"k"}).authenticate(std::string("k"));
    ASSERT_FALSE(as_token);
    EXPECT_EQ(as_token.err().code, "invalid_token");
}

}  // namespace
}  // namespace herald::auth
