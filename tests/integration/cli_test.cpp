// Runs the real `herald` binary as a child process against real servers: help, version and usage
// errors; publish (argument, stdin, --json, --event, idempotency keys, HERALD_URL, failures,
// --ndjson); serve (bound ports, busy ports, clean stop on a signal). tail is in cli_tail_test.
// Every wait is bounded and polls; nothing asserts timings.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>

#include "tests/support/cli_support.hpp"
#include "tests/support/raw_sse_client.hpp"
#include "tests/support/test_server.hpp"

namespace herald::test {
namespace {

// ---------------------------------------------------------------------------------------------
// Help, version, usage errors

TEST(CliHelp, TopLevelHelpListsEveryCommandWithExamples) {
    for (const char* flag : {"--help", "-h"}) {
        auto r = run_herald({flag}, {}, {}, quick);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Usage: herald"), std::string::npos) << r.out;
        for (const char* cmd : {"serve", "publish", "tail", "version"})
            EXPECT_NE(r.out.find(std::string("\n  ") + cmd), std::string::npos) << cmd << " missing:\n" << r.out;
        EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("herald publish news"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("HERALD_URL"), std::string::npos) << r.out;
        EXPECT_EQ(r.err, "");
    }
}

TEST(CliHelp, EachCommandShowsItsOptionsAndExamples) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"publish", {"--url", "--event", "--idempotency-key", "--text", "--json", "--ndjson", "herald publish news"}},
        {"tail", {"--url", "--since", "--count", "--json", "--quiet", "herald tail news"}},
        {"serve", {"--public", "--internal", "--log-level", "--history-size", "HERALD_PUBLIC", "herald serve"}},
        {"version", {"--json", "herald version"}},
    };
    for (const auto& [cmd, needles] : cases) {
        auto r = run_herald({cmd, "--help"}, {}, {}, quick);
        ASSERT_EQ(r.exit_code, 0) << cmd << ": " << describe(r);
        EXPECT_NE(r.out.find("Usage: herald " + cmd), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("Examples:"), std::string::npos) << cmd << ":\n" << r.out;
        for (const auto& n : needles) EXPECT_NE(r.out.find(n), std::string::npos) << cmd << " lacks " << n << ":\n" << r.out;
        EXPECT_EQ(r.err, "") << cmd;
    }
}

TEST(CliHelp, HelpWinsOverOtherArgumentsAndContactsNoServer) {
    // A server URL that does not answer: --help must not try it.
    auto r = run_herald({"publish", "news", "hello", "--url", "http://127.0.0.1:1", "--help"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("Usage: herald publish"), std::string::npos) << r.out;
}

TEST(CliVersion, PrintsTheVersionPlainAndAsJson) {
    auto plain = run_herald({"version"}, {}, {}, quick);
    ASSERT_EQ(plain.exit_code, 0) << describe(plain);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(plain.out, m, std::regex("herald (\\d+\\.\\d+\\.\\d+[^\\s]*)\n"))) << plain.out;
    const std::string version = m[1];

    auto flag = run_herald({"--version"}, {}, {}, quick);
    EXPECT_EQ(flag.exit_code, 0) << describe(flag);
    EXPECT_EQ(flag.out, plain.out);

    auto as_json = run_herald({"version", "--json"}, {}, {}, quick);
    ASSERT_EQ(as_json.exit_code, 0) << describe(as_json);
    auto j = parse_json(as_json.out);
    EXPECT_EQ(j.value("version", ""), version) << as_json.out;
}

