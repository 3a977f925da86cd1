// Keyed channels from the command line, running the real `herald` binary against a real server:
// `herald publish CH --key K DATA`, `--incr N` ("counter is now N", --json with "value"),
// `--delete`, their usage errors (exit 2) and the server's refusals (exit 1), `herald channels
// latest` (KEY/VALUE table, unkeyed channels, --json, an unknown channel), the "keyed" line of
// `herald channels inspect`, `herald tail` of a keyed channel (the key and deletions), and the
// keyed and max_keys options of a config file (check-config, serve). Test thread only.
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "tests/support/cli_support.hpp"
#include "tests/support/temp_file.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

config::channel_rule keyed_rule(std::string pattern, std::optional<std::size_t> max_keys = std::nullopt) {
    config::channel_rule r;
    r.pattern = std::move(pattern);
    r.keyed = true;
    r.max_keys = max_keys;
    return r;
}

// {"channels":[{"pattern":"prices:*","keyed":true,"max_keys":3},{"pattern":"user:*","keyed":true}]}
config::config keyed_config() {
    auto cfg = test_config();
    cfg.channels = {keyed_rule("prices:*", 3), keyed_rule("user:*")};
    return cfg;
}

process_result herald_at(test_server& srv, std::vector<std::string> args) {
    args.push_back("--url");
    args.push_back(srv.internal_url());
    return run_herald(args, {}, {}, quick);
}

std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream ss(line);
    for (std::string w; ss >> w;) out.push_back(w);
    return out;
}

json latest_doc(test_server& srv, const std::string& channel) {
    auto r = srv.request("GET", "/v1/channels/" + client::url_encode(channel) + "/latest");
    EXPECT_EQ(r.status, 200u) << r.body;
    return parse_json(r.body);
}

// The line of `channels inspect` output that starts with `label`, or "".
std::string line_of(const std::string& out, const std::string& label) {
    for (const auto& l : split_lines(out))
        if (l.rfind(label + " ", 0) == 0) return l;
    return {};
}

// --- publish ---------------------------------------------------------------------------------------

TEST(CliKeyedPublish, IncrPrintsTheCounter) {
    test_server srv(keyed_config());
    auto first = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "1"});
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    EXPECT_NE(first.out.find("counter is now 1"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("published to user:42 at offset 1"), std::string::npos) << first.out;
    auto second = herald_at(srv, {"publish", "user:42", "-k", "unread", "--incr", "4"});
    ASSERT_EQ(second.exit_code, 0) << describe(second);
    EXPECT_NE(second.out.find("counter is now 5"), std::string::npos) << second.out;
    auto down = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "-7"});
    ASSERT_EQ(down.exit_code, 0) << describe(down);
    EXPECT_NE(down.out.find("counter is now -2"), std::string::npos) << down.out;
    EXPECT_EQ(latest_doc(srv, "user:42")["events"][0]["data"], -2);
}

TEST(CliKeyedPublish, IncrJsonPrintsTheReplyWithItsValue) {
    test_server srv(keyed_config());
    ASSERT_EQ(herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "2"}).exit_code, 0);
    auto r = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "3", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
    auto j = parse_json(r.out);
    EXPECT_EQ(j["value"], 5) << r.out;
    EXPECT_EQ(j["channel"], "user:42");
    EXPECT_EQ(j["offset"], 2);
    EXPECT_TRUE(j["epoch"].is_string());
}

TEST(CliKeyedPublish, KeyWithDataSetsTheKeyAndDeleteRemovesIt) {
    test_server srv(keyed_config());
    auto set = herald_at(srv, {"publish", "prices:n", "--key", "AAPL", R"({"p":2})"});
    ASSERT_EQ(set.exit_code, 0) << describe(set);
    EXPECT_NE(set.out.find("published to prices:n at offset 1"), std::string::npos) << set.out;
    EXPECT_EQ(set.out.find("counter"), std::string::npos) << set.out;
    auto text = herald_at(srv, {"publish", "prices:n", "--key", "MSFT", "--text", "12"});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    auto l = latest_doc(srv, "prices:n");
    ASSERT_EQ(l["events"].size(), 2u) << l;
    EXPECT_EQ(l["events"][0]["key"], "AAPL");
    EXPECT_EQ(l["events"][0]["data"], (json{{"p", 2}}));
    EXPECT_EQ(l["events"][1]["data"], "12");
    auto del = herald_at(srv, {"publish", "prices:n", "--key", "AAPL", "--delete"});
    ASSERT_EQ(del.exit_code, 0) << describe(del);
    EXPECT_NE(del.out.find("published to prices:n at offset 3"), std::string::npos) << del.out;
    auto after = latest_doc(srv, "prices:n");
    ASSERT_EQ(after["events"].size(), 1u) << after;
    EXPECT_EQ(after["events"][0]["key"], "MSFT");
    auto del_json = herald_at(srv, {"publish", "prices:n", "--key", "MSFT", "--delete", "--json"});
    ASSERT_EQ(del_json.exit_code, 0) << describe(del_json);
    EXPECT_EQ(parse_json(del_json.out)["offset"], 4);
}

