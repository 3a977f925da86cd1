// docs/configuration.md is rendered from the option table (lib/config/options.cpp): this test
// fails when they differ. To regenerate after changing an option:
//   HERALD_UPDATE_DOCS=1 build/tests/docs_tests --gtest_filter='ConfigurationDoc.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lib/config/options.hpp"

namespace herald::config {
namespace {

TEST(ConfigurationDoc, MatchesTheOptionTable) {
    const std::string path = std::string(HERALD_SOURCE_DIR) + "/docs/configuration.md";
    const auto rendered = render_markdown();
    if (std::getenv("HERALD_UPDATE_DOCS")) {
        std::ofstream(path) << rendered;
    }
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot open " << path;
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), rendered) << "docs/configuration.md is out of date; regenerate it with\n"
                                     "  HERALD_UPDATE_DOCS=1 build/tests/docs_tests --gtest_filter='ConfigurationDoc.*'";
}

TEST(ConfigurationDoc, EveryOptionHasAFlagAVariableAndAMeaning) {
    for (const auto& o : options()) {
        EXPECT_FALSE(o.flag.empty()) << o.key;
        EXPECT_EQ(o.env.substr(0, 7), "HERALD_") << o.key;
        EXPECT_FALSE(o.doc.empty()) << o.key;
        EXPECT_NE(o.field, nullptr) << o.key;
    }
}

}  // namespace
}  // namespace herald::config
