// presence/webhook_signature: the header format, a known HMAC-SHA256 value (computed independently
// with `openssl dgst`), verification with the right secret, and refusals: another secret, another
// body, a stale or future timestamp, malformed headers; several v1 values (rotation).
#include "lib/presence/webhook_signature.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace herald::presence {
namespace {

TEST(WebhookSignature, KnownValue) {
    // printf '1733500000.{"events":[]}' | openssl dgst -sha256 -hmac s3cret
    EXPECT_EQ(sign_webhook("s3cret", 1733500000, R"({"events":[]})"),
              "t=1733500000,v1=82bb0524e6e617b1552f3a3b54ea3c7634d55a065f870a22f0bcf2375aca70a0");
}

TEST(WebhookSignature, VerifiesWithTheSecretOnly) {
    const std::string body = R"({"events":[{"id":"n-1"}]})";
    const auto header = sign_webhook("s3cret", 1000, body);
    EXPECT_EQ(verify_webhook("s3cret", header, body, 1000, 300), signature_check::valid);
    EXPECT_EQ(verify_webhook("other", header, body, 1000, 300), signature_check::mismatch);
    EXPECT_EQ(verify_webhook("s3cret", header, body + " ", 1000, 300), signature_check::mismatch);
    EXPECT_EQ(verify_webhook("", header, body, 1000, 300), signature_check::mismatch);
}

TEST(WebhookSignature, TimestampOutsideToleranceIsRefused) {
    const auto header = sign_webhook("k", 1000, "b");
    EXPECT_EQ(verify_webhook("k", header, "b", 1300, 300), signature_check::valid);
    EXPECT_EQ(verify_webhook("k", header, "b", 1301, 300), signature_check::too_old);
    EXPECT_EQ(verify_webhook("k", header, "b", 699, 300), signature_check::too_old);
}

TEST(WebhookSignature, ChangedTimestampDoesNotVerify) {
    auto header = sign_webhook("k", 1000, "b");
    header.replace(2, 4, "1001");
    EXPECT_EQ(verify_webhook("k", header, "b", 1001, 300), signature_check::mismatch);
}

TEST(WebhookSignature, MalformedHeadersAreRefused) {
    const auto good = sign_webhook("k", 1000, "b");
    const std::string v1 = good.substr(good.find("v1="));
    for (const std::string& h : std::vector<std::string>{"", "t=1000", v1, "t=," + v1, "t=-5," + v1, "t=1e3," + v1,
                          "t=1000,t=1000," + v1, "t=1000,v1=" + std::string(64, 'G'), "t=1000,v1=ABC",
                          "t=1000," + v1 + "x", "garbage", "t=1000,," + v1, "t=99999999999999999999," + v1,
                          std::string(5000, 'a')})
        EXPECT_EQ(verify_webhook("k", h, "b", 1000, 300), signature_check::malformed) << h;
    // Upper-case hex is not what herald sends.
    std::string upper = good;
    for (std::size_t i = good.find("v1=") + 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    EXPECT_NE(verify_webhook("k", upper, "b", 1000, 300), signature_check::valid);
}

TEST(WebhookSignature, AnyOfSeveralV1ValuesMayMatch) {
    const auto old_secret = sign_webhook("old", 1000, "b");
    const auto new_secret = sign_webhook("new", 1000, "b");
    const std::string both = old_secret + "," + new_secret.substr(new_secret.find("v1="));
    EXPECT_EQ(verify_webhook("new", both, "b", 1000, 300), signature_check::valid);
    EXPECT_EQ(verify_webhook("old", both, "b", 1000, 300), signature_check::valid);
    EXPECT_EQ(verify_webhook("neither", both, "b", 1000, 300), signature_check::mismatch);
    EXPECT_EQ(verify_webhook("new", both + ",v0=whatever", "b", 1000, 300), signature_check::valid);
}

}  // namespace
}  // namespace herald::presence