TEST(CliKeyedPublish, ACounterSetByHandCountsOn) {
    test_server srv(keyed_config());
    ASSERT_EQ(herald_at(srv, {"publish", "user:42", "--key", "unread", "41"}).exit_code, 0);
    auto r = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "1"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("counter is now 42"), std::string::npos) << r.out;
}

TEST(CliKeyedPublish, DataFromStdinWithAKey) {
    test_server srv(keyed_config());
    auto r = run_herald({"publish", "prices:n", "--key", "AAPL", "-", "--url", srv.internal_url()}, "{\"p\": 3}\n", {},
                        quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(latest_doc(srv, "prices:n")["events"][0]["data"], (json{{"p", 3}}));
}

TEST(CliKeyedPublish, UsageErrorsExitTwoWithoutPublishing) {
    test_server srv(keyed_config());
    auto no_key = herald_at(srv, {"publish", "user:42", "--incr", "1"});
    EXPECT_EQ(no_key.exit_code, 2) << describe(no_key);
    EXPECT_NE(no_key.err.find("--key"), std::string::npos) << no_key.err;
    auto delete_no_key = herald_at(srv, {"publish", "user:42", "--delete"});
    EXPECT_EQ(delete_no_key.exit_code, 2) << describe(delete_no_key);
    auto with_data = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "1", "5"});
    EXPECT_EQ(with_data.exit_code, 2) << describe(with_data);
    EXPECT_NE(with_data.err.find("DATA"), std::string::npos) << with_data.err;
    auto delete_data = herald_at(srv, {"publish", "user:42", "--key", "unread", "--delete", "x"});
    EXPECT_EQ(delete_data.exit_code, 2) << describe(delete_data);
    auto both = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "1", "--delete"});
    EXPECT_EQ(both.exit_code, 2) << describe(both);
    auto not_a_number = herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "one"});
    EXPECT_EQ(not_a_number.exit_code, 2) << describe(not_a_number);
    EXPECT_EQ(srv.request("GET", "/v1/channels/user%3A42/latest").status, 404u);  // nothing was published
}

TEST(CliKeyedPublish, TheServersRefusalsExitOneWithTheirMessage) {
    test_server srv(keyed_config());
    auto not_keyed = herald_at(srv, {"publish", "news", "--key", "a", "1"});
    EXPECT_EQ(not_keyed.exit_code, 1) << describe(not_keyed);
    EXPECT_NE(not_keyed.err.find("is not keyed"), std::string::npos) << not_keyed.err;
    auto required = herald_at(srv, {"publish", "prices:n", "1"});
    EXPECT_EQ(required.exit_code, 1) << describe(required);
    EXPECT_NE(required.err.find("is keyed"), std::string::npos) << required.err;
    EXPECT_NE(required.err.find("hint: "), std::string::npos) << required.err;
    auto missing = herald_at(srv, {"publish", "user:42", "--key", "gone", "--delete"});
    EXPECT_EQ(missing.exit_code, 1) << describe(missing);
    EXPECT_NE(missing.err.find("no value to delete"), std::string::npos) << missing.err;
    ASSERT_EQ(herald_at(srv, {"publish", "user:42", "--key", "profile", R"({"p":1})"}).exit_code, 0);
    auto not_counter = herald_at(srv, {"publish", "user:42", "--key", "profile", "--incr", "1"});
    EXPECT_EQ(not_counter.exit_code, 1) << describe(not_counter);
    EXPECT_NE(not_counter.err.find("not an integer"), std::string::npos) << not_counter.err;
    for (const char* k : {"A", "B", "C"}) ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", k, "1"}).exit_code, 0);
    auto full = herald_at(srv, {"publish", "prices:n", "--key", "D", "1"});
    EXPECT_EQ(full.exit_code, 1) << describe(full);
    EXPECT_NE(full.err.find("max_keys"), std::string::npos) << full.err;
}

// --- channels latest / inspect -------------------------------------------------------------------------

