// The man page and the bash, zsh and fish completions agree with the CLI as built: every
// subcommand, option and environment variable the binary knows is documented and completed,
// and none of them names an option the binary does not have.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cmd/commands.hpp"

namespace herald::cmd {
namespace {

std::string read_file(const std::string& rel) {
    std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/" + rel);
    EXPECT_TRUE(in) << "cannot open " << rel;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct cli_option {
    std::vector<std::string> longs, shorts;
    std::string env;
};

struct cli_command {
    std::string name;
    std::vector<cli_option> options;
    std::set<std::string> longs;  // every long name, "help" included
};

// Every command that runs something, nested ones as "token create" (groups like "token" only
// hold subcommands and are checked through them).
void walk(CLI::App* app, const std::string& prefix, std::vector<cli_command>& cmds) {
    for (auto* sub : app->get_subcommands({})) {
        const auto name = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
        if (!sub->get_subcommands({}).empty()) {
            walk(sub, name, cmds);
            continue;
        }
        cli_command c;
        c.name = name;
        for (const auto* opt : sub->get_options()) {
            if (opt->get_positional()) continue;
            cli_option o{opt->get_lnames(), opt->get_snames(), opt->get_envname()};
            for (const auto& l : o.longs) c.longs.insert(l);
            if (opt == sub->get_help_ptr()) continue;
            c.options.push_back(std::move(o));
        }
        cmds.push_back(std::move(c));
    }
}

// The CLI as the binary builds it, with streams nobody reads.
struct built_cli {
    std::istringstream in;
    std::ostringstream out, err;
    context ctx{in, out, err};
    CLI::App app{"", "herald"};
    std::vector<std::pair<CLI::App*, runner>> runners;
    built_cli() { build_cli(app, ctx, runners); }
};

std::vector<cli_command> walk_cli() {
    built_cli cli;
    std::vector<cli_command> cmds;
    walk(&cli.app, "", cmds);
    return cmds;
}

std::vector<std::string> words_of(const std::string& name) {
    std::vector<std::string> w;
    std::istringstream ss(name);
    for (std::string x; ss >> x;) w.push_back(x);
    return w;
}

std::string man_escape(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == '-') out += '\\';
        out += ch;
    }
    return out;
}

// The text of the man page's section for one command: from ".SS herald NAME" to the next ".S".
std::string man_section(const std::string& man, const std::string& name) {
    auto start = man.find(".SS herald " + name + "\n");
    if (start == std::string::npos) return {};
    auto end = man.find("\n.S", start + 1);
    return man.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(CliDocs, CommandsHaveHelpWithExamples) {
    built_cli cli;
    auto& app = cli.app;
    EXPECT_NE(app.help().find("Examples:"), std::string::npos);
    for (auto* sub : app.get_subcommands({})) {
        EXPECT_NE(sub->help().find("Examples:"), std::string::npos) << "herald " << sub->get_name() << " --help";
        for (auto* nested : sub->get_subcommands({}))
            EXPECT_NE(nested->help().find("Examples:"), std::string::npos)
                << "herald " << sub->get_name() << " " << nested->get_name() << " --help";
    }
}

TEST(CliDocs, ManPageDocumentsEveryCommandOptionAndVariable) {
    auto man = read_file("man/herald.1");
    for (const auto& c : walk_cli()) {
        auto section = man_section(man, c.name);
        ASSERT_FALSE(section.empty()) << "man/herald.1 has no '.SS herald " << c.name << "' section";
        for (const auto& o : c.options) {
            for (const auto& l : o.longs)
                EXPECT_NE(section.find(man_escape("--" + l)), std::string::npos)
                    << "man/herald.1, herald " << c.name << ": --" << l << " is not documented";
            for (const auto& s : o.shorts)
                EXPECT_NE(section.find(man_escape("-" + s)), std::string::npos)
                    << "man/herald.1, herald " << c.name << ": -" << s << " is not documented";
            if (!o.env.empty()) {
                EXPECT_NE(section.find(o.env), std::string::npos)
                    << "man/herald.1, herald " << c.name << ": " << o.env << " is not named with its flag";
                auto env_section = man.substr(man.find(".SH ENVIRONMENT"));
                EXPECT_NE(env_section.find(o.env), std::string::npos) << o.env << " missing from ENVIRONMENT";
            }
        }
    }
}

TEST(CliDocs, ManPageNamesNoOptionTheCliLacks) {
    auto man = read_file("man/herald.1");
    for (const auto& c : walk_cli()) {
        auto section = man_section(man, c.name);
        std::regex flag(R"(\\-\\-([a-z0-9]+(?:\\-[a-z0-9]+)*))");
        for (std::sregex_iterator it(section.begin(), section.end(), flag), end; it != end; ++it) {
            auto name = std::regex_replace((*it)[1].str(), std::regex(R"(\\-)"), "-");
            EXPECT_TRUE(c.longs.count(name)) << "man/herald.1, herald " << c.name << " documents --" << name
                                             << ", which the CLI does not have";
        }
    }
}

TEST(CliDocs, BashCompletionMatchesTheCli) {
    auto bash = read_file("completions/herald.bash");
    for (const auto& c : walk_cli()) {
        std::smatch list;
        ASSERT_TRUE(std::regex_search(bash, list, std::regex("local commands=\"([^\"]*)\"")));
        const auto w = words_of(c.name);
        EXPECT_NE((" " + list[1].str() + " ").find(" " + w[0] + " "), std::string::npos)
            << "bash does not complete the command " << w[0];
        std::smatch m;
        ASSERT_TRUE(std::regex_search(bash, m, std::regex("\\n\\s*\"?" + c.name + "\"?\\) opts=\"([^\"]*)\"")))
            << "completions/herald.bash has no opts line for " << c.name;
        std::set<std::string> words;
        std::istringstream ws(m[1].str());
        for (std::string w; ws >> w;) words.insert(w);
        for (const auto& o : c.options) {
            for (const auto& l : o.longs) EXPECT_TRUE(words.count("--" + l)) << "bash, " << c.name << ": --" << l;
            for (const auto& s : o.shorts) EXPECT_TRUE(words.count("-" + s)) << "bash, " << c.name << ": -" << s;
        }
        for (const auto& w : words) {
            if (w.rfind("--", 0) == 0) {
                EXPECT_TRUE(c.longs.count(w.substr(2))) << "bash completes " << w << " for " << c.name;
            }
        }
    }
}

TEST(CliDocs, ZshCompletionMatchesTheCli) {
    auto zsh = read_file("completions/_herald");
    for (const auto& c : walk_cli()) {
        // Nested commands have their own case inside their group's: "token)" ... "create)".
        const auto w = words_of(c.name);
        std::size_t start = 0;
        for (const auto& word : w) {
            EXPECT_NE(zsh.find("'" + word + ":", start), std::string::npos) << "zsh does not list " << word;
            start = zsh.find(" " + word + ")", start);
            ASSERT_NE(start, std::string::npos) << "zsh has no case for " << c.name;
        }
        auto end = zsh.find(";;", start);
        auto block = zsh.substr(start, end - start);
        for (const auto& o : c.options) {
            for (const auto& l : o.longs) EXPECT_NE(block.find("--" + l), std::string::npos) << "zsh, " << c.name << ": --" << l;
            for (const auto& s : o.shorts) EXPECT_NE(block.find("-" + s), std::string::npos) << "zsh, " << c.name << ": -" << s;
        }
        std::regex flag(R"(--([a-z0-9-]+)[\[,}])");
        for (std::sregex_iterator it(block.begin(), block.end(), flag), e; it != e; ++it)
            EXPECT_TRUE(c.longs.count((*it)[1].str())) << "zsh completes --" << (*it)[1] << " for " << c.name;
    }
}

TEST(CliDocs, FishCompletionMatchesTheCli) {
    auto fish = read_file("completions/herald.fish");
    for (const auto& c : walk_cli()) {
        const auto w = words_of(c.name);
        std::string condition;
        for (const auto& word : w) {
            EXPECT_NE(fish.find("-a " + word + " "), std::string::npos) << "fish does not list " << word;
            condition += (condition.empty() ? "" : "; and ") + std::string("__fish_seen_subcommand_from ") + word;
        }
        std::set<std::string> longs, shorts;
        std::istringstream lines(fish);
        for (std::string line; std::getline(lines, line);) {
            if (line.find("\"" + condition + "\"") == std::string::npos) continue;
            std::smatch m;
            if (std::regex_search(line, m, std::regex(R"( -l ([a-z0-9-]+))"))) longs.insert(m[1]);
            if (std::regex_search(line, m, std::regex(R"( -s ([a-z]))"))) shorts.insert(m[1]);
        }
        for (const auto& o : c.options) {
            for (const auto& l : o.longs) EXPECT_TRUE(longs.count(l)) << "fish, " << c.name << ": --" << l;
            for (const auto& s : o.shorts) EXPECT_TRUE(shorts.count(s)) << "fish, " << c.name << ": -" << s;
        }
        for (const auto& l : longs) EXPECT_TRUE(c.longs.count(l)) << "fish completes --" << l << " for " << c.name;
    }
}

}  // namespace
}  // namespace herald::cmd
