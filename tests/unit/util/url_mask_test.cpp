// One masking rule for URLs with credentials, matching how the Redis URL parser reads them.
#include "lib/util/url_mask.hpp"

#include <gtest/gtest.h>

namespace herald::util {
namespace {

TEST(UrlMask, MasksThePasswordUpToTheLastAt) {
    EXPECT_EQ(mask_url_credentials("redis://:secret@h:6379/0"), "redis://:***@h:6379/0");
    EXPECT_EQ(mask_url_credentials("redis://user:p@ss:w0rd@h:1"), "redis://user:***@h:1");
    EXPECT_EQ(mask_url_credentials("redis://:a:b:c@h:1"), "redis://:***@h:1");
}

TEST(UrlMask, CredentialsWithoutAColonAreMaskedWhole) {
    // Regression: the old masker looked for ':' after the scheme, found the port's, and showed
    // "redis://p@ss@host:6379" as it was.
    EXPECT_EQ(mask_url_credentials("redis://p@ss@host:6379"), "redis://***@host:6379");
    EXPECT_EQ(mask_url_credentials("redis://secret@host"), "redis://***@host");
}

TEST(UrlMask, UrlsWithoutCredentialsAreUnchanged) {
    EXPECT_EQ(mask_url_credentials("redis://h:1/2"), "redis://h:1/2");
    EXPECT_EQ(mask_url_credentials("memory"), "memory");
    EXPECT_EQ(mask_url_credentials(""), "");
}

}  // namespace
}  // namespace herald::util