TEST(CliKeyedChannels, LatestPrintsAKeyValueTableOldestFirst) {
    test_server srv(keyed_config());
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "AAPL", R"({"p":1})"}).exit_code, 0);
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "MSFT", R"({"p":2})"}).exit_code, 0);
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "GOOG", R"({"p":3})", "--event", "tick"}).exit_code, 0);
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "AAPL", R"({"p":4})"}).exit_code, 0);
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "MSFT", "--delete"}).exit_code, 0);
    auto r = herald_at(srv, {"channels", "latest", "prices:n"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 3u) << r.out;
    auto head = words(lines[0]);
    ASSERT_GE(head.size(), 2u) << lines[0];
    EXPECT_EQ(head[0], "KEY") << r.out;
    EXPECT_EQ(head[1], "VALUE") << r.out;
    EXPECT_NE(lines[0].find("OFFSET"), std::string::npos) << r.out;
    auto goog = words(lines[1]);
    auto aapl = words(lines[2]);
    ASSERT_GE(goog.size(), 3u) << r.out;
    ASSERT_GE(aapl.size(), 3u) << r.out;
    EXPECT_EQ(goog[0], "GOOG") << r.out;
    EXPECT_EQ(goog[1], R"({"p":3})") << r.out;
    EXPECT_EQ(goog[2], "3") << r.out;
    EXPECT_EQ(goog.back(), "tick") << r.out;
    EXPECT_EQ(aapl[0], "AAPL") << r.out;
    EXPECT_EQ(aapl[1], R"({"p":4})") << r.out;
    EXPECT_EQ(aapl[2], "4") << r.out;
    EXPECT_EQ(r.out.find("MSFT"), std::string::npos) << r.out;
    // The value column is aligned.
    EXPECT_EQ(lines[1].find(R"({"p":3})"), lines[0].find("VALUE")) << r.out;
    EXPECT_EQ(lines[2].find(R"({"p":4})"), lines[0].find("VALUE")) << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(CliKeyedChannels, LatestJsonPrintsTheServersDocument) {
    test_server srv(keyed_config());
    ASSERT_EQ(herald_at(srv, {"publish", "user:42", "--key", "unread", "--incr", "10"}).exit_code, 0);
    auto r = herald_at(srv, {"channels", "latest", "user:42", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_EQ(split_lines(r.out).size(), 1u) << r.out;
    auto j = parse_json(r.out);
    EXPECT_EQ(j, latest_doc(srv, "user:42"));
    EXPECT_EQ(j["keyed"], true);
    EXPECT_EQ(j["events"][0]["key"], "unread");
    EXPECT_EQ(j["events"][0]["data"], 10);
}

TEST(CliKeyedChannels, LatestOfAnUnkeyedChannelShowsItsNewestEvent) {
    test_server srv(keyed_config());
    srv.publish("news", "first");
    srv.publish("news", "second");
    auto r = herald_at(srv, {"channels", "latest", "news"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = split_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(words(lines[0])[0], "VALUE") << r.out;
    EXPECT_EQ(lines[0].find("KEY"), std::string::npos) << r.out;
    EXPECT_EQ(words(lines[1])[0], "second") << r.out;
    EXPECT_EQ(words(lines[1])[1], "2") << r.out;
}

TEST(CliKeyedChannels, LatestOfAKeyedChannelWithNoLiveKeySaysSo) {
    test_server srv(keyed_config());
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "AAPL", "1"}).exit_code, 0);
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "AAPL", "--delete"}).exit_code, 0);
    auto r = herald_at(srv, {"channels", "latest", "prices:n"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "no keys hold a value in 'prices:n'\n");
}

