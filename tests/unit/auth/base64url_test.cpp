// auth/base64url: unpadded base64url against RFC 4648 §10, RFC 7515 Appendix C and the RFC 7519 §3.1
// example, round trips of every byte value and length, and strict decoding that refuses padding,
// characters outside the alphabet, impossible lengths and non-canonical trailing bits.
#include "lib/auth/base64url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/auth/test_keys.hpp"

namespace herald::auth {
namespace {

const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(Base64Url, Rfc4648Section10VectorsWithoutPadding) {
    const std::vector<std::pair<std::string, std::string>> vectors = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64url_encode(plain), encoded) << plain;
        auto back = base64url_decode(encoded);
        ASSERT_TRUE(back) << encoded;
        EXPECT_EQ(*back, plain) << encoded;
    }
}

TEST(Base64Url, Rfc7515AppendixCUsesTheUrlSafeAlphabet) {
    const std::string octets = {'\x03', '\xec', '\xff', '\xe0', '\xc1'};  // [3, 236, 255, 224, 193]
    EXPECT_EQ(base64url_encode(octets), "A-z_4ME");
    auto back = base64url_decode("A-z_4ME");
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, octets);
}

TEST(Base64Url, Rfc7519Section31HeaderAndClaimsEncodeAsInTheRfc) {
    // RFC 7519 §3.1 (the same header and claims as RFC 7515 A.1), CRLFs included.
    EXPECT_EQ(base64url_encode(test_keys::rfc7515_a1_header), "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
    EXPECT_EQ(base64url_encode(test_keys::rfc7515_payload), test_keys::rfc7515_payload_b64);
    auto claims = base64url_decode(test_keys::rfc7515_payload_b64);
    ASSERT_TRUE(claims);
    EXPECT_EQ(*claims, test_keys::rfc7515_payload);
}

TEST(Base64Url, DecodesTheRfc7515A1HmacKey) {
    auto key = base64url_decode(test_keys::rfc7515_a1_jwk_k);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->size(), 64u);
    EXPECT_EQ(base64url_encode(*key), test_keys::rfc7515_a1_jwk_k);
}

TEST(Base64Url, UsesDashAndUnderscoreNeverPlusSlashOrPadding) {
    EXPECT_EQ(base64url_encode(std::string(3, '\xff')), "____");
    EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf")), "-_-_");  // 62 63 62 63
    EXPECT_EQ(base64url_encode(std::string(1, '\xff')), "_w");
    EXPECT_EQ(base64url_encode(std::string(2, '\xff')), "__8");
    for (int len = 0; len < 70; ++len) {
        std::string bytes;
        for (int i = 0; i < len; ++i) bytes += static_cast<char>(0xf8 + i % 8);
        const auto text = base64url_encode(bytes);
        EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << text;
        EXPECT_EQ(text.size(), (static_cast<std::size_t>(len) * 4 + 2) / 3) << len;  // unpadded length
    }
}

TEST(Base64Url, RoundTripsEveryByteValueAndEveryLength) {
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    for (std::size_t len = 0; len <= all.size(); ++len) {
        const auto bytes = all.substr(all.size() - len);  // ends in 0xff, starts anywhere
        const auto text = base64url_encode(bytes);
        auto back = base64url_decode(text);
        ASSERT_TRUE(back) << "length " << len;
        EXPECT_EQ(*back, bytes) << "length " << len;
    }
    const std::string zeros(7, '\0');  // embedded NULs survive
    auto back = base64url_decode(base64url_encode(zeros));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, zeros);
}

TEST(Base64Url, DecodesEmptyTextToEmptyBytes) {
    auto empty = base64url_decode("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(Base64Url, RefusesPadding) {
    for (const std::string& bad :
         std::vector<std::string>{"Zg==", "Zg=", "Zm8=", "Zm9vYg==", "=", "====", "Zm9v===="}) {
        EXPECT_FALSE(base64url_decode(bad)) << bad;
    }
}

TEST(Base64Url, RefusesCharactersOutsideTheAlphabet) {
    // The standard alphabet's '+' and '/', whitespace, '.', NUL and non-ASCII bytes.
    for (const std::string& bad :
         std::vector<std::string>{"Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9v\n", " Zm9v", "Zm9v\t", "Zm.9", "Zm*v", "Zm9v%3D",
                                  std::string("Zm\0v", 4), std::string("Zm\xc3\xa9v")}) {
        EXPECT_FALSE(base64url_decode(bad)) << bad;
    }
    // Every other byte value in an otherwise valid 4-character group.
    for (int c = 0; c < 256; ++c) {
        if (alphabet.find(static_cast<char>(c)) != std::string::npos) continue;
        std::string text = "Zm9v";
        text[1] = static_cast<char>(c);
        EXPECT_FALSE(base64url_decode(text)) << "byte " << c;
    }
}

TEST(Base64Url, RefusesLengthsNoEncodingProduces) {
    for (const std::string& bad :
         std::vector<std::string>{"A", "Zm9vY", "Zm9vYmFyZ", "AAAAAAAAA"}) {  // length % 4 == 1
        EXPECT_FALSE(base64url_decode(bad)) << bad;
    }
}

TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
    // "Zg" is 'f'; "Zh".."Zv" carry the same byte with stray low bits set.
    EXPECT_TRUE(base64url_decode("Zg"));
    for (const std::string& bad : std::vector<std::string>{"Zh", "Zi", "Zj", "Zk", "Zv", "Z_", "Zm9", "Zm-", "Zm_"}) {
        EXPECT_FALSE(base64url_decode(bad)) << bad;
    }
    EXPECT_TRUE(base64url_decode("Zm8"));
    // Two-character tails: only the 16 characters with the low 4 bits clear are canonical;
    // three-character tails: only the 16 with the low 2 bits clear.
    int canonical2 = 0, canonical3 = 0;
    for (char c : alphabet) {
        if (base64url_decode(std::string("Z") + c)) ++canonical2;
        if (base64url_decode(std::string("Zm") + c)) ++canonical3;
    }
    EXPECT_EQ(canonical2, 4);   // 'A', 'Q', 'g', 'w'
    EXPECT_EQ(canonical3, 16);  // A E I M Q U Y c g k o s w 0 4 8
}

TEST(Base64Url, EveryCanonicalTextDecodesToBytesThatEncodeBackToIt) {
    // Exhaustive over two- and three-character texts: decode succeeds exactly for canonical input.
    for (char a : alphabet)
        for (char b : alphabet) {
            const std::string text = {a, b};
            auto bytes = base64url_decode(text);
            if (bytes) {
                EXPECT_EQ(bytes->size(), 1u);
                EXPECT_EQ(base64url_encode(*bytes), text);
            }
        }
    int canonical = 0;
    for (char a : alphabet)
        for (char b : alphabet) canonical += base64url_decode(std::string{a, b}) ? 1 : 0;
    EXPECT_EQ(canonical, 256);  // one text for each byte value
}

TEST(Base64Url, DecodingIsExactlyTheInverseOfEncodingForThreeCharacterTexts) {
    int canonical = 0;
    for (char a : alphabet)
        for (char b : alphabet)
            for (char c : alphabet) {
                const std::string text = {a, b, c};
                auto bytes = base64url_decode(text);
                if (!bytes) continue;
                ++canonical;
                ASSERT_EQ(bytes->size(), 2u) << text;
                ASSERT_EQ(base64url_encode(*bytes), text);
            }
    EXPECT_EQ(canonical, 65536);  // one text for each of the 2^16 two-byte strings
}

}  // namespace
}  // namespace herald::auth
