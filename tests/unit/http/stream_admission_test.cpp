// http/stream_admission: who subscribes (token from ?token=, Authorization or the cookie; a
// cookie only from a listed Origin; the internal listener trusted), the channel list (validated,
// sorted, unique, capped; SSE adds user:<sub>), since= and Last-Event-ID (newer wins, a bad one
// is bad_cursor), envelope, which refusals are auth refusals, and WebSocket close codes.
#include "lib/http/stream_admission.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "lib/auth/jwt.hpp"
#include "lib/protocol/cursor.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/unit/auth/test_keys.hpp"

namespace herald::http {
namespace {

using nlohmann::json;
using strings = std::vector<std::string>;

constexpr std::int64_t now_ms = 1'700'000'000'000;
constexpr std::int64_t now_s = now_ms / 1000;

class StreamAdmission : public ::testing::Test {
protected:
    StreamAdmission() {
        auth::policy_config pc;
        pc.keys.add_secret("secret", "secret #1");
        pc.public_patterns = {"public.*"};
        access.emplace(std::move(pc), clock);
        cfg.limits.max_channels_per_connection = 3;
        cfg.auth.token_cookie = "herald_token";
        cfg.auth.allowed_origins = {"https://app.example"};
    }

    static std::string token(const json& payload) {
        auto t = auth::sign_jwt(auth::info(auth::jwt_alg::hs256), auth::test_keys::secret_key("secret"), payload, "");
        if (!t) throw std::runtime_error(t.err().message);
        return *t;
    }
    static std::string alice() {
        return token(json{{"sub", "alice"}, {"channels", {"news", "sports"}}, {"exp", now_s + 60}});
    }

    stream_request at(std::string_view target) const {
        stream_request r;
        auto t = parse_target(target);
        if (!t) throw std::runtime_error("bad target");
        r.target = std::move(*t);
        return r;
    }
    std::variant<sse_admission, stream_refusal> sse(const stream_request& r) const {
        return admit_sse(r, cfg, *access);
    }
    std::variant<ws_admission, stream_refusal> ws(const stream_request& r) const { return admit_ws(r, cfg, *access); }