TEST(CliUsage, UnknownCommandExits2NamingIt) {
    auto r = run_herald({"pubish", "news", "hello"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("'pubish'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
}

TEST(CliUsage, NoCommandExits2) {
    auto r = run_herald({}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_FALSE(r.err.empty());
}

TEST(CliUsage, UnknownFlagExits2NamingIt) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--bogus-flag"}, {"publish", "news", "x", "--bogus-flag"},
          {"tail", "news", "--bogus-flag"}, {"serve", "--bogus-flag"}, {"version", "--bogus-flag"}}) {
        auto r = run_herald(args, {}, {}, quick);
        EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << describe(r);
        EXPECT_NE(r.err.find("--bogus-flag"), std::string::npos) << args[0] << ": " << r.err;
        EXPECT_EQ(r.out, "") << args[0];
    }
}

TEST(CliUsage, MissingOrMalformedArgumentsExit2) {
    auto no_channel = run_herald({"publish"}, {}, {}, quick);
    EXPECT_EQ(no_channel.exit_code, 2) << describe(no_channel);
    EXPECT_NE(no_channel.err.find("CHANNEL"), std::string::npos) << no_channel.err;

    auto tail_no_channel = run_herald({"tail"}, {}, {}, quick);
    EXPECT_EQ(tail_no_channel.exit_code, 2) << describe(tail_no_channel);
    EXPECT_NE(tail_no_channel.err.find("CHANNEL"), std::string::npos) << tail_no_channel.err;

    auto bad_count = run_herald({"tail", "news", "--count", "many"}, {}, {}, quick);
    EXPECT_EQ(bad_count.exit_code, 2) << describe(bad_count);
    EXPECT_NE(bad_count.err.find("many"), std::string::npos) << bad_count.err;

    auto https = run_herald({"publish", "news", "x", "--url", "https://example.com"}, {}, {}, quick);
    EXPECT_EQ(https.exit_code, 2) << describe(https);
    EXPECT_NE(https.err.find("https://example.com"), std::string::npos) << https.err;

    auto bad_level = run_herald({"serve", "--log-level", "loud"}, {}, {}, quick);
    EXPECT_EQ(bad_level.exit_code, 2) << describe(bad_level);
    EXPECT_NE(bad_level.err.find("loud"), std::string::npos) << bad_level.err;
}

// ---------------------------------------------------------------------------------------------
// publish

TEST(CliPublish, PublishesTheArgumentToSubscribers) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    auto r = run_herald({"publish", "news", "hello", "--url", srv.internal_url()}, {}, {}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("published to news at offset 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("queued to 1 local subscriber"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
    ASSERT_TRUE(sub.wait_events(1)) << sub.body();
    EXPECT_EQ(sub.events()[0].data, "hello");
    EXPECT_EQ(sub.events()[0].event, "message");
}

TEST(CliPublish, JsonPrintsTheServersReply) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    auto first = run_herald({"publish", "news", "one", "--json", "--url", srv.internal_url()}, {}, {}, quick);
    auto second = run_herald({"publish", "news", "two", "--json", "--url", srv.internal_url()}, {}, {}, quick);
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    ASSERT_EQ(second.exit_code, 0) << describe(second);
    ASSERT_EQ(split_lines(first.out).size(), 1u) << first.out;
    auto a = parse_json(first.out), b = parse_json(second.out);
    EXPECT_EQ(a.value("channel", ""), "news");
    ASSERT_TRUE(a.contains("offset") && a["offset"].is_number_unsigned()) << a;
    EXPECT_EQ(a["offset"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(b.value("offset", std::uint64_t{0}), 2u);
    ASSERT_TRUE(a.contains("epoch") && a["epoch"].is_string()) << a;
    EXPECT_FALSE(a["epoch"].get<std::string>().empty());
    EXPECT_EQ(a["epoch"], b["epoch"]);
    EXPECT_EQ(a.value("delivered_local", -1), 1) << a;
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"one", "two"}));
}

TEST(CliPublish, SendsJsonDataAsJsonAndTextWithText) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"d"}, "envelope=json"));
    ASSERT_TRUE(sub.ok());
    ASSERT_EQ(run_herald({"publish", "d", R"({"n":1})", "--url", srv.internal_url()}, {}, {}, quick).exit_code, 0);
    ASSERT_EQ(run_herald({"publish", "d", R"({"n":1})", "--text", "--url", srv.internal_url()}, {}, {}, quick).exit_code, 0);
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    auto as_json = parse_json(sub.events()[0].data), as_text = parse_json(sub.events()[1].data);
    EXPECT_EQ(as_json["data"], (json{{"n", 1}})) << sub.events()[0].data;
    EXPECT_EQ(as_text["data"], json(R"({"n":1})")) << sub.events()[1].data;
}

TEST(CliPublish, DashReadsTheDataFromStdin) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"in"}));
    ASSERT_TRUE(sub.ok());
    auto r = run_herald({"publish", "in", "-", "--url", srv.internal_url()}, "line one\nline two\n", {}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto j = run_herald({"publish", "in", "-", "--url", srv.internal_url()}, "{\"p\": 1}\n", {}, quick);
    ASSERT_EQ(j.exit_code, 0) << describe(j);
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    // The final newline is the end of input, not data; inner newlines are kept.
    EXPECT_EQ(sub.events()[0].data, "line one\nline two");
    EXPECT_EQ(sub.events()[1].data, R"({"p":1})");
}

