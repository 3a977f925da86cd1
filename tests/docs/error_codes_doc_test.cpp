// docs/api.md lists exactly the error catalog of lib/model/error.hpp: every code with its status
// and when it is answered, and no code the catalog lacks.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "lib/model/error.hpp"

namespace herald::model {
namespace {

std::string api_doc() {
    std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/docs/api.md");
    EXPECT_TRUE(in) << "cannot open docs/api.md";
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(ErrorCodesDoc, ListsEveryCatalogCodeWithItsStatusAndWhen) {
    auto doc = api_doc();
    for (const auto& k : error_kinds::all) {
        std::string row = "\n| `" + std::string(k.code) + "` | " + std::to_string(k.status) + " | " +
                          std::string(k.when) + " |\n";
        EXPECT_NE(doc.find(row), std::string::npos) << "docs/api.md lacks the row" << row;
    }
}

TEST(ErrorCodesDoc, ListsNoCodeTheCatalogLacks) {
    auto doc = api_doc();
    std::set<std::string> known;
    for (const auto& k : error_kinds::all) known.insert(std::string(k.code));
    std::regex row(R"(\n\| `([a-z_]+)` \| (\d{3}) \|)");
    std::size_t rows = 0;
    for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it, ++rows)
        EXPECT_TRUE(known.count((*it)[1])) << "docs/api.md lists " << (*it)[1] << ", not in the catalog";
    EXPECT_EQ(rows, error_kinds::all.size()) << "docs/api.md should list each code once";
}

}  // namespace
}  // namespace herald::model