TEST(CliKeyedChannels, LatestOfAnUnknownChannelExitsOne) {
    test_server srv(keyed_config());
    auto r = herald_at(srv, {"channels", "latest", "prices:none"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("prices:none"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    auto usage = herald_at(srv, {"channels", "latest"});
    EXPECT_EQ(usage.exit_code, 2) << describe(usage);
}

TEST(CliKeyedChannels, InspectShowsAKeyedLine) {
    test_server srv(keyed_config());
    for (const char* k : {"AAPL", "MSFT"}) ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", k, "1"}).exit_code, 0);
    auto r = herald_at(srv, {"channels", "inspect", "prices:n"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto keyed = line_of(r.out, "keyed");
    ASSERT_FALSE(keyed.empty()) << r.out;
    EXPECT_NE(keyed.find("yes, 2 of at most 3 keys"), std::string::npos) << r.out;
    // The value starts in the same column as the other lines'.
    EXPECT_EQ(keyed.find("yes"), line_of(r.out, "channel").find("prices:n")) << r.out;
    auto as_json = herald_at(srv, {"channels", "inspect", "prices:n", "--json"});
    ASSERT_EQ(as_json.exit_code, 0) << describe(as_json);
    auto j = parse_json(as_json.out);
    EXPECT_EQ(j["policy"]["keyed"], true);
    EXPECT_EQ(j["policy"]["max_keys"], 3);
    EXPECT_EQ(j["keys"], 2);
    srv.publish("news", 1);
    auto plain = herald_at(srv, {"channels", "inspect", "news"});
    ASSERT_EQ(plain.exit_code, 0) << describe(plain);
    auto no = line_of(plain.out, "keyed");
    ASSERT_FALSE(no.empty()) << plain.out;
    EXPECT_EQ(words(no), (std::vector<std::string>{"keyed", "no"})) << plain.out;
}

// --- tail -------------------------------------------------------------------------------------------------

// `herald tail` follows a keyed channel: each line must say which key changed, and a deletion
// must read as one (not as a publish of null).
TEST(CliKeyedTail, TailNamesTheKeyAndShowsDeletions) {
    test_server srv(keyed_config());
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "AAPL", R"({"p":1})"}).exit_code, 0);
    process tail({"tail", "prices:n", "--json", "--count", "2", "--url", srv.internal_url()});
    ASSERT_TRUE(wait_lines(tail, 1)) << tail.out() << tail.err();  // the snapshot
    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "AAPL", "--delete"}).exit_code, 0);
    auto r = tail.wait(quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0]["data"], (json{{"p", 1}})) << r.out;
    EXPECT_EQ(lines[0]["key"], json("AAPL")) << r.out;
    EXPECT_EQ(lines[1]["key"], json("AAPL")) << r.out;
    EXPECT_EQ(lines[1]["deleted"], true) << r.out;
    EXPECT_FALSE(lines[1].contains("data") && lines[1]["data"].is_null()) << "a deletion reads as data null: " << r.out;

    ASSERT_EQ(herald_at(srv, {"publish", "prices:n", "--key", "MSFT", "7"}).exit_code, 0);
    auto text = herald_at(srv, {"tail", "prices:n", "--count", "1"});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_NE(text.out.find("MSFT"), std::string::npos) << "the key is not shown: " << text.out;
}

// --- the config file ---------------------------------------------------------------------------------------

TEST(CliKeyedConfig, CheckConfigDescribesKeyedEntriesAndRefusesBadOnes) {
    temp_file good(R"({"channels":[{"pattern":"prices:*","keyed":true,"max_keys":3},{"pattern":"user:*","keyed":true}]})");
    auto ok = run_herald({"check-config", good.path()}, {}, {}, quick);
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    EXPECT_NE(ok.out.find("prices:* (keyed, max_keys 3)"), std::string::npos) << ok.out;
    EXPECT_NE(ok.out.find("user:* (keyed)"), std::string::npos) << ok.out;
    temp_file bad(R"({"channels":[{"pattern":"a:*","keyed":"yes"},
                                  {"pattern":"b:*","keyed":true,"max_keys":0},
                                  {"pattern":"c:*","max_keys":5}]})");
    auto r = run_herald({"check-config", bad.path()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    for (const auto* key : {"channels[0].keyed", "channels[1].max_keys", "channels[2].max_keys"})
        EXPECT_NE(r.err.find(key), std::string::npos) << key << "\n" << r.err;
}

TEST(CliKeyedConfig, ServeWithAKeyedConfigFile) {
    temp_file cfg(R"({"public":"127.0.0.1:0","internal":"127.0.0.1:0",
                      "channels":[{"pattern":"prices:*","keyed":true,"max_keys":3},{"pattern":"user:*","keyed":true}]})");
    process p({"serve", "--config", cfg.path()});
    ASSERT_TRUE(p.wait_err("subscribe: curl")) << p.err();
    const auto internal = internal_port_from_log(p.err());
    ASSERT_NE(internal, 0) << p.err();
    const auto url = "http://127.0.0.1:" + std::to_string(internal);
    for (int i = 1; i <= 3; ++i) {
        auto r = run_herald({"publish", "user:42", "--key", "unread", "--incr", "1", "--url", url}, {}, {}, quick);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("counter is now " + std::to_string(i)), std::string::npos) << r.out;
    }
    for (const char* k : {"A", "B", "C"})
        ASSERT_EQ(run_herald({"publish", "prices:n", "--key", k, "1", "--url", url}, {}, {}, quick).exit_code, 0);
    auto full = run_herald({"publish", "prices:n", "--key", "D", "1", "--url", url}, {}, {}, quick);
    EXPECT_EQ(full.exit_code, 1) << describe(full);
    auto l = run_herald({"channels", "latest", "user:42", "--json", "--url", url}, {}, {}, quick);
    ASSERT_EQ(l.exit_code, 0) << describe(l);
    EXPECT_EQ(parse_json(l.out)["events"][0]["data"], 3) << l.out;
    p.kill(SIGTERM);
    EXPECT_EQ(p.wait(quick).exit_code, 0);
}

}  // namespace
}  // namespace herald::test