TEST(CliPublish, EventFlagNamesTheEvent) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"prices"}));
    ASSERT_TRUE(sub.ok());
    for (const char* flag : {"--event", "-e"}) {
        auto r = run_herald({"publish", "prices", R"({"p":42})", flag, "price", "--url", srv.internal_url()}, {}, {}, quick);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    for (const auto& e : sub.events()) {
        EXPECT_EQ(e.event, "price");
        EXPECT_EQ(e.data, R"({"p":42})");
    }
}

TEST(CliPublish, SameIdempotencyKeyTwicePublishesOnce) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"orders"}));
    ASSERT_TRUE(sub.ok());
    std::vector<std::string> args{"publish", "orders", "paid", "--idempotency-key", "order-17", "--json",
                                  "--url", srv.internal_url()};
    auto first = run_herald(args, {}, {}, quick);
    auto again = run_herald(args, {}, {}, quick);
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    ASSERT_EQ(again.exit_code, 0) << describe(again);
    auto a = parse_json(first.out), b = parse_json(again.out);
    EXPECT_EQ(a.value("offset", std::uint64_t{0}), 1u);
    EXPECT_EQ(b.value("offset", std::uint64_t{0}), a.value("offset", std::uint64_t{0}));
    EXPECT_EQ(b["epoch"], a["epoch"]);
    EXPECT_TRUE(b.value("duplicate", false)) << again.out;
    // The plain form says so too.
    args.erase(std::find(args.begin(), args.end(), "--json"));
    auto plain = run_herald(args, {}, {}, quick);
    EXPECT_EQ(plain.exit_code, 0) << describe(plain);
    EXPECT_NE(plain.out.find("duplicate"), std::string::npos) << plain.out;
    // Exactly one event went out: the next one is the subscriber's second.
    srv.publish("orders", "marker");
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    sub.wait_for([](const auto&) { return false; }, 100ms);
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"paid", "marker"}));
}

TEST(CliPublish, UsesHeraldUrlWhenUrlIsAbsent) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"env"}));
    ASSERT_TRUE(sub.ok());
    auto r = run_herald({"publish", "env", "via-env"}, {}, {{"HERALD_URL", srv.internal_url()}}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    // --url wins over HERALD_URL.
    auto dead = "http://127.0.0.1:" + std::to_string(free_port());
    auto w = run_herald({"publish", "env", "via-flag", "--url", srv.internal_url()}, {}, {{"HERALD_URL", dead}}, quick);
    ASSERT_EQ(w.exit_code, 0) << describe(w);
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"via-env", "via-flag"}));
}

