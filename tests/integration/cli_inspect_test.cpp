// The inspect commands, running the real binary against a real server: `herald channels list`
// (aligned table, --json, --prefix, --limit paging through more than one server page),
// `herald channels inspect`, `herald history` (table with escaped text, --since, --limit, --json,
// empty history), `herald connections` (table, --user, --json), the API key (flag and
// HERALD_API_KEY), HERALD_URL, an unreachable server named with exit 1, and usage errors with exit 2.
#include <gtest/gtest.h>

#include "tests/support/cli_support.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

namespace herald::test {
namespace {

process_result herald_at(test_server& srv, std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.push_back("--url");
    args.push_back(srv.internal_url());
    return run_herald(args, {}, env, quick);
}

// The column where `header_word` starts in the header line; every data line must have a value
// starting there (after a space), which is what "aligned" means for a left-aligned column.
void expect_column_aligned(const std::string& table, const std::string& header_word) {
    auto lines = split_lines(table);
    ASSERT_GE(lines.size(), 2u) << table;
    const auto col = lines[0].find(header_word);
    ASSERT_NE(col, std::string::npos) << header_word << " not in: " << lines[0];
    for (std::size_t i = 1; i < lines.size(); ++i) {
        ASSERT_GT(lines[i].size(), col) << "line " << i << " ends before " << header_word << ":\n" << table;
        EXPECT_EQ(lines[i][col - 1], ' ') << header_word << ", line " << i << ":\n" << table;
        EXPECT_NE(lines[i][col], ' ') << header_word << ", line " << i << ":\n" << table;
    }
}

// The whitespace-separated words of a line.
std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream ss(line);
    for (std::string w; ss >> w;) out.push_back(w);
    return out;
}

bool wait_subscriptions(test_server& srv, double n) {
    return srv.wait_metric("herald_subscriptions", [n](double v) { return v >= n; });
}

TEST(CliChannels, ListPrintsAnAlignedTable) {
    test_server srv;
    srv.publish("news", 1);
    srv.publish("news", 2);
    srv.publish("a.very.long.channel.name", "x");
    sse_client s(srv.public_port(), sse_target({"news", "quiet"}));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 2));
    auto r = herald_at(srv, {"channels", "list"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 4u) << r.out;
    EXPECT_EQ(words(lines[0]), (std::vector<std::string>{"CHANNEL", "SUBSCRIBERS", "OFFSET", "HISTORY", "PUBLISHES",
                                                         "LAST", "EVENT", "EPOCH"}));
    EXPECT_EQ(words(lines[1])[0], "a.very.long.channel.name");
    auto news = words(lines[2]);
    ASSERT_EQ(news.size(), 8u) << lines[2];  // ..., "0s", "ago", epoch
    EXPECT_EQ(news[0], "news");
    EXPECT_EQ(news[1], "1");  // subscribers
    EXPECT_EQ(news[2], "2");  // offset
    EXPECT_EQ(news[3], "2");  // history
    EXPECT_EQ(news[4], "2");  // publishes
    EXPECT_EQ(news[6], "ago");
    auto quiet = words(lines[3]);
    EXPECT_EQ(quiet[0], "quiet");
    EXPECT_EQ(quiet[5], "-");  // never published
    expect_column_aligned(r.out, "EPOCH");
    for (std::size_t i = 1; i < lines.size(); ++i)  // numbers are right-aligned under their header
        EXPECT_EQ(lines[i].find_first_of("0123456789", lines[0].find("SUBSCRIBERS")),
                  lines[0].find("SUBSCRIBERS") + std::string("SUBSCRIBERS").size() - 1)
            << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(CliChannels, ListJsonIsOneDocument) {
    test_server srv;
    srv.publish("news", 1);
    srv.publish("prices", 1);
    auto r = herald_at(srv, {"channels", "list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
    auto j = parse_json(r.out);
    ASSERT_EQ(j["channels"].size(), 2u) << r.out;
    EXPECT_EQ(j["channels"][0]["channel"], "news");
    EXPECT_EQ(j["channels"][1]["channel"], "prices");
    EXPECT_EQ(j["channels"][0]["last_offset"], 1);
    EXPECT_TRUE(j["next_cursor"].is_null());
}

TEST(CliChannels, ListPrefixAndLimitPageThroughTheServer) {
    test_server srv;
    // 1200 channels: more than one server page (1000).
    for (int batch = 0; batch < 2; ++batch) {
        json events = json::array();
        for (int i = 0; i < 600; ++i) events.push_back({{"channel", "bulk." + std::to_string(100000 + batch * 600 + i)}, {"data", i}});
        auto reply = srv.post_json("/v1/publish", json{{"events", events}});
        ASSERT_EQ(reply.status, 200u) << reply.body;
    }
    srv.publish("zzz", 1);
    auto all = herald_at(srv, {"channels", "list", "--prefix", "bulk.", "--limit", "5000", "--json"});
    ASSERT_EQ(all.exit_code, 0) << describe(all);
    auto j = parse_json(all.out);
    ASSERT_EQ(j["channels"].size(), 1200u);
    EXPECT_EQ(j["channels"][0]["channel"], "bulk.100000");
    EXPECT_EQ(j["channels"][1199]["channel"], "bulk.101199");
    EXPECT_TRUE(j["next_cursor"].is_null());
    auto some = herald_at(srv, {"channels", "list", "--prefix", "bulk.", "--limit", "1100", "--json"});
    ASSERT_EQ(some.exit_code, 0) << describe(some);
    auto k = parse_json(some.out);
    ASSERT_EQ(k["channels"].size(), 1100u);
    EXPECT_EQ(k["channels"][1099]["channel"], "bulk.101099");
    EXPECT_EQ(k["next_cursor"], "bulk.101099");
    auto table = herald_at(srv, {"channels", "list", "--limit", "2"});
    ASSERT_EQ(table.exit_code, 0) << describe(table);
    EXPECT_EQ(split_lines(table.out).size(), 3u) << table.out;
    EXPECT_NE(table.err.find("more channels than --limit 2"), std::string::npos) << table.err;
    auto none = herald_at(srv, {"channels", "list", "--prefix", "nothing."});
    ASSERT_EQ(none.exit_code, 0) << describe(none);
    EXPECT_EQ(none.out, "no channels starting with 'nothing.'\n");
}

TEST(CliChannels, InspectShowsOneChannel) {
    test_server srv;
    srv.publish("news", 1);
    srv.publish("news", 2);
    sse_client s(srv.public_port(), sse_target({"news"}));
    ws_client w(srv.public_port(), ws_target({"news"}));
    ASSERT_TRUE(s.ok() && w.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 2));
    auto r = herald_at(srv, {"channels", "inspect", "news"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("channel          news\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("subscribers      2 (sse 1, ws 1)\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("last offset      2\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("first available  1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("history size     2\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("publishes        2\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" UTC ("), std::string::npos) << r.out;
    auto j = herald_at(srv, {"channels", "inspect", "news", "--json"});
    ASSERT_EQ(j.exit_code, 0) << describe(j);
    auto doc = parse_json(j.out);
    EXPECT_EQ(doc["subscribers"], (json{{"sse", 1}, {"ws", 1}, {"total", 2}}));
    EXPECT_EQ(doc["last_offset"], 2);
}

TEST(CliChannels, InspectOfAnUnknownChannelFails) {
    test_server srv;
    auto r = herald_at(srv, {"channels", "inspect", "nope"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("channel 'nope'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint: "), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    auto bad = herald_at(srv, {"channels", "inspect", "a b"});
    EXPECT_EQ(bad.exit_code, 1) << describe(bad);
    EXPECT_NE(bad.err.find("'a b'"), std::string::npos) << bad.err;
}

TEST(CliHistory, PrintsEventsAsATable) {
    test_server srv;
    srv.publish("news", json{{"n", 1}});
    srv.publish("news", "two", "note");
    srv.request("POST", "/v1/channels/news/events", "line one\nline two", "text/plain");
    auto r = herald_at(srv, {"history", "news"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 4u) << r.out;
    EXPECT_EQ(words(lines[0]), (std::vector<std::string>{"OFFSET", "PUBLISHED", "(UTC)", "EVENT", "DATA"}));
    EXPECT_EQ(words(lines[1])[0], "1");
    EXPECT_NE(lines[1].find(R"({"n":1})"), std::string::npos) << r.out;
    EXPECT_NE(lines[2].find("note"), std::string::npos) << r.out;
    EXPECT_NE(lines[2].find("two"), std::string::npos) << r.out;
    EXPECT_NE(lines[3].find(R"(line one\nline two)"), std::string::npos) << "newlines escaped:\n" << r.out;
    expect_column_aligned(r.out, "EVENT");
    expect_column_aligned(r.out, "DATA");
    EXPECT_EQ(r.err, "");
}

TEST(CliHistory, SinceLimitAndJson) {
    test_server srv;
    for (int i = 1; i <= 5; ++i) srv.publish("news", i);
    auto newest = herald_at(srv, {"history", "news", "--limit", "2", "--json"});
    ASSERT_EQ(newest.exit_code, 0) << describe(newest);
    auto j = parse_json(newest.out);
    ASSERT_EQ(j["events"].size(), 2u);
    EXPECT_EQ(j["events"][0]["offset"], 4);
    EXPECT_EQ(j["last_offset"], 5);
    auto after = herald_at(srv, {"history", "news", "--since", "1", "--limit", "2"});
    ASSERT_EQ(after.exit_code, 0) << describe(after);
    auto lines = split_lines(after.out);
    ASSERT_EQ(lines.size(), 3u) << after.out;
    EXPECT_EQ(words(lines[1])[0], "2");
    EXPECT_EQ(words(lines[2])[0], "3");
    EXPECT_NE(after.err.find("--since 3"), std::string::npos) << "says how to read on:\n" << after.err;
    auto earliest = herald_at(srv, {"history", "news", "--since", "earliest", "--json"});
    ASSERT_EQ(earliest.exit_code, 0) << describe(earliest);
    EXPECT_EQ(parse_json(earliest.out)["events"].size(), 5u);
    auto empty = herald_at(srv, {"history", "news", "--since", "5"});
    ASSERT_EQ(empty.exit_code, 0) << describe(empty);
    EXPECT_EQ(empty.out, "no events in the history of 'news' after offset 5 (last offset 5)\n");
}

TEST(CliConnections, ListsStreamsAsATableAndJson) {
    auto cfg = test_config();
    cfg.auth.jwt_secrets = {test_secret};
    cfg.auth.public_channels = {"news"};
    test_server srv(cfg);
    sse_client anon(srv.public_port(), sse_target({"news"}));
    ws_client user(srv.public_port(), ws_target({"news"}, "token=" + user_token("42")));
    ASSERT_TRUE(anon.ok() && user.ok());
    ASSERT_TRUE(wait_subscriptions(srv, 3));
    auto r = herald_at(srv, {"connections"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 3u) << r.out;
    EXPECT_EQ(words(lines[0]), (std::vector<std::string>{"ID", "TRANSPORT", "LISTENER", "USER", "REMOTE", "AGE",
                                                         "OUTBOX", "CHANNELS"}));
    auto a = words(lines[1]);
    ASSERT_EQ(a.size(), 8u) << lines[1];
    EXPECT_EQ(a[1], "sse");
    EXPECT_EQ(a[2], "public");
    EXPECT_EQ(a[3], "-");
    EXPECT_EQ(a[4].rfind("127.0.0.1:", 0), 0u) << a[4];
    EXPECT_EQ(a[7], "news");
    auto u = words(lines[2]);
    ASSERT_EQ(u.size(), 8u) << lines[2];
    EXPECT_EQ(u[1], "ws");
    EXPECT_EQ(u[3], "42");
    EXPECT_EQ(u[7], "news,user:42");
    expect_column_aligned(r.out, "REMOTE");
    expect_column_aligned(r.out, "CHANNELS");

    auto mine = herald_at(srv, {"connections", "--user", "42", "--json"});
    ASSERT_EQ(mine.exit_code, 0) << describe(mine);
    auto j = parse_json(mine.out);
    EXPECT_EQ(j["total"], 1);
    ASSERT_EQ(j["connections"].size(), 1u);
    EXPECT_EQ(j["connections"][0]["user"], "42");
    auto nobody = herald_at(srv, {"connections", "--user", "7"});
    ASSERT_EQ(nobody.exit_code, 0) << describe(nobody);
    EXPECT_EQ(nobody.out, "no connections of user '7'\n");
    auto one = herald_at(srv, {"connections", "--limit", "1"});
    ASSERT_EQ(one.exit_code, 0) << describe(one);
    EXPECT_EQ(split_lines(one.out).size(), 2u) << one.out;
    EXPECT_NE(one.err.find("showing 1 of 2"), std::string::npos) << one.err;
}

TEST(CliInspect, ApiKeyFromFlagOrEnvironment) {
    auto cfg = test_config();
    cfg.auth.api_keys = {"ops-key"};
    test_server srv(cfg);
    srv.publish("news", 1);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"channels", "list"}, {"channels", "inspect", "news"}, {"history", "news"}, {"connections"}}) {
        auto none = herald_at(srv, args);
        EXPECT_EQ(none.exit_code, 1) << describe(none);
        EXPECT_NE(none.err.find("API key"), std::string::npos) << none.err;
        auto flag = args;
        flag.insert(flag.end(), {"--api-key", "ops-key"});
        auto with_flag = herald_at(srv, flag);
        EXPECT_EQ(with_flag.exit_code, 0) << describe(with_flag);
        auto with_env = herald_at(srv, args, {{"HERALD_API_KEY", "ops-key"}});
        EXPECT_EQ(with_env.exit_code, 0) << describe(with_env);
    }
}

TEST(CliInspect, UsesHeraldUrl) {
    test_server srv;
    srv.publish("news", 1);
    auto r = run_herald({"channels", "list"}, {}, {{"HERALD_URL", srv.internal_url()}}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("news"), std::string::npos) << r.out;
}

TEST(CliInspect, AnUnreachableServerIsNamedAndExits1) {
    const auto url = "http://127.0.0.1:" + std::to_string(free_port());
    for (const auto& args : std::vector<std::vector<std::string>>{{"channels", "list"},
                                                                  {"channels", "inspect", "news"},
                                                                  {"history", "news"},
                                                                  {"connections"},
                                                                  {"channels", "list", "--json"}}) {
        auto with_url = args;
        with_url.insert(with_url.end(), {"--url", url});
        auto r = run_herald(with_url, {}, {}, quick);
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_NE(r.err.find(url), std::string::npos) << "names the URL:\n" << r.err;
        EXPECT_NE(r.err.find("hint: "), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "");
    }
}

TEST(CliInspect, UsageErrorsExit2) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"channels"}, "needs a command (list, inspect, latest)"},
        {{"channels", "inspect"}, "CHANNEL"},
        {{"channels", "list", "--limit", "0"}, "--limit"},
        {{"channels", "list", "--limit", "many"}, "--limit"},
        {{"channels", "list", "--bogus"}, "--bogus"},
        {{"channels", "remove", "x"}, "list, inspect"},
        {{"history"}, "CHANNEL"},
        {{"history", "news", "--limit", "0"}, "--limit"},
        {{"history", "news", "--limit", "1001"}, "--limit"},
        {{"history", "news", "--since", "yesterday"}, "yesterday"},
        {{"connections", "--limit", "0"}, "--limit"},
        {{"connections", "extra"}, "extra"},
        {{"channels", "list", "--url", "https://example.com"}, "https"},
    };
    for (const auto& [args, needle] : cases) {
        auto r = run_herald(args, {}, {}, quick);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
        EXPECT_NE(r.err.find(needle), std::string::npos) << needle << "\n" << describe(r);
        EXPECT_EQ(r.out, "");
    }
}

TEST(CliInspect, HelpHasExamples) {
    for (const auto& args : std::vector<std::vector<std::string>>{{"channels", "--help"},
                                                                  {"channels", "list", "--help"},
                                                                  {"channels", "inspect", "--help"},
                                                                  {"history", "--help"},
                                                                  {"connections", "--help"}}) {
        auto r = run_herald(args, {}, {}, quick);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("herald " + args[0]), std::string::npos) << r.out;
    }
}

}  // namespace
}  // namespace herald::test
