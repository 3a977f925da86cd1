// docs/close-codes.md lists exactly the disconnect catalog of lib/model/disconnect.hpp:
// every code with its name, reason and whether to reconnect, and no code the catalog lacks.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "lib/model/disconnect.hpp"

namespace herald::model {
namespace {

std::string close_codes_doc() {
    std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/docs/close-codes.md");
    EXPECT_TRUE(in) << "cannot open docs/close-codes.md";
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(CloseCodesDoc, ListsEveryCatalogEntryWithItsReasonAndAdvice) {
    auto doc = close_codes_doc();
    for (const auto& d : disconnects::all) {
        std::string row = "| " + std::to_string(d.code) + " | `" + std::string(d.name) + "` | " + std::string(d.reason) +
                          " | " + (d.reconnect ? "yes" : "no") + " |";
        EXPECT_NE(doc.find(row), std::string::npos) << "docs/close-codes.md lacks the row starting " << row;
    }
}

TEST(CloseCodesDoc, ListsNoCodeTheCatalogLacks) {
    auto doc = close_codes_doc();
    std::set<int> known;
    for (const auto& d : disconnects::all) known.insert(d.code);
    std::regex row(R"(\n\| (\d{4}) \|)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it)
        EXPECT_TRUE(known.count(std::stoi((*it)[1]))) << "docs/close-codes.md lists " << (*it)[1] << ", not in the catalog";
}

}  // namespace
}  // namespace herald::model