TEST(CliPublish, UnreachableServerExits1NamingTheUrl) {
    auto url = "http://127.0.0.1:" + std::to_string(free_port());
    auto r = run_herald({"publish", "news", "hello", "--url", url}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
    // The same through HERALD_URL.
    auto env = run_herald({"publish", "news", "hello"}, {}, {{"HERALD_URL", url}}, quick);
    EXPECT_EQ(env.exit_code, 1) << describe(env);
    EXPECT_NE(env.err.find(url), std::string::npos) << env.err;
}

TEST(CliPublish, BadChannelExits1WithTheServersMessage) {
    test_server srv;
    auto r = run_herald({"publish", "bad chan", "x", "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("channel 'bad chan'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
    EXPECT_EQ(srv.metric("herald_publishes_total").value_or(-1), 0);
}

TEST(CliPublish, OversizedEventExits1WithTheServersMessage) {
    auto cfg = test_config();
    cfg.limits.max_event_bytes = 16;
    test_server srv(cfg);
    auto r = run_herald({"publish", "news", std::string(64, 'x'), "--url", srv.internal_url()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("herald: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("16"), std::string::npos) << "the message names the limit: " << r.err;
}

// ---------------------------------------------------------------------------------------------
// publish --ndjson

TEST(CliPublishNdjson, PrintsOneResultLinePerInputLine) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"a", "b", "dflt"}, "envelope=json"));
    ASSERT_TRUE(sub.ok());
    std::string in = R"({"channel":"a","data":1})" "\n"
                     R"({"channel":"b","data":{"k":"v"},"event":"kv"})" "\n"
                     "\n"  // blank lines are skipped
                     R"({"data":"filled in"})" "\n";
    auto r = run_herald({"publish", "dflt", "--ndjson", "--json", "--url", srv.internal_url()}, in, {}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto results = json_lines(r.out);
    ASSERT_EQ(results.size(), 3u) << r.out;
    EXPECT_EQ(results[0].value("channel", ""), "a");
    EXPECT_EQ(results[1].value("channel", ""), "b");
    EXPECT_EQ(results[2].value("channel", ""), "dflt");
    for (const auto& res : results) {
        EXPECT_EQ(res.value("offset", std::uint64_t{0}), 1u) << res;
        EXPECT_FALSE(res.contains("error")) << res;
    }
    ASSERT_TRUE(sub.wait_events(3)) << sub.body();
    EXPECT_EQ(parse_json(sub.events()[0].data)["data"], 1);
    EXPECT_EQ(sub.events()[1].event, "kv");
    EXPECT_EQ(parse_json(sub.events()[2].data)["data"], "filled in");

    // Plain output: one sentence per line.
    auto plain = run_herald({"publish", "--ndjson", "--url", srv.internal_url()}, R"({"channel":"a","data":2})" "\n", {}, quick);
    ASSERT_EQ(plain.exit_code, 0) << describe(plain);
    EXPECT_EQ(split_lines(plain.out).size(), 1u) << plain.out;
    EXPECT_NE(plain.out.find("published to a at offset 2"), std::string::npos) << plain.out;
}

TEST(CliPublishNdjson, BadLinesFailInPlaceWhileTheGoodOnesArePublished) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"a"}));
    ASSERT_TRUE(sub.ok());
    std::string in = R"({"channel":"a","data":"g1"})" "\n"
                     "not json\n"
                     R"({"channel":"a","data":"g2"})" "\n"
                     R"({"channel":"bad chan","data":"x"})" "\n"
                     R"({"data":"no channel"})" "\n"
                     R"({"channel":"a","data":"g3"})" "\n";
    auto r = run_herald({"publish", "--ndjson", "--json", "--url", srv.internal_url()}, in, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    auto results = json_lines(r.out);
    ASSERT_EQ(results.size(), 6u) << r.out;
    // In input order: lines 2, 4 and 5 failed (each naming its line), the others have offsets.
    std::vector<std::uint64_t> offsets;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& res = results[i];
        std::size_t line = i + 1;
        if (line == 2 || line == 4 || line == 5) {
            ASSERT_TRUE(res.contains("error")) << "line " << line << ": " << res;
            EXPECT_EQ(res.value("line", 0u), line) << res;
            EXPECT_FALSE(res["error"].value("message", "").empty()) << res;
        } else {
            EXPECT_FALSE(res.contains("error")) << "line " << line << ": " << res;
            offsets.push_back(res.value("offset", std::uint64_t{0}));
        }
    }
    EXPECT_EQ(offsets, (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_NE(results[3]["error"].value("message", "").find("bad chan"), std::string::npos) << results[3];
    ASSERT_TRUE(sub.wait_events(3)) << sub.body();
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"g1", "g2", "g3"}));

    // Plain output: results on stdout, failures on stderr naming their lines, in order.
    auto plain = run_herald({"publish", "--ndjson", "--url", srv.internal_url()}, in, {}, quick);
    EXPECT_EQ(plain.exit_code, 1) << describe(plain);
    EXPECT_EQ(count_of(plain.out, "published to a"), 3u) << plain.out;
    auto errors = split_lines(plain.err);
    ASSERT_EQ(errors.size(), 3u) << plain.err;
    EXPECT_EQ(errors[0].rfind("line 2: ", 0), 0u) << plain.err;
    EXPECT_EQ(errors[1].rfind("line 4: ", 0), 0u) << plain.err;
    EXPECT_EQ(errors[2].rfind("line 5: ", 0), 0u) << plain.err;
}

TEST(CliPublishNdjson, PublishesEachLineAsItArrivesWithoutWaitingForMore) {
    test_server srv;
    sse_client sub(srv.public_port(), sse_target({"live"}));
    ASSERT_TRUE(sub.ok());
    process p({"publish", "--ndjson", "--json", "--url", srv.internal_url()}, R"({"channel":"live","data":"first"})" "\n",
              {}, /*keep_stdin_open=*/true);
    // stdin is still open: the first line must go out (and be reported) on its own.
    ASSERT_TRUE(sub.wait_events(1)) << sub.body();
    ASSERT_TRUE(wait_lines(p, 1)) << p.out() << p.err();
    ASSERT_TRUE(p.write_stdin(R"({"channel":"live","data":"second"})" "\n"));
    ASSERT_TRUE(sub.wait_events(2)) << sub.body();
    ASSERT_TRUE(wait_lines(p, 2)) << p.out() << p.err();
    p.close_stdin();
    auto r = p.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(datas(sub), (std::vector<std::string>{"first", "second"}));
    EXPECT_EQ(json_lines(r.out).size(), 2u) << r.out;
}