    test::manual_clock clock{now_ms};
    std::optional<auth::access_policy> access;
    config::config cfg;
};

// By value: the decision passed in is usually a temporary.
sse_admission admitted(const std::variant<sse_admission, stream_refusal>& d) {
    if (const auto* r = std::get_if<stream_refusal>(&d)) throw std::runtime_error("refused: " + r->error.code);
    return std::get<sse_admission>(d);
}
ws_admission admitted(const std::variant<ws_admission, stream_refusal>& d) {
    if (const auto* r = std::get_if<stream_refusal>(&d)) throw std::runtime_error("refused: " + r->error.code);
    return std::get<ws_admission>(d);
}
template <typename D>
stream_refusal refused(const D& d) {
    if (const auto* r = std::get_if<stream_refusal>(&d)) return *r;
    throw std::runtime_error("admitted");
}

// ---- who subscribes ------------------------------------------------------------------------------

TEST_F(StreamAdmission, TokenFromQueryAuthorizationOrCookie) {
    const auto t = alice();
    auto q = at("/v1/sse?token=" + t);
    auto h = at("/v1/sse");
    const std::string bearer = "Bearer " + t;
    h.authorization = bearer;
    auto c = at("/v1/sse");
    const std::string cookie = "herald_token=" + t;
    c.cookie = cookie;
    for (const auto* r : {&q, &h, &c}) {
        auto who = stream_subscriber(*r, cfg, *access);
        ASSERT_TRUE(who);
        EXPECT_TRUE(who->authenticated);
        EXPECT_EQ(who->sub, "alice");
    }
}

TEST_F(StreamAdmission, NoTokenIsAnonymousAndABadOneIsRefused) {
    auto anon = stream_subscriber(at("/v1/sse"), cfg, *access);
    ASSERT_TRUE(anon);
    EXPECT_FALSE(anon->authenticated);
    auto bad = stream_subscriber(at("/v1/sse?token=garbage"), cfg, *access);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.err().code, "invalid_token");
}

TEST_F(StreamAdmission, ACookieNeedsAListedOriginOrNone) {
    auto r = at("/v1/sse");
    const std::string cookie = "herald_token=" + alice();
    r.cookie = cookie;
    r.origin = "https://evil.example";
    auto evil = stream_subscriber(r, cfg, *access);
    ASSERT_FALSE(evil);
    EXPECT_EQ(evil.err().code, "origin_not_allowed");
    r.origin = "https://app.example";
    EXPECT_TRUE(stream_subscriber(r, cfg, *access));
    r.origin = "";  // same-origin, or not a browser page
    EXPECT_TRUE(stream_subscriber(r, cfg, *access));
    // The Origin matters only for the ambient cookie.
    auto q = at("/v1/sse?token=" + alice());
    q.origin = "https://evil.example";
    EXPECT_TRUE(stream_subscriber(q, cfg, *access));
}

TEST_F(StreamAdmission, TheInternalListenerIsTrustedWhateverItSends) {
    auto r = at("/v1/sse?token=garbage&channel=private.x");
    r.listener = listener_kind::internal_listener;
    auto who = stream_subscriber(r, cfg, *access);
    ASSERT_TRUE(who);
    EXPECT_TRUE(who->trusted);
    const auto a = admitted(sse(r));
    EXPECT_EQ(a.channels, (strings{"private.x"}));
    EXPECT_EQ(a.user, "");
}

// ---- SSE -----------------------------------------------------------------------------------------

TEST_F(StreamAdmission, SseChannelsAreSortedUniqueWithThePersonalChannel) {
    const auto a = admitted(sse(at("/v1/sse?channel=sports&channel=news&channel=sports&token=" + alice())));
    EXPECT_EQ(a.channels, (strings{"news", "sports", "user:alice"}));
    EXPECT_EQ(a.user, "alice");
    EXPECT_EQ(a.exp_ms, (now_s + 60) * 1000);
    EXPECT_FALSE(a.envelope);
    EXPECT_EQ(a.since.mode, node::since_mode::live);
    // Named in the query too: once.
    EXPECT_EQ(admitted(sse(at("/v1/sse?channel=user:alice&token=" + alice()))).channels, (strings{"user:alice"}));
}

TEST_F(StreamAdmission, SseWithASubNeedsNoChannel) {
    EXPECT_EQ(admitted(sse(at("/v1/sse?token=" + alice()))).channels, (strings{"user:alice"}));
    auto r = refused(sse(at("/v1/sse?channel=")));
    EXPECT_EQ(r.error.code, "invalid_channel");
    r = refused(sse(at("/v1/sse")));
    EXPECT_EQ(r.error.code, "missing_channel");
    EXPECT_FALSE(r.auth);
}

TEST_F(StreamAdmission, SseChannelLimitCountsDistinctQueryChannels) {
    const auto three = admitted(sse(at("/v1/sse?channel=public.a&channel=public.b&channel=public.c&channel=public.a")));
    EXPECT_EQ(three.channels, (strings{"public.a", "public.b", "public.c"}));
    auto r = refused(sse(at("/v1/sse?channel=public.a&channel=public.b&channel=public.c&channel=public.d")));
    EXPECT_EQ(r.error.code, "too_many_channels");
    EXPECT_FALSE(r.auth);
}

TEST_F(StreamAdmission, SseAuthRefusalsAreMarked) {
    auto r = refused(sse(at("/v1/sse?channel=news")));
    EXPECT_EQ(r.error.code, "token_required");
    EXPECT_TRUE(r.auth);
    r = refused(sse(at("/v1/sse?channel=weather&token=" + alice())));
    EXPECT_EQ(r.error.code, "forbidden");
    EXPECT_TRUE(r.auth);
    r = refused(sse(at("/v1/sse?channel=news&token=bad")));
    EXPECT_EQ(r.error.code, "invalid_token");
    EXPECT_TRUE(r.auth);
}

TEST_F(StreamAdmission, SseChecksRunInOrder) {
    // A bad token wins over a bad channel; a bad channel over a channel not granted.
    EXPECT_EQ(refused(sse(at("/v1/sse?channel=a%20b&token=bad"))).error.code, "invalid_token");
    EXPECT_EQ(refused(sse(at("/v1/sse?channel=a%20b&channel=weather&token=" + alice()))).error.code, "invalid_channel");
    EXPECT_EQ(refused(sse(at("/v1/sse?channel=weather&envelope=xml&token=" + alice()))).error.code, "forbidden");
    EXPECT_EQ(refused(sse(at("/v1/sse?channel=public.a&envelope=xml&since=zz"))).error.code, "invalid_envelope");
}

TEST_F(StreamAdmission, SseEnvelope) {
    EXPECT_TRUE(admitted(sse(at("/v1/sse?channel=public.a&envelope=json"))).envelope);
    EXPECT_FALSE(admitted(sse(at("/v1/sse?channel=public.a&envelope=none"))).envelope);
    auto r = refused(sse(at("/v1/sse?channel=public.a&envelope=xml")));
    EXPECT_EQ(r.error.code, "invalid_envelope");
    EXPECT_EQ(r.error.status, 400);
}

TEST_F(StreamAdmission, SseSinceAndLastEventId) {
    EXPECT_EQ(admitted(sse(at("/v1/sse?channel=public.a&since=earliest"))).since.mode, node::since_mode::earliest);
    auto r = refused(sse(at("/v1/sse?channel=public.a&since=zz")));
    EXPECT_EQ(r.error.code, "invalid_cursor");
    EXPECT_FALSE(r.auth);

    const auto cursor = protocol::encode_cursor({protocol::names_fingerprint({"public.a"}), 7, {5}});
    auto req = at("/v1/sse?channel=public.a&since=earliest");
    req.last_event_id = cursor;  // the newer position wins over the URL's since=
    auto a = admitted(sse(req));
    EXPECT_EQ(a.since.mode, node::since_mode::cursor);
    EXPECT_EQ(a.since.cursor.offsets, (std::vector<std::uint64_t>{5}));

    req.last_event_id = "not-a-cursor";  // opens, and the session sends herald.reset
    EXPECT_EQ(admitted(sse(req)).since.mode, node::since_mode::bad_cursor);
    auto bad_url = at("/v1/sse?channel=public.a&since=zz");
    bad_url.last_event_id = cursor;  // since= is still checked
    EXPECT_EQ(refused(sse(bad_url)).error.code, "invalid_cursor");
}

// ---- WebSocket -----------------------------------------------------------------------------------

TEST_F(StreamAdmission, WsChannelsAreOptionalAndGetNoPersonalChannel) {
    const auto a = admitted(ws(at("/v1/ws?token=" + alice())));
    EXPECT_TRUE(a.channels.empty());
    EXPECT_FALSE(a.refusal);
    EXPECT_EQ(a.who.sub, "alice");
    EXPECT_EQ(admitted(ws(at("/v1/ws?channel=sports&channel=news&channel=news&token=" + alice()))).channels,
              (strings{"news", "sports"}));
}

TEST_F(StreamAdmission, WsChannelErrorsAre400BeforeTheUpgrade) {
    auto r = refused(ws(at("/v1/ws?channel=a%20b")));
    EXPECT_EQ(r.error.code, "invalid_channel");
    EXPECT_FALSE(r.auth);
    EXPECT_EQ(refused(ws(at("/v1/ws?channel=a&channel=b&channel=c&channel=d&token=bad"))).error.code,
              "too_many_channels");
}

TEST_F(StreamAdmission, WsAuthRefusalsUpgradeAndCloseWithACode) {
    auto a = admitted(ws(at("/v1/ws?channel=news&token=bad&since=zz")));
    ASSERT_TRUE(a.refusal);
    EXPECT_EQ(a.refusal->close.code, model::disconnects::forbidden.code);
    EXPECT_EQ(a.refusal->error.code, "invalid_token");
    EXPECT_TRUE(a.channels.empty());
    EXPECT_FALSE(a.who.authenticated);

    a = admitted(ws(at("/v1/ws?channel=weather&token=" + alice())));
    ASSERT_TRUE(a.refusal);
    EXPECT_EQ(a.refusal->close.code, model::disconnects::forbidden.code);
    EXPECT_EQ(a.refusal->error.code, "forbidden");
    EXPECT_TRUE(a.channels.empty());

    a = admitted(ws(at("/v1/ws?channel=news")));
    ASSERT_TRUE(a.refusal);
    EXPECT_EQ(a.refusal->close.code, model::disconnects::forbidden.code);
    EXPECT_EQ(a.refusal->error.code, "token_required");

    clock.set(now_ms + 61'000);
    a = admitted(ws(at("/v1/ws?token=" + alice())));
    ASSERT_TRUE(a.refusal);
    EXPECT_EQ(a.refusal->close.code, model::disconnects::token_expired.code);

    auto r = at("/v1/ws");
    const std::string cookie = "herald_token=whatever";
    r.cookie = cookie;
    r.origin = "https://evil.example";
    a = admitted(ws(r));
    ASSERT_TRUE(a.refusal);
    EXPECT_EQ(a.refusal->close.code, model::disconnects::origin_not_allowed.code);
}

TEST_F(StreamAdmission, WsSince) {
    EXPECT_EQ(admitted(ws(at("/v1/ws?channel=public.a&since=earliest"))).since.mode, node::since_mode::earliest);
    auto r = refused(ws(at("/v1/ws?since=earliest")));
    EXPECT_EQ(r.error.code, "bad_request");
    EXPECT_FALSE(r.auth);
    EXPECT_EQ(refused(ws(at("/v1/ws?since=zz"))).error.code, "bad_request");  // no channel= comes first
    EXPECT_EQ(refused(ws(at("/v1/ws?channel=public.a&since=zz"))).error.code, "invalid_cursor");
    auto ignored = at("/v1/ws?channel=public.a&since=earliest");
    ignored.last_event_id = "not-a-cursor";  // SSE only
    EXPECT_EQ(admitted(ws(ignored)).since.mode, node::since_mode::earliest);
}

TEST(WsRefusalClose, MapsCodesToCloseCodes) {
    EXPECT_EQ(ws_refusal_close(model::errors::token_expired(0, 1)).code, 4002);
    EXPECT_EQ(ws_refusal_close(model::errors::origin_not_allowed("o")).code, 4103);
    EXPECT_EQ(ws_refusal_close(model::errors::invalid_token("x")).code, 4100);
    EXPECT_EQ(ws_refusal_close(model::errors::token_required("news")).code, 4100);
    EXPECT_EQ(ws_refusal_close(model::errors::forbidden_channel("news")).code, 4100);
    EXPECT_EQ(ws_refusal_close(model::errors::auth_not_configured()).code, 4100);
}

}  // namespace
}  // namespace herald::http