TEST(CliPublishNdjson, UnreachableServerExits1NamingTheUrl) {
    auto url = "http://127.0.0.1:" + std::to_string(free_port());
    auto r = run_herald({"publish", "--ndjson", "--url", url}, R"({"channel":"a","data":1})" "\n", {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// serve

TEST(CliServe, PortZeroServesOnTheBoundPortsItReports) {
    process serve({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--threads", "1", "--drain-window", "0"});
    ASSERT_TRUE(serve.wait_err("subscribe: curl")) << serve.err();
    auto internal = internal_port_from_log(serve.err());
    auto pub = public_port_from_log(serve.err());
    ASSERT_NE(internal, 0) << serve.err();
    ASSERT_NE(pub, 0) << serve.err();
    sse_client sub(pub, sse_target({"news"}));
    ASSERT_TRUE(sub.ok()) << sub.status();
    auto r = run_herald({"publish", "news", "hello", "--url", "http://127.0.0.1:" + std::to_string(internal)}, {}, {},
                        quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_TRUE(sub.wait_events(1)) << sub.body();
    EXPECT_EQ(sub.events()[0].data, "hello");
    serve.kill(SIGTERM);
    auto s = serve.wait(quick);
    EXPECT_EQ(s.exit_code, 0) << describe(s);
}

TEST(CliServe, SignalStopsCleanlyTellingStreamsWhereToResume) {
    for (int sig : {SIGTERM, SIGINT}) {
        process serve({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--threads", "1",
                       "--drain-window", "300"});
        ASSERT_TRUE(serve.wait_err("subscribe: curl")) << serve.err();
        auto pub = public_port_from_log(serve.err());
        ASSERT_NE(pub, 0) << serve.err();
        sse_client sub(pub, sse_target({"news"}));
        ASSERT_TRUE(sub.ok());
        serve.kill(sig);
        auto d = sub.wait_for([](const protocol::sse_message& m) { return m.event == "herald.disconnect"; });
        ASSERT_TRUE(d.has_value()) << sub.body();
        auto j = parse_json(d->data);
        EXPECT_EQ(j.value("reconnect", false), true) << d->data;
        EXPECT_FALSE(j.value("cursor", "").empty()) << "the disconnect carries a cursor: " << d->data;
        EXPECT_TRUE(sub.wait_closed()) << sub.body();
        auto r = serve.wait(quick);
        EXPECT_EQ(r.exit_code, 0) << "signal " << sig << ": " << describe(r);
        EXPECT_EQ(r.signal, 0);
        EXPECT_NE(r.err.find("stopped"), std::string::npos) << r.err;
    }
}

TEST(CliServe, PortInUseExits1WithOneLineNamingTheAddress) {
    test_server busy;
    const std::string pub = "127.0.0.1:" + std::to_string(busy.public_port());
    const std::string internal = "127.0.0.1:" + std::to_string(busy.internal_port());
    for (const auto& args : {std::vector<std::string>{"serve", "--public", pub, "--internal", "127.0.0.1:0"},
                             std::vector<std::string>{"serve", "--public", "127.0.0.1:0", "--internal", internal}}) {
        const std::string& address = args[2] == pub ? pub : internal;
        auto r = run_herald(args, {}, {}, quick);
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_FALSE(r.timed_out);
        auto lines = split_lines(r.err);
        ASSERT_EQ(lines.size(), 1u) << r.err;
        EXPECT_EQ(lines[0].rfind("herald: ", 0), 0u) << r.err;
        EXPECT_NE(lines[0].find(address), std::string::npos) << r.err;
        EXPECT_NE(lines[0].find("in use"), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "");
    }
}

TEST(CliServe, TakesListenAddressesFromTheEnvironment) {
    test_server busy;
    const std::string pub = "127.0.0.1:" + std::to_string(busy.public_port());
    // HERALD_PUBLIC names a busy port: the failure proves the variable was used.
    auto r = run_herald({"serve", "--internal", "127.0.0.1:0"}, {}, {{"HERALD_PUBLIC", pub}}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find(pub), std::string::npos) << r.err;
    // A flag wins over the variable.
    process serve({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0"}, {}, {{"HERALD_PUBLIC", pub}});
    ASSERT_TRUE(serve.wait_err("subscribe: curl")) << serve.err();
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(quick).exit_code, 0);
}

TEST(CliServe, MalformedAddressExitsNonZeroNamingIt) {
    auto r = run_herald({"serve", "--public", "nonsense", "--internal", "127.0.0.1:0"}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.err.find("--public: public: got nonsense: expected HOST:PORT"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace herald::test
